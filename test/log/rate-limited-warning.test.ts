import t from 'tap';
import { RateLimitedWarning } from '../../src/log/rate-limited-warning.js';

t.test('logs once per interval with the count of what it held back', async (t) => {
  const logged: Array<Record<string, unknown>> = [];
  const noop = (): void => {};
  const logger = { debug: noop, info: noop, error: noop, warn: (o: object | string) => void logged.push(o as Record<string, unknown>) };
  const w = new RateLimitedWarning(logger, 'retrying', 50);
  w.note({ code: 'ProvisionedThroughputExceededException' });
  for (let i = 0; i < 99; i++) w.note({ code: 'ProvisionedThroughputExceededException' });
  t.equal(logged.length, 1, 'the first occurrence is logged at once, the rest held back');
  await new Promise((r) => setTimeout(r, 60));
  w.note({ code: 'InternalFailure' });
  t.equal(logged.length, 2);
  t.equal(logged[1].occurrences, 100, 'the held-back count comes with the next line');
});
