// Warnings that can fire per record or per request (throttling, retries, 503s) are logged at most once per interval, with a count,
// so a throttled stream tells operators what happens without flooding the log.
import type { Logger } from './logger.js';

export class RateLimitedWarning {
  private last = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly intervalMs = 10_000,
    private readonly level: 'warn' | 'error' = 'warn',
  ) {}

  note(fields: Record<string, unknown>, count = 1): void {
    this.suppressed += count;
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.logger[this.level]({ ...fields, occurrences: this.suppressed, perSeconds: this.intervalMs / 1000 }, this.message);
    this.last = now;
    this.suppressed = 0;
  }
}
