import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettingError, helpText, loadSettings } from '../../src/config/settings.js';
import { SETTINGS } from '../../src/config/schema.js';

t.test('defaults: local mode with the embedded emulator and the contract defaults', async (t) => {
  const s = loadSettings({});
  t.equal(s.embedded, true);
  t.equal(s.stream, 'metrics');
  t.equal(s.http.port, 8086);
  t.equal(s.http.host, '127.0.0.1', 'local mode listens on loopback unless KINFLUX_HOST says otherwise');
  t.equal(loadSettings({ AWS_REGION: 'eu-west-1', KINFLUX_STREAM: 'm' }).http.host, '0.0.0.0', 'with AWS: the contract default');
  t.equal(loadSettings({ KINFLUX_HOST: '0.0.0.0' }).http.host, '0.0.0.0', 'an explicit host wins');
  t.same(s.delivery.partitionKey, { method: 'series' });
  t.equal(s.delivery.recordFormat, 'line');
  t.equal(s.delivery.aggregation, 'lines');
  t.equal(s.delivery.compression, 'none');
  t.ok(s.delivery.deliveryTimeoutMs < 5000, "delivery deadline is below Telegraf's 5 s timeout");
  t.equal(s.http.maxBodyBytes, 32 * 1024 * 1024);
  t.same(s.http.authTokens, []);
});

t.test('AWS mode needs a stream', async (t) => {
  t.throws(() => loadSettings({ AWS_REGION: 'eu-west-1' }), { message: /KINFLUX_STREAM is required/ });
  const s = loadSettings({ AWS_REGION: 'eu-west-1', KINFLUX_STREAM: 'arn:aws:kinesis:eu-west-1:123456789012:stream/m' });
  t.equal(s.embedded, false);
  t.equal(s.kinesis.region, 'eu-west-1');
});

t.test('routes, partition keys and sizes parse', async (t) => {
  const s = loadSettings({
    KINFLUX_ROUTES: 'db1=streamA, db2=streamB',
    KINFLUX_STRICT_ROUTES: 'true',
    KINFLUX_PARTITION_KEY: 'tag:host:unknown',
    KINFLUX_QUEUE_MAX_BYTES: '16MiB',
    KINFLUX_AUTH_TOKENS: 'a, b',
  });
  t.same([...s.routes], [['db1', 'streamA'], ['db2', 'streamB']]);
  t.equal(s.strictRoutes, true);
  t.same(s.delivery.partitionKey, { method: 'tag', tag: 'host', default: 'unknown' });
  t.same(loadSettings({ KINFLUX_PARTITION_KEY: 'tag:host' }).delivery.partitionKey, { method: 'tag', tag: 'host', default: 'telegraf' });
  t.same(loadSettings({ KINFLUX_PARTITION_KEY: 'static:k:1' }).delivery.partitionKey, { method: 'static', key: 'k:1' });
  t.equal(s.delivery.queueMaxBytes, 16 * 1024 * 1024);
  t.same(s.http.authTokens, ['a', 'b']);
  // auto and 0 alike: one worker per core the process may use (cluster.ts workerCount).
  t.equal(loadSettings({ KINFLUX_WORKERS: 'auto' }).workers, 0);
  t.equal(loadSettings({ KINFLUX_WORKERS: 'AUTO' }).workers, 0);
  t.equal(loadSettings({ KINFLUX_WORKERS: '0' }).workers, 0);
  t.equal(loadSettings({ KINFLUX_WORKERS: '3' }).workers, 3);
});

t.test('each class of bad value names the setting and what is allowed', async (t) => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ KINFLUX_AGGREGATION: 'bogus' }, /^KINFLUX_AGGREGATION must be one of lines, none, kpl$/],
    [{ KINFLUX_PORT: '70000' }, /^KINFLUX_PORT must be a whole number from 0 to 65535/],
    [{ KINFLUX_PORT: 'http' }, /^KINFLUX_PORT must be a whole number/],
    [{ KINFLUX_PORT: 'auto' }, /^KINFLUX_PORT must be a whole number from 0 to 65535 \(got/],
    [{ KINFLUX_WORKERS: 'many' }, /^KINFLUX_WORKERS must be a whole number from 0 to 64, or auto/],
    [{ KINFLUX_STRICT_ROUTES: 'maybe' }, /^KINFLUX_STRICT_ROUTES must be true or false/],
    [{ KINFLUX_QUEUE_MAX_BYTES: 'lots' }, /^KINFLUX_QUEUE_MAX_BYTES must be a size in bytes/],
    [{ KINFLUX_ROUTES: 'db1' }, /^KINFLUX_ROUTES must be a list of db=stream pairs/],
    [{ KINFLUX_PARTITION_KEY: 'shard' }, /^KINFLUX_PARTITION_KEY must be one of series, random/],
    [{ KINFLUX_KINESIS_ENDPOINT: 'localhost:4568', KINFLUX_STREAM: 's' }, /^KINFLUX_KINESIS_ENDPOINT must be an http/],
    [{ KINFLUX_TLS_CERT: '/x.pem' }, /^KINFLUX_TLS_CERT and KINFLUX_TLS_KEY must be set together/],
    [{ KINFLUX_CONFIG: '/nonexistent/kinflux.yaml' }, /^KINFLUX_CONFIG names a file that cannot be read/],
    [{ KINFLUX_AGGREGATION: 'kpl', KINFLUX_COMPRESSION: 'gzip' }, /^KINFLUX_AGGREGATION=kpl cannot be combined with KINFLUX_COMPRESSION=gzip: the KCL/],
    [{ KINFLUX_AGGREGATION: 'kpl', KINFLUX_COMPRESSION: 'zlib' }, /^KINFLUX_AGGREGATION=kpl cannot be combined with KINFLUX_COMPRESSION=zlib/],
  ];
  for (const [env, message] of bad) t.throws(() => loadSettings(env), { name: 'Error', message }, JSON.stringify(env));
  let caught: unknown;
  try {
    loadSettings({ KINFLUX_AGGREGATION: 'bogus' });
  } catch (err) {
    caught = err;
  }
  t.type(caught, SettingError, 'a SettingError, which the CLI turns into exit code 2');
});

t.test('a config file mirrors the variables and the environment wins', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kinflux-cfg-'));
  const yaml = join(dir, 'kinflux.yaml');
  writeFileSync(yaml, 'port: 9999\nKINFLUX_AGGREGATION: none\nroutes:\n  app: app-stream\nauth_tokens: [t1, t2]\n');
  const s = loadSettings({ KINFLUX_CONFIG: yaml, KINFLUX_PORT: '8087' });
  t.equal(s.http.port, 8087, 'env wins');
  t.equal(s.delivery.aggregation, 'none');
  t.same([...s.routes], [['app', 'app-stream']]);
  t.same(s.http.authTokens, ['t1', 't2']);
  const json = join(dir, 'kinflux.json');
  writeFileSync(json, JSON.stringify({ KINFLUX_COMPRESSION: 'gzip' }));
  t.equal(loadSettings({ KINFLUX_CONFIG: json }).delivery.compression, 'gzip');
  writeFileSync(json, JSON.stringify({ colour: 'blue' }));
  t.throws(() => loadSettings({ KINFLUX_CONFIG: json }), { message: /unknown setting "colour"/ });
  writeFileSync(json, JSON.stringify({ aggregation: 'bogus' }));
  t.throws(() => loadSettings({ KINFLUX_CONFIG: json }), { message: 'KINFLUX_AGGREGATION must be one of lines, none, kpl' });
});

t.test('--help lists every setting with its default', async (t) => {
  const text = helpText();
  for (const s of SETTINGS) t.match(text, s.env);
  t.match(text, 'KINFLUX_PORT  (default: 8086)');
});
