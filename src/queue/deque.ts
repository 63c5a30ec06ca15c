// A FIFO with cheap shift and unshift (retried records go back to the front of their shard's line).
export class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  unshift(x: T): void {
    if (this.head > 0) this.items[--this.head] = x;
    else this.items.unshift(x);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    (this.items as Array<T | undefined>)[this.head] = undefined; // let it be collected
    this.head++;
    this.compact();
    return x;
  }

  /**
   * Walks the first `scan` items front to back, asking `decide` of each: `take` removes it, `keep` leaves it in
   * place, `stop` ends the walk. Kept items keep their order and their place before the rest. O(items walked).
   */
  removeWhere(scan: number, decide: (x: T) => 'take' | 'keep' | 'stop'): void {
    const end = Math.min(this.items.length, this.head + scan);
    const taken: boolean[] = [];
    let i = this.head;
    for (; i < end; i++) {
      const d = decide(this.items[i]);
      if (d === 'stop') break;
      taken.push(d === 'take');
    }
    // Close the gaps: kept items slide back towards the first item not walked.
    let w = i;
    for (let j = i - 1; j >= this.head; j--) if (!taken[j - this.head]) this.items[--w] = this.items[j];
    for (let j = this.head; j < w; j++) (this.items as Array<T | undefined>)[j] = undefined;
    this.head = w;
    this.compact();
  }

  private compact(): void {
    // Now and then, so the array does not grow forever.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i];
  }
}
