import t from 'tap';
import { randomBytes } from 'node:crypto';
import { compressPayload, decompressPayload, worstCaseCompressedSize } from '../../src/encode/compress.js';

for (const kind of ['none', 'gzip', 'zlib'] as const) {
  t.test(`${kind}: round trip, and the worst-case bound holds for incompressible data`, async (t) => {
    const text = Buffer.from('cpu,host=a usage=1.5 1700000000000000000\n'.repeat(5000));
    const c = await compressPayload(kind, text);
    t.ok(decompressPayload(kind, c).equals(text));
    if (kind !== 'none') t.ok(c.length < text.length / 10, `compresses line protocol (${c.length})`);
    for (const n of [0, 1, 100, 16383, 16384, 1 << 20]) {
      const noise = randomBytes(n);
      const cn = await compressPayload(kind, noise);
      t.ok(cn.length <= worstCaseCompressedSize(kind, n), `${n} bytes -> ${cn.length} <= ${worstCaseCompressedSize(kind, n)}`);
    }
  });
}
