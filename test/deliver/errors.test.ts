// Refusals are answers, not faults: built without a stack trace (its capture was a tenth of an early 503's CPU).
import t from 'tap';
import { DeliveryError, answer } from '../../src/deliver/errors.js';

t.test('answer() builds an error without stack frames and leaves the stack trace limit as it was', (t) => {
  const before = Error.stackTraceLimit;
  const e = answer(() => new DeliveryError('overloaded', 'metrics', undefined, 3));
  t.ok(e instanceof DeliveryError);
  t.equal(e.reason, 'overloaded');
  t.equal(e.retryAfterSeconds, 3);
  t.notMatch(e.stack ?? '', /\n\s+at /, 'no frames');
  t.equal(Error.stackTraceLimit, before);
  t.throws(() => answer(() => {
    throw new Error('x');
  }));
  t.equal(Error.stackTraceLimit, before, 'restored after a throw too');
  t.match(new Error('fault').stack ?? '', /\n\s+at /, 'other errors keep their stack');
  t.end();
});
