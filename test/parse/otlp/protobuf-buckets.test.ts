// Exponential histogram bucket counts: a packed run read into a Float64Array (protobuf.ts repeatedVarint) gives the
// values and the errors, in the same order, that reading them one by one gives.
import t from 'tap';
import { decodeProtobufRequest } from '../../../src/parse/otlp/protobuf.js';
import { OtlpDecodeError, type ExpHistogramPoint } from '../../../src/parse/otlp/model.js';
import { Pb, request } from '../../kit/otlp-bodies.js';

const T = 1700000000000000000n;
const TAG_PACKED = Pb.varint((2 << 3) | 2);
const run = (vals: (number | bigint)[], extra: number[] = []): Buffer => {
  const body = Buffer.concat([...vals.map((v) => Pb.varint(v)), Buffer.from(extra)]);
  return Buffer.concat([TAG_PACKED, Pb.varint(body.length), body]);
};
const one = (v: number): Buffer => Buffer.concat([Pb.varint(2 << 3), Pb.varint(v)]);

function decode(buckets: Buffer): number[] | string {
  const dp = new Pb().fixed64(3, T).fixed64(4, 1n).sint(6, 0).bytes(8, buckets);
  try {
    const req = decodeProtobufRequest(request([], [new Pb().str(1, 'e').msg(10, new Pb().msg(1, dp))]), { maxDataPoints: 1e6 });
    const m = req.resourceMetrics[0].scopeMetrics[0].metrics[0];
    return Array.from((m.points[0] as ExpHistogramPoint).positive.bucketCounts);
  } catch (err) {
    if (err instanceof OtlpDecodeError) return err.message;
    throw err;
  }
}

t.test('packed bucket counts: values, and the errors at the bound, truncated and overlong varints', async (t) => {
  const vals = (n: number): number[] => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 300 : i % 7));
  t.same(decode(run([0, 1, 127, 128, 2 ** 40, 2 ** 53 + 2, 18446744073709551615n])), [0, 1, 127, 128, 2 ** 40, 2 ** 53 + 2, 18446744073709551615]);
  t.same(decode(run([])), []);
  t.same(decode(run(vals(4096))), vals(4096), '4,096: the bound');
  t.match(decode(run(vals(4097))), /more than 4096 buckets/);
  t.match(decode(run(vals(4096), [0x80])), /more than 4096 buckets/, 'the bound before a truncated varint');
  t.match(decode(run(vals(4095), [0x80])), /truncated/);
  t.match(decode(run(vals(10), Array(11).fill(0xff).concat([1]))), /longer than 10 bytes/);
  t.same(decode(Buffer.concat([run([1, 2]), run([3]), one(4)])), [1, 2, 3, 4], 'runs and single values add up');
  t.same(decode(Buffer.concat([one(4), run([1, 2])])), [4, 1, 2]);
  t.match(decode(Buffer.concat([run(vals(4000)), run(vals(97))])), /more than 4096 buckets/, 'the bound over two runs');
});
