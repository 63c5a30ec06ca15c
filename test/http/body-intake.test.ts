// bodyIntake in process, on a plain stream standing in for the request: what it passes on, what it charges, and
// how it cuts a body off. The cut-off destroys the source as well (issue 20): Node's parser goes on through the
// rest of the socket read it is in, and a destroyed request refuses those chunks at once instead of emitting them.
import t from 'tap';
import { PassThrough, type Readable } from 'node:stream';
import { bodyIntake, CHUNK_FLOOR_BYTES, JOIN_BYTES, TINY_CHUNKS_AFTER, type IntakeOptions } from '../../src/http/body-intake.js';

interface Run {
  source: PassThrough;
  out: Readable;
  claims: number[];
  idle: () => number;
  got: () => Buffer;
}

function intake(o: Partial<IntakeOptions> = {}): Run {
  const source = new PassThrough();
  const claims: number[] = [];
  let idle = 0;
  const out = bodyIntake(source, {
    maxBytes: 1 << 20,
    reserve: (bytes) => (claims.push(bytes), true),
    refused: () => new Error('refused'),
    idleMs: 60_000,
    onIdle: () => void idle++,
    ...o,
  });
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  out.on('error', () => undefined);
  return { source, out, claims, idle: () => idle, got: () => Buffer.concat(parts) };
}

const ended = (s: Readable): Promise<void> => new Promise((resolve) => s.once('close', resolve));

t.test('small chunks are joined and passed on whole; claims come a join buffer at a time', async (t) => {
  const r = intake();
  const body = Buffer.from('m f=1 1\n'.repeat(5000));
  for (let at = 0; at < body.length; at += 100) r.source.write(body.subarray(at, at + 100));
  r.source.end();
  await ended(r.out);
  t.same(r.got(), body, 'the body arrives unchanged');
  t.ok(r.claims.every((c) => c === JOIN_BYTES), `claims of ${JOIN_BYTES} bytes: ${r.claims.length}`);
  // 400 chunks charged at least CHUNK_FLOOR_BYTES each.
  t.ok(r.claims.length * JOIN_BYTES >= 400 * CHUNK_FLOOR_BYTES, 'every chunk charged at least the floor');
  t.equal(r.idle(), 0);
});

t.test('a claim refused fails the body with the refusal', async (t) => {
  const r = intake({ reserve: () => false });
  const err = new Promise<Error>((resolve) => r.out.once('error', resolve));
  r.source.write(Buffer.alloc(10, 'a'));
  t.equal((await err).message, 'refused');
});

t.test('chunks averaging under 8 bytes: cut off after TINY_CHUNKS_AFTER, the source destroyed, onIdle once', async (t) => {
  const r = intake();
  let written = 0;
  // As Node's parser does after a cut-off: the rest of the read goes on being pushed into the request.
  while (written < TINY_CHUNKS_AFTER + 2000 && !r.source.destroyed) {
    r.source.write(Buffer.from('a'));
    written++;
  }
  await ended(r.out);
  t.equal(r.idle(), 1, 'onIdle called once');
  t.ok(r.source.destroyed, 'the source is destroyed, so the rest of the read is refused, not emitted');
  t.ok(written <= TINY_CHUNKS_AFTER + 1, `no chunk taken after the cut-off (${written} written)`);
  t.equal(r.source.write(Buffer.from('a')), false, 'a later chunk is refused');
});

t.test('a body that stalls is cut off after about idleMs', async (t) => {
  const r = intake({ idleMs: 40 });
  r.source.write(Buffer.from('m f=1 1\n'));
  // The intake's timer is unref'd (it never holds a process open): this one keeps the test alive meanwhile.
  const keep = setInterval(() => undefined, 1000);
  await ended(r.out);
  clearInterval(keep);
  t.equal(r.idle(), 1);
  t.ok(r.source.destroyed);
});

t.test('past maxBytes the rest is passed on uncharged, for the size limit to answer 413', async (t) => {
  const r = intake({ maxBytes: 1000 });
  r.source.write(Buffer.alloc(600, 'a'));
  r.source.write(Buffer.alloc(600, 'b'));
  r.source.end();
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(r.got().length, 1200, 'both chunks passed on');
  t.equal(r.claims.length, 1, 'only the first was charged');
  t.equal(r.idle(), 0);
});
