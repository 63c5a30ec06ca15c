// The parse thread of the built server (dist/: the worker file exists only there). A body moves to the thread
// without a copy when it owns its buffer; a gzip body inflated into its trailer-sized buffer (one byte longer than
// the body, decode/body.ts) moves too, and comes back as the same bytes.
import t from 'tap';
import { gzipSync } from 'node:zlib';

type OffThread = typeof import('../../src/parse/off-thread.js');
type Body = typeof import('../../src/decode/body.js');
const dist = (p: string): string => new URL(`../../dist/${p}`, import.meta.url).href;

t.test('a large gzip body moves to the parse thread without a copy, and comes back whole', async (t) => {
  const { BodyParser, OFF_THREAD_BYTES } = (await import(dist('parse/off-thread.js'))) as OffThread;
  const { decodeBody } = (await import(dist('decode/body.js'))) as Body;
  const lines = Array.from({ length: 60_000 }, (_, i) => `cpu,host=h${i % 50} value=${i}i ${i}\n`).join('');
  const text = Buffer.from(lines);
  t.ok(text.length >= OFF_THREAD_BYTES, 'large enough for the thread');
  const body = await decodeBody(gzipSync(text), 'gzip', 64 << 20);
  t.equal(body.buffer.byteLength, body.length + 1, 'inflated into the trailer-sized buffer');
  const parser = new BodyParser();
  const parsed = await parser.parse(body, { precision: 'ns', receivedAtNs: 0n, allowUnsigned: false, allowCRLF: false, maxErrors: 10, maxLines: 1e6 });
  t.equal(body.buffer.byteLength, 0, 'the buffer moved to the thread (detached here), not copied');
  t.equal(parsed.points.count, 60_000);
  t.equal(parsed.body.length, text.length, 'the body came back at its own length, not its buffer\'s');
  t.ok(parsed.body.equals(text));
});
