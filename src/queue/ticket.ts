// A ticket is one submit waiting for its points: it counts the records holding them and resolves
// when the last one is accepted, or is rejected once (deadline, queue trouble, shutdown).
import type { Holder } from '../encode/record-packer.js';

export class Ticket implements Holder {
  /** Records holding points of this ticket, not yet accepted. */
  private pending = 0;
  private done = false;
  readonly promise: Promise<void>;
  private resolveFn!: () => void;
  private rejectFn!: (err: Error) => void;
  /** Deadline timer, cleared on settle. */
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly points: number,
    private readonly onSettle: (t: Ticket) => void,
  ) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
  }

  /** True once answered either way: its records need no longer be delivered for its sake. */
  get settled(): boolean {
    return this.done;
  }

  hold(): void {
    this.pending++;
  }

  /** One record holding this ticket's points was accepted by Kinesis. */
  recordAccepted(): void {
    this.pending--;
    if (this.pending <= 0) this.settle(undefined);
  }

  /** Resolves now if no record holds its points (empty batch, or every point was oversized). */
  resolveIfEmpty(): void {
    if (this.pending <= 0) this.settle(undefined);
  }

  fail(err: Error): void {
    this.settle(err);
  }

  private settle(err: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.onSettle(this);
    if (err) this.rejectFn(err);
    else this.resolveFn();
  }
}
