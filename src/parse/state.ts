// Parse state, passed explicitly: LineState is what scan.ts produces for one line (offsets into the
// body, reused for every line so the hot path allocates nothing per point); ParseScratch is every
// reusable array of one parse thread, shrunk in one place after a parse.

export const T_FLOAT = 1;
export const T_INT = 2;
export const T_UINT = 3;
export const T_STRING = 4;
export const T_BOOL = 5;

export const TYPE_NAMES = Object.freeze(['', 'float', 'integer', 'unsigned', 'string', 'boolean'] as const);

/** Entries of a scratch array kept between parses; a line that grew one past this gives it back. */
const SCRATCH_KEEP = 1 << 14;

export class LineState {
  buf: Buffer = Buffer.alloc(0);
  /** Block bounds after leading whitespace: [start, end). */
  start = 0;
  end = 0;
  /** End of the escaped measurement. */
  mEnd = 0;
  /** End of measurement plus tags (the series key as written). */
  keyEnd = 0;
  nTags = 0;
  /** Per tag: key start, key end, value start, value end. */
  tags = new Int32Array(64);
  tagsSorted = true;
  fStart = 0;
  fEnd = 0;
  nFields = 0;
  /** Per field: key start, key end, value start, value end. */
  fields = new Int32Array(128);
  ftypes = new Uint8Array(32);
  tsStart = 0;
  tsEnd = 0;
  /** Canonical ns text when the timestamp had to be converted; '' when the bytes can be copied. */
  tsText = '';
  /**
   * A backslash somewhere in the measurement / in the fields: those take the exact slow path.
   * bsFields is also set when a part of the fields between commas holds a second '=' (fieldsOdd:
   * `f="a"=1`, `,f="=1`): the field keys and values then come from InfluxDB's iterator rules (fields.ts).
   */
  bsMeasurement = false;
  bsFields = false;
  fieldsOdd = false;
  /**
   * The first value InfluxDB's storage engine cannot parse (its start, and the reason; walkFieldsExact),
   * reported after the timestamp's checks, as influxd's parser checks that first.
   */
  badValueAt = -1;
  badValueReason = '';
  /** Error position and InfluxDB reason when the line is rejected. */
  errPos = 0;
  reason = '';
  /** The likely cause and its fix, for the user (not part of InfluxDB's reason); '' when none. */
  hint = '';
  /** Tag sort scratch (scan.ts): tag indices and the records in sorted order; grown on first use. */
  order = new Int32Array(0);
  orderTmp = new Int32Array(0);
  sortedRecs = new Int32Array(0);

  growTags(): void {
    const t = new Int32Array(this.tags.length * 2);
    t.set(this.tags);
    this.tags = t;
  }

  growFields(): void {
    const f = new Int32Array(this.fields.length * 2);
    f.set(this.fields);
    this.fields = f;
    const t = new Uint8Array(this.ftypes.length * 2);
    t.set(this.ftypes);
    this.ftypes = t;
  }

  fail(pos: number, reason: string, hint = ''): false {
    this.errPos = pos;
    this.reason = reason;
    this.hint = hint;
    return false;
  }
}

/** Most fields the fast path takes in one line; longer lines go to the exact path (hashing, linear). */
export const FAST_FIELDS = 256;

/** Every reusable array of one parse thread. parseLines takes one; its caller keeps it (one per thread). */
export class ParseScratch {
  /** The scanned line (scan.ts writes it, consumers.ts and emit.ts read it). */
  line = new LineState();
  /** Per field: hash of its unescaped key (consumerCheck's output; emit's duplicate check reads it). */
  keyHashes = new Int32Array(32);
  /** Seed of the key hashes, random per scratch: field keys cannot be chosen to collide in emit's table. */
  readonly hashSeed = (Math.random() * 0x100000000) >>> 0;
  /** emit.ts: keep mask per field (0 = dropped), the field whose value a kept slot takes, signatures of the first 8 keys. */
  keep = new Uint8Array(64);
  source = new Int32Array(64);
  readonly sig = new Int32Array(8);
  /** emit.ts: open-addressing table of first occurrences (field index + 1) and each entry's key hash. */
  table = new Int32Array(64);
  tableHash = new Int32Array(64);
  /** fast.ts: per field key of the current line, its start and signature. */
  keyStart = new Int32Array(64);
  keySig = new Int32Array(64);
  /** fast.ts: boolean values of the current line to respell: start, end, which. At most one per field. */
  readonly rwAt = new Int32Array(FAST_FIELDS + 1);
  readonly rwEnd = new Int32Array(FAST_FIELDS + 1);
  readonly rwTrue = new Uint8Array(FAST_FIELDS + 1);

  /** Room for n field hashes. */
  hashesFor(n: number): Int32Array {
    if (this.keyHashes.length < n) this.keyHashes = new Int32Array(Math.max(n, this.keyHashes.length * 2));
    return this.keyHashes;
  }

  growKeys(): void {
    const s = new Int32Array(this.keyStart.length * 2);
    s.set(this.keyStart);
    this.keyStart = s;
    const g = new Int32Array(this.keySig.length * 2);
    g.set(this.keySig);
    this.keySig = g;
  }

  /** Gives back what one huge line grew, so it is not kept for the life of the thread. */
  shrink(): void {
    const st = this.line;
    if (st.fields.length > SCRATCH_KEEP || st.tags.length > SCRATCH_KEEP) this.line = new LineState();
    if (st.order.length > SCRATCH_KEEP) { st.order = new Int32Array(0); st.orderTmp = new Int32Array(0); }
    if (st.sortedRecs.length > SCRATCH_KEEP * 4) st.sortedRecs = new Int32Array(0);
    if (this.keyHashes.length > SCRATCH_KEEP) this.keyHashes = new Int32Array(32);
    if (this.keep.length > SCRATCH_KEEP) { this.keep = new Uint8Array(64); this.source = new Int32Array(64); }
    if (this.table.length > SCRATCH_KEEP * 2) { this.table = new Int32Array(64); this.tableHash = new Int32Array(64); }
    if (this.keyStart.length > SCRATCH_KEEP) { this.keyStart = new Int32Array(64); this.keySig = new Int32Array(64); }
  }
}
