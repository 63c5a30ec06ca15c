// Admission seen by a client: a write too large for one shard within the delivery deadline gets 413 with
// what fits (Telegraf's v2 output splits on 413): the lines once parsed, or the bytes when its Content-Length
// decides it before the body is read; nothing of it reaches the stream, and a write of that size gets 204. Against the Kinesis stand-in (real per-shard limits).
import t from 'tap';
import { startKinesisStandin } from '../kit/kinesis-standin.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';

const standin = await startKinesisStandin({ streams: { one: 1 } });
t.teardown(() => standin.close());
const kinflux = await startKinflux(emulatorEnv(standin.endpoint, 'one', { KINFLUX_DELIVERY_TIMEOUT_MS: '4000' }));
t.teardown(() => kinflux.stop());

// 6 MiB of one series: one shard takes 1 MiB/s, so no 4 s deadline can fit it.
const lines = Array.from({ length: 48_000 }, (_, i) => `big,host=a v=${i}i,pad="${'x'.repeat(100)}" ${1_000_000 + i}`);

t.test('413 naming the lines that fit, on both APIs; nothing stored', async (t) => {
  for (const path of ['/write?db=one', '/api/v2/write?bucket=one']) {
    const res = await fetch(`${kinflux.url}${path}`, { method: 'POST', body: lines.join('\n') });
    const text = await res.text();
    t.equal(res.status, 413, `${path}: ${text.slice(0, 200)}`);
    t.match(text, /send at most (\d+ lines|about \d+ bytes)/);
  }
  t.equal(standin.stats('one').acceptedRecords, 0);
});

t.test('the size named gets 204', async (t) => {
  const res = await fetch(`${kinflux.url}/write?db=one`, { method: 'POST', body: lines.join('\n') });
  const named = /send at most (?:(\d+) lines|about (\d+) bytes)/.exec(await res.text());
  let fit = Number(named?.[1] ?? 0);
  // Named in bytes: the lines that fit in them, newlines included.
  for (let bytes = 0; !named?.[1] && fit < lines.length && bytes + lines[fit].length + 1 <= Number(named?.[2]); fit++) bytes += lines[fit].length + 1;
  t.ok(fit > 1000, `fits: ${fit} lines`);
  const ok = await fetch(`${kinflux.url}/write?db=one`, { method: 'POST', body: lines.slice(0, fit).join('\n') });
  t.equal(ok.status, 204, await ok.text());
});
