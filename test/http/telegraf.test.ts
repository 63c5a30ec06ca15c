// Telegraf on the wire: byte-exact replays of what outputs.influxdb and outputs.influxdb_v2 send, and their
// reactions to each status (reference/telegraf.md §3): v1 counts only 204 as success, drops on 4xx, retries on 5xx;
// v2 splits a batch in half on 413 and waits Retry-After on 503.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { createStream, deleteStream, emulatorEnv, readLines, startKinflux, testClient, waitFor } from '../helpers/kinflux.js';
import { send, type Reply } from '../helpers/http.js';
import { telegrafLines } from '../kit/telegraf-lines.js';

const UA = 'Telegraf/1.36.1 Go/1.24.4';
const emulator = await startKinesisLocal({ streams: { metrics: 2, v1: 2, v2: 2, gone: 1 } });
const client = testClient(emulator.endpoint);
const kinflux = await startKinflux(
  emulatorEnv(emulator.endpoint, 'metrics', {
    KINFLUX_ROUTES: 'telegraf=v1,v2bucket=v2,gone=gone',
    KINFLUX_MAX_BODY_BYTES: '16KiB', // small, so a normal Telegraf batch meets 413
    KINFLUX_MAX_DECODED_BYTES: '16KiB',
    KINFLUX_HEALTH_INTERVAL_MS: '500',
  }),
);
t.teardown(async () => {
  await kinflux.stop('SIGKILL');
  client.destroy();
  await emulator.stop();
});

/** outputs.influxdb's write: chunked gzip, its headers, no precision. */
const v1Write = (body: string): Promise<Reply> =>
  send(kinflux.url, '/write?db=telegraf', gzipSync(body), {
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip', 'user-agent': UA },
    chunks: 3,
  });

/** What outputs.influxdb does with a response (http.go writeBatch). */
function v1Reaction(res: Reply): 'success' | 'drop' | 'retry' {
  if (res.status === 204) return 'success';
  let desc = '';
  try {
    desc = res.json<{ error?: string }>().error ?? '';
  } catch {
    return 'retry'; // a body that is not JSON is an APIError: retried
  }
  if (res.status >= 400 && res.status < 500) return 'drop';
  return /partial write|unable to parse|points beyond retention|retention policy not found/.test(desc) ? 'drop' : 'retry';
}

t.test('outputs.influxdb: CREATE DATABASE as a form POST, then a chunked gzip write', async (t) => {
  const create = await send(kinflux.url, '/query', 'q=CREATE+DATABASE+%22telegraf%22', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA },
  });
  t.equal(create.status, 200);
  t.same(create.json(), { results: [{ statement_id: 0 }] }, 'results[0].error is empty: Telegraf is satisfied');
  const body = telegrafLines(40, 7);
  const res = await v1Write(body);
  t.equal(v1Reaction(res), 'success', res.text);
  t.same((await readLines(client, 'v1')).sort(), body.trimEnd().split('\n').sort());
});

t.test('outputs.influxdb: a bad line is a partial write that Telegraf drops, with the valid lines stored', async (t) => {
  const res = await v1Write('partial,host=a v=1 1\npartial,host=b v=\n');
  t.equal(res.status, 400);
  t.equal(v1Reaction(res), 'drop');
  t.ok((await readLines(client, 'v1')).includes('partial,host=a v=1 1'));
});

t.test('outputs.influxdb: an oversized batch gets 413, which Telegraf drops rather than resends forever', async (t) => {
  const res = await v1Write(telegrafLines(5000, 9));
  t.equal(res.status, 413);
  t.equal(v1Reaction(res), 'drop');
});

t.test('outputs.influxdb: while the stream is gone writes get 503, Telegraf retries, and the retry lands', async (t) => {
  await deleteStream(client, 'gone');
  await waitFor(async () => (await send(kinflux.url, '/health')).status === 503);
  const body = 'retry,host=a v=1 1\n';
  const write = (): Promise<Reply> =>
    send(kinflux.url, '/write?db=gone', gzipSync(body), { headers: { 'content-encoding': 'gzip', 'user-agent': UA } });
  const first = await write();
  t.equal(first.status, 503);
  t.equal(v1Reaction(first), 'retry');
  await createStream(client, 'gone');
  await waitFor(async () => (await send(kinflux.url, '/health')).status === 200);
  const second = await write();
  t.equal(v1Reaction(second), 'success', second.text);
  t.same(await readLines(client, 'gone'), ['retry,host=a v=1 1']);
});

/** outputs.influxdb_v2: gzip, Token auth; on 413 split in half and resend; on 503 wait Retry-After. */
async function v2Write(lines: string[], log: number[]): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const res = await send(kinflux.url, '/api/v2/write?bucket=v2bucket&org=my-org', gzipSync(lines.join('\n') + '\n'), {
      headers: { authorization: 'Token t', 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip', 'user-agent': UA },
    });
    log.push(res.status);
    if (res.status >= 200 && res.status < 300) return;
    if (res.status === 413 && lines.length > 1) {
      const half = Math.ceil(lines.length / 2);
      await v2Write(lines.slice(0, half), log);
      await v2Write(lines.slice(half), log);
      return;
    }
    if (res.status === 503 || res.status === 429) {
      await new Promise((r) => setTimeout(r, Number(res.headers['retry-after'] ?? 1) * 1000));
      continue;
    }
    throw new Error(`v2 write dropped with ${res.status}: ${res.text}`);
  }
  throw new Error('v2 write gave up');
}

t.test('outputs.influxdb_v2: 413 makes Telegraf split the batch until it fits, and nothing is lost', async (t) => {
  const lines = telegrafLines(3000, 11).trimEnd().split('\n');
  const log: number[] = [];
  await v2Write(lines, log);
  t.ok(log.includes(413), 'the first attempt was too large');
  t.ok(log.filter((s) => s === 204).length > 1, 'split into several accepted writes');
  t.same((await readLines(client, 'v2')).sort(), [...lines].sort(), 'every line stored once');
});
