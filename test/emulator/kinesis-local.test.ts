import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';

t.test('starts with its streams active and stops', async (t) => {
  const k = await startKinesisLocal({ streams: { one: 1, two: 2 } });
  t.match(k.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  await k.stop();
  t.not(k.process.exitCode === null && k.process.signalCode === null, true, 'process is gone');
});
