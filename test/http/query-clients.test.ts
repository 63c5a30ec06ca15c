// Everyday clients as InfluxDB 1.x answers them: python-influxdb (Debian's python3-influxdb), the interactive
// influx shell through a pty (Debian's influxdb-client), node-influx and @influxdata/influxdb-client create, list,
// drop and use databases, then write; every point is read back from the stream.
import t, { type Test } from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { InfluxDB as NodeInflux } from 'influx';
import { InfluxDB } from '@influxdata/influxdb-client';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, readLines, startKinflux, testClient } from '../helpers/kinflux.js';

const emulator = await startKinesisLocal({ streams: { metrics: 2, app: 1 } });
const client = testClient(emulator.endpoint);
const kinflux = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_ROUTES: 'app=app' }));
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  client.destroy();
  await emulator.stop();
});
const nodeInflux = new NodeInflux({ host: '127.0.0.1', port: kinflux.port });
const stored = async (prefix: string): Promise<string[]> => (await readLines(client, 'metrics')).filter((l) => l.startsWith(prefix)).sort();

/** Whether a Debian tool is there; missing fails under CI (.ci/run installs it) and skips elsewhere. */
function have(t: Test, cmd: string, args: string[], pkg: string): boolean {
  if (spawnSync(cmd, args, { encoding: 'utf8' }).status === 0) return true;
  if (process.env.CI) t.fail(`${cmd} is missing: CI must install the Debian package ${pkg}`);
  else t.plan(0, `${cmd} not usable (Debian package ${pkg}); CI requires it`);
  return false;
}

// Debian's python3, explicitly: a pyenv python earlier on PATH would not see Debian's python3-influxdb.
const PYTHON = '/usr/bin/python3';
const PY_CLIENT = `
import json, sys
from influxdb import InfluxDBClient
c = InfluxDBClient(host='127.0.0.1', port=int(sys.argv[1]), database='pydb')
out = {}
c.create_database('pydb')  # an empty POST /query with Content-Type: application/json
out['created'] = sorted(d['name'] for d in c.get_list_database())
out['written'] = c.write_points([{'measurement': 'py', 'tags': {'host': 'a'}, 'fields': {'v': 1.5, 'n': 3}, 'time': 1700000000000000000}], time_precision='n')
c.drop_database('pydb')
out['dropped'] = sorted(d['name'] for d in c.get_list_database())
c.write_points(['py,host=b v=2 1700000000000000001'], protocol='line', time_precision='n')
out['rewritten'] = sorted(d['name'] for d in c.get_list_database())
print(json.dumps(out))
`;

t.test('python-influxdb 5.3: create_database, get_list_database, write_points, drop_database', async (t) => {
  if (!have(t, PYTHON, ['-c', 'import influxdb'], 'python3-influxdb')) return;
  const r = await promisify(execFile)(PYTHON, ['-c', PY_CLIENT, String(kinflux.port)], { timeout: 60_000 });
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  t.ok((out.created as string[]).includes('pydb'), 'the created database is listed');
  t.ok((out.created as string[]).includes('app'), 'so are the routed ones');
  t.equal(out.written, true);
  t.notOk((out.dropped as string[]).includes('pydb'), 'a dropped database is no longer listed');
  t.ok((out.rewritten as string[]).includes('pydb'), 'writing lists it again');
  t.same(await stored('py,'), ['py,host=a n=3i,v=1.5 1700000000000000000', 'py,host=b v=2 1700000000000000001']);
});

t.test('the interactive influx shell, through a pty: use fails for an unknown database, then CREATE, use, INSERT, DROP', async (t) => {
  if (!have(t, 'influx', ['-version'], 'influxdb-client')) return;
  if (!have(t, 'script', ['--version'], 'bsdutils')) return;
  const input = [
    'use shelldb',
    'CREATE DATABASE shelldb',
    'use shelldb',
    'INSERT shell,host=a v=1 1700000000000000000',
    'INSERT shell,host=b v=2 1700000000000000001',
    'DROP DATABASE shelldb',
    'exit',
    '',
  ].join('\n');
  // `script` gives the shell a terminal, so it runs in interactive mode (not -execute).
  const r = await new Promise<string>((resolve, reject) => {
    const child = execFile('script', ['-qfec', `influx -host 127.0.0.1 -port ${kinflux.port}`, '/dev/null'], { timeout: 60_000 }, (err, stdout) =>
      err ? reject(new Error(`${err.message}\n${stdout}`)) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
  t.match(r, /Connected to http:\/\/127\.0\.0\.1:\d+ version 1\.8\.10-kinflux/);
  t.match(r, /ERR: Database shelldb doesn't exist/, 'use of a database nobody created or wrote fails, as in InfluxDB');
  t.match(r, /Using database shelldb/, 'use finds the created database');
  t.match(r, /warning: kinflux stores no data, so nothing was dropped/, 'DROP DATABASE says what it did');
  t.notMatch(r.replace(/ERR: Database shelldb doesn't exist[^\n]*\n?/, ''), /ERR:/, 'no other error');
  t.same(await stored('shell,'), ['shell,host=a v=1 1700000000000000000', 'shell,host=b v=2 1700000000000000001']);
});

t.test('node-influx: createDatabase, getDatabaseNames, dropDatabase, writePoints', async (t) => {
  await nodeInflux.createDatabase('nodedb');
  t.ok((await nodeInflux.getDatabaseNames()).includes('nodedb'));
  await nodeInflux.dropDatabase('nodedb');
  t.notOk((await nodeInflux.getDatabaseNames()).includes('nodedb'));
  await nodeInflux.writePoints([{ measurement: 'node', tags: { host: 'a' }, fields: { v: 1 }, timestamp: '1700000000000000000' }], { database: 'nodedb2', precision: 'n' });
  t.ok((await nodeInflux.getDatabaseNames()).includes('nodedb2'), 'a database written to is listed');
  t.same(await stored('node,'), ['node,host=a v=1 1700000000000000000']);
});

t.test('@influxdata/influxdb-client: a bucket written to (db/rp) is listed as its database', async (t) => {
  const writeApi = new InfluxDB({ url: kinflux.url, token: 'any' }).getWriteApi('any-org', 'v2db/autogen', 'ns');
  writeApi.writeRecord('v2,host=a v=1 1700000000000000000');
  await writeApi.close();
  const names = await nodeInflux.getDatabaseNames();
  t.ok(names.includes('v2db'), `listed: ${names.join(', ')}`);
  t.notOk(names.includes('v2db/autogen'));
  t.same(await stored('v2,'), ['v2,host=a v=1 1700000000000000000']);
});
