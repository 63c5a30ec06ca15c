// Data points' attribute lists by their bytes: an SDK writes the same few attribute sets, in the same order, for
// every metric of a scope (20 sets × 50 metrics in an ordinary export). The protobuf decoder keeps, per data point
// index within a metric, the bytes of the point's attribute fields (one unbroken run of KeyValue fields) and the
// list it decoded from them; the point at that index in the next metric, when its attribute fields start with the
// same bytes, takes that list instead of decoding them again. The same bytes decode to the same attributes, so the
// list is what decoding would give; the mapper's series cache (series-cache.ts) then knows the set by the list
// alone. Bounded: short runs of few attributes, the first indexes of a metric.
import type { Attributes } from './model.js';

/** Longest run kept (bytes of the attribute fields, tags included) and most attributes in it. */
const MAX_RUN = 512;
const MAX_ATTRS = 8;
/** Most data point indexes kept. */
const MAX_INDEX = 4096;

export class AttributeRuns {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly lists: Attributes[] = [];
  /** Where the run match() found ends. */
  end = 0;

  private readonly view: DataView;

  constructor(private readonly body: Uint8Array) {
    this.view = new DataView(body.buffer, body.byteOffset, body.length);
  }

  /**
   * The list of the run kept for `index` when body[at..) starts with its bytes before `limit` (the end of the
   * message being read); then `end` is where those bytes end. Undefined otherwise (nothing read).
   */
  match(index: number, at: number, limit: number): Attributes | undefined {
    if (index >= this.lists.length) return undefined;
    const s = this.starts[index], n = this.ends[index] - s;
    if (at + n > limit) return undefined;
    // Four bytes per step: this runs for every data point.
    const v = this.view;
    let k = 0;
    for (; k + 4 <= n; k += 4) if (v.getInt32(at + k, true) !== v.getInt32(s + k, true)) return undefined;
    const b = this.body;
    for (; k < n; k++) if (b[at + k] !== b[s + k]) return undefined;
    this.end = at + n;
    return this.lists[index];
  }

  /** Keeps body[s..e), the whole of a data point's attribute fields, as the bytes of `list`, for `index`. */
  record(index: number, s: number, e: number, list: Attributes): void {
    if (index >= MAX_INDEX || index > this.lists.length || e - s > MAX_RUN || list.length > 4 * MAX_ATTRS) return;
    this.starts[index] = s;
    this.ends[index] = e;
    this.lists[index] = list;
  }
}
