// Names and strings that are not UTF-8, end to end: json records cannot carry them (two names would
// collapse into one "\ufffd" key, a field would vanish), so such a line is an invalid line (400 with the
// reason) before any 204; line records keep the bytes as InfluxDB does.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux, testClient } from '../helpers/kinflux.js';
import { readStream } from '../helpers/kinesis-read.js';
import { send } from '../helpers/http.js';
import { readJsonRecord } from '../helpers/json-record.js';

const k = await startKinesisLocal({ streams: { json: 1, json2: 1, line: 1 } });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());

// The rows: duplicate keys after decoding, and a field lost while the write still got 204.
const body = Buffer.from('u8,\xfe=a,\xff=b f=1i 1\nok,t=caf\xc3\xa9 f=1i 2\nu8f \xfe=1i,\xff="x" 3\n', 'latin1');

t.test('json records: lines that are not UTF-8 are rejected with the reason; the valid line is stored exactly', async (t) => {
  const kf = await startKinflux(emulatorEnv(k.endpoint, 'json', { KINFLUX_RECORD_FORMAT: 'json', KINFLUX_ROUTES: 'v2=json2' }));
  t.teardown(() => kf.stop('SIGKILL'));
  const v1 = await send(kf.url, '/write?db=x', body);
  t.equal(v1.status, 400, 'partial write: not a 204');
  t.match(v1.json<{ error: string }>().error, /partial write: .*invalid UTF-8 in a name, tag or string.*\(line 1, .*invalid UTF-8.*\(line 3, .*dropped=2/s);
  const v2 = await send(kf.url, '/api/v2/write?bucket=v2&org=o', body);
  t.equal(v2.status, 400, 'v2 rejects the whole batch');
  t.match(v2.json(), { code: 'invalid', line: 1 });
  // The line quoted is the one the point came from, after lines that are not points (NUL-only, a bad one).
  const after = await send(kf.url, '/write?db=x', Buffer.from('\0\nbad\nok f=1i 5\n\t\nu8 \xfe=1i 6\n', 'latin1'));
  t.match(after.json<{ error: string }>().error, /\(line 2, .*invalid UTF-8.*\(line 5, column 1\).*dropped=2/s);
  const utf8 = await send(kf.url, '/write?db=x', 'ok,t=Grüße\\ 🌍 s="ünï\\"cödé" 4');
  t.equal(utf8.status, 204, 'valid UTF-8 of any script is fine');
  t.equal(await kf.stop('SIGTERM'), 0);

  const points = (await readStream(client, 'json')).flatMap((r) => readJsonRecord(r.data));
  t.same(
    points.map((p) => [p.measurement, p.tags, p.fields, p.timestamp]),
    [
      ['ok', [['t', 'café']], [['f', { type: 'integer', value: 1n }]], 2n],
      ['ok', [], [['f', { type: 'integer', value: 1n }]], 5n],
      ['ok', [['t', 'Grüße 🌍']], [['s', { type: 'string', value: 'ünï"cödé' }]], 4n],
    ],
  );
  t.same(await readStream(client, 'json2'), [], 'nothing of the rejected v2 batch was written');
});

t.test('line records: the bytes pass through as InfluxDB keeps them', async (t) => {
  const kf = await startKinflux(emulatorEnv(k.endpoint, 'line'));
  t.teardown(() => kf.stop('SIGKILL'));
  const res = await send(kf.url, '/write?db=x', body);
  t.equal(res.status, 204, res.text);
  t.equal(await kf.stop('SIGTERM'), 0);
  const stored = Buffer.concat((await readStream(client, 'line')).map((r) => r.data));
  t.same(stored.toString('latin1'), body.toString('latin1'), 'byte for byte');
});
