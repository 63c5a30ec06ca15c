// `kinflux read` prints what is in a stream without letting a record drive the terminal or take the memory.
import t from 'tap';
import { deflateSync, gzipSync } from 'node:zlib';
import { MAX_INFLATED_BYTES, detectCompression, escapeControls, formatRecord, viewRecord } from '../../src/cli/record-text.js';
import { deaggregate } from '../../src/cli/kpl-deaggregate.js';
import { KplAggregate } from '../../src/encode/kpl-format.js';
import { agg } from '../encode/kpl-deagg.js';

const HOSTILE = 'evil,host=a msg="\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b31m\x00\x7f" 1\n';

t.test('escapeControls: ESC, BEL, CSI, NUL, DEL and C1 are escaped; newline, tab and text stay', async (t) => {
  t.equal(escapeControls('a\tb\nc'), 'a\tb\nc');
  t.equal(escapeControls('\x1b]0;t\x07'), '\\x1b]0;t\\x07');
  t.equal(escapeControls('\x1b[2J\x9b2J\x85'), '\\x1b[2J\\u009b2J\\u0085');
  t.equal(escapeControls('\x00\r\x7f'), '\\x00\\x0d\\x7f');
  t.equal(escapeControls('héllo ✓ 日本'), 'héllo ✓ 日本', 'printable non-ASCII is kept');
});

t.test('formatRecord: a hostile record prints no control character; a partition key cannot fake a line', async (t) => {
  const out = formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k\n\x1b[2J', data: Buffer.from(HOSTILE) });
  t.notMatch(out, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no raw control character');
  t.equal(out.split('\n').length, 3, 'header, payload, end');
  t.match(out, /^# s seq=1 key=k\\n\\x1b\[2J bytes=\d+\n/);
  t.match(out, /\\x1b\]0;pwned\\x07\\x1b\[2J/);
});

t.test('formatRecord: inflation is bounded; a bomb is reported, not inflated', async (t) => {
  const bomb = gzipSync(Buffer.alloc(MAX_INFLATED_BYTES + 1024 * 1024));
  t.ok(bomb.length < 1024 * 1024, `the bomb fits in one Kinesis record (${bomb.length} bytes)`);
  const out = formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: bomb });
  t.match(out, /not printed: the payload inflates beyond 67108864 bytes/);
  const zbomb = formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: deflateSync(Buffer.alloc(MAX_INFLATED_BYTES + 1)) });
  t.match(zbomb, /not printed: the payload inflates beyond 67108864 bytes/, 'a zlib bomb too');
  const fine = formatRecord({ shardId: 's', sequenceNumber: '2', partitionKey: 'k', data: gzipSync('cpu v=1 1\n') });
  t.match(fine, /^# s seq=2 key=k bytes=\d+ gzip\ncpu v=1 1\n$/);
  const broken = gzipSync('cpu v=1 1\n').subarray(0, 12);
  t.match(formatRecord({ shardId: 's', sequenceNumber: '3', partitionKey: 'k', data: broken }), /not printed: cannot decompress as gzip/);
});

t.test('compression is found by magic bytes, whatever KINFLUX_COMPRESSION says', async (t) => {
  const lp = Buffer.from('cpu,host=a v=1 1\n');
  t.equal(detectCompression(gzipSync(lp)), 'gzip');
  for (const level of [0, 1, 6, 9]) t.equal(detectCompression(deflateSync(lp, { level })), 'zlib', `zlib level ${level}`);
  t.equal(detectCompression(lp), 'none');
  t.equal(viewRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: deflateSync(lp) }).payload, lp.toString());
  // Text that starts like a zlib header (x^ is one) but does not inflate is printed as it is.
  const lookalike = Buffer.from('x^y v=1 1\n');
  t.equal(detectCompression(lookalike), 'zlib');
  t.equal(formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: lookalike }), '# s seq=1 key=k bytes=10\nx^y v=1 1\n');
});

t.test('KPL aggregates are de-aggregated with their MD5 checked; aws-kinesis-agg agrees', async (t) => {
  const a = new KplAggregate();
  a.add('cpu,host=a', Buffer.from('cpu,host=a v=1 1\n'));
  a.add('cpu,host=b', Buffer.from('cpu,host=b v=2 2\n'));
  a.add('cpu,host=a', Buffer.from('cpu,host=a v=3 3\n'));
  const data = a.build();
  const mine = deaggregate(data);
  if (!mine.ok) throw new Error(mine.reason);
  t.same(
    mine.records.map((r) => [r.partitionKey, r.data.toString()]),
    [
      ['cpu,host=a', 'cpu,host=a v=1 1\n'],
      ['cpu,host=b', 'cpu,host=b v=2 2\n'],
      ['cpu,host=a', 'cpu,host=a v=3 3\n'],
    ],
  );
  // The reference reader, on a record with explicit hash keys and tags (what the KPL itself writes).
  const ra = new agg.RecordAggregator();
  ra.addUserRecord({ partitionKey: 'p1', explicitHashKey: '123', data: Buffer.from('one') });
  ra.addUserRecord({ partitionKey: 'p2', data: Buffer.from('two') });
  const ref = ra.build().data;
  const theirs = deaggregate(ref);
  if (!theirs.ok) throw new Error(theirs.reason);
  t.same(theirs.records.map((r) => [r.partitionKey, r.explicitHashKey, r.data.toString()]), [['p1', '123', 'one'], ['p2', undefined, 'two']]);

  t.equal(formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data }), `# s seq=1 key=k bytes=${data.length} kpl=3\ncpu,host=a v=1 1\ncpu,host=b v=2 2\ncpu,host=a v=3 3\n`);
  const bad = Buffer.from(data);
  bad[10] ^= 1;
  t.match(formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: bad }), /not printed: KPL aggregate with a bad MD5/);
  // A truncated protobuf whose MD5 matches (a hostile producer) is refused, not read past its end.
  const proto = Buffer.from([0x1a, 0x7f, 0x08]);
  const { createHash } = await import('node:crypto');
  const forged = Buffer.concat([data.subarray(0, 4), proto, createHash('md5').update(proto).digest()]);
  t.match(formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: forged }), /not printed: broken KPL aggregate: protobuf: message truncated/);
});
