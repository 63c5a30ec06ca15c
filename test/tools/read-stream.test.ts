// `kinflux read` prints what is in a stream without letting a record drive the terminal or take the memory.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { MAX_INFLATED_BYTES, escapeControls, formatRecord } from '../../src/tools/read-stream.js';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { CLI, emulatorEnv, testClient } from '../helpers/kinflux.js';

const HOSTILE = 'evil,host=a msg="\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b31m\x00\x7f" 1\n';

t.test('escapeControls: ESC, BEL, CSI, NUL, DEL and C1 are escaped; newline, tab and text stay', async (t) => {
  t.equal(escapeControls('a\tb\nc'), 'a\tb\nc');
  t.equal(escapeControls('\x1b]0;t\x07'), '\\x1b]0;t\\x07');
  t.equal(escapeControls('\x1b[2J\x9b2J\x85'), '\\x1b[2J\\u009b2J\\u0085');
  t.equal(escapeControls('\x00\r\x7f'), '\\x00\\x0d\\x7f');
  t.equal(escapeControls('héllo ✓ 日本'), 'héllo ✓ 日本', 'printable non-ASCII is kept');
});

t.test('formatRecord: a hostile record prints no control character; a partition key cannot fake a line', async (t) => {
  const out = formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k\n\x1b[2J', data: Buffer.from(HOSTILE) }, 'none');
  t.notMatch(out, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no raw control character');
  t.equal(out.split('\n').length, 3, 'header, payload, end');
  t.match(out, /^# s seq=1 key=k\\n\\x1b\[2J bytes=\d+\n/);
  t.match(out, /\\x1b\]0;pwned\\x07\\x1b\[2J/);
});

t.test('formatRecord: inflation is bounded; a bomb is reported, not inflated', async (t) => {
  const bomb = gzipSync(Buffer.alloc(MAX_INFLATED_BYTES + 1024 * 1024));
  t.ok(bomb.length < 1024 * 1024, `the bomb fits in one Kinesis record (${bomb.length} bytes)`);
  const out = formatRecord({ shardId: 's', sequenceNumber: '1', partitionKey: 'k', data: bomb }, 'gzip');
  t.match(out, /not printed: the payload inflates beyond 67108864 bytes/);
  const fine = formatRecord({ shardId: 's', sequenceNumber: '2', partitionKey: 'k', data: gzipSync('cpu v=1 1\n') }, 'gzip');
  t.match(fine, /\ncpu v=1 1\n$/);
  const garbage = formatRecord({ shardId: 's', sequenceNumber: '3', partitionKey: 'k', data: Buffer.from('not gzip') }, 'gzip');
  t.match(garbage, /not printed: cannot decompress as gzip/);
});

t.test('kinflux read against a stream holding a hostile record and a bomb', async (t) => {
  const emulator = await startKinesisLocal({ streams: { evil: 1 } });
  const client = testClient(emulator.endpoint);
  t.teardown(async () => {
    client.destroy();
    await emulator.stop();
  });
  await client.send(new PutRecordCommand({ StreamName: 'evil', PartitionKey: 'a', Data: gzipSync(HOSTILE) }));
  await client.send(new PutRecordCommand({ StreamName: 'evil', PartitionKey: 'b', Data: gzipSync(Buffer.alloc(MAX_INFLATED_BYTES * 2)) }));
  const env = { PATH: process.env.PATH ?? '', ...emulatorEnv(emulator.endpoint, 'evil', { KINFLUX_COMPRESSION: 'gzip' }), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const r = await promisify(execFile)(process.execPath, ['--max-old-space-size=256', CLI, 'read'], { env, timeout: 60_000 });
  t.notMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'stdout carries no raw control character');
  t.match(r.stdout, /evil,host=a msg="\\x1b\]0;pwned\\x07/);
  t.match(r.stdout, /not printed: the payload inflates beyond/, 'the 128 MiB bomb is refused under a 256 MiB heap');
});
