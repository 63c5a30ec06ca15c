// One worker thread that serves jobs one at a time, started on first use: the plumbing the parse thread
// (off-thread.ts) and the remote_write thread (remote-write/off-thread.ts) share. A job is posted with its
// transfer list and answered by the message that carries its id; the thread keeps the process alive only
// while a job is pending, and if it dies every pending job is rejected (the route answers 500) and the next
// job starts a new one.
import { Worker } from 'node:worker_threads';

interface Pending<R> { resolve(r: R): void; reject(e: Error): void }

export class JobThread<M extends { readonly id: number }, R> {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending<R>>();
  private nextId = 1;

  /**
   * `name` for errors; `file`: the worker's compiled script; `unpack` turns its answer into the job's result (or throws
   * its error); `maxOldGenerationSizeMb`: the thread's heap bound (its default is the main thread's).
   */
  constructor(private readonly name: string, private readonly file: string, private readonly unpack: (m: M) => R, private readonly maxOldGenerationSizeMb?: number) {}

  /** Posts the job made for a fresh id (its `transfer` buffers move to the thread) and waits for its answer. */
  run(job: (id: number) => { message: unknown; transfer: ArrayBuffer[] }): Promise<R> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    const { message, transfer } = job(id);
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage(message, transfer);
      w.ref();
    });
  }

  private start(): Worker {
    const limit = this.maxOldGenerationSizeMb;
    const w = new Worker(this.file, limit === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: limit } });
    w.unref();
    w.on('message', (m: M) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (this.pending.size === 0) w.unref();
      if (p === undefined) return;
      let r: R;
      try {
        r = this.unpack(m);
      } catch (err) {
        p.reject(err as Error);
        return;
      }
      p.resolve(r);
    });
    const fail = (err: Error): void => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`${this.name} thread exited with code ${code}`)));
    this.worker = w;
    return w;
  }
}
