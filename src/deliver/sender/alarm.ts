// One timer that fires at the earliest time asked of it: the sender's wake-ups (backoff, pacing) and its
// idle-pipe seal each need "at T, unless already due sooner", and a later request must never delay an earlier one.
export class Alarm {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(private readonly fire: () => void) {}

  /** Fires at `at` (ms since the epoch) unless already set to fire sooner; a non-finite `at` asks nothing. */
  set(at: number): void {
    if (!Number.isFinite(at) || (this.timer && this.at <= at)) return;
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.fire();
    }, Math.max(0, at - Date.now()));
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
