// Scratch state of one scanned line: offsets into the body, reused for every line so the hot path
// allocates nothing per point.

export const T_FLOAT = 1;
export const T_INT = 2;
export const T_UINT = 3;
export const T_STRING = 4;
export const T_BOOL = 5;

export const TYPE_NAMES = ['', 'float', 'integer', 'unsigned', 'string', 'boolean'] as const;

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
  /** Per field: hash of its unescaped key (set by consumerCheck; emit's duplicate check uses it). */
  fieldHash = new Int32Array(32);
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
   * Set by walkFieldsExact: the first value InfluxDB's storage engine cannot parse (its start, and
   * the reason), reported after the timestamp's checks, as influxd's parser checks that first.
   */
  badValueAt = -1;
  badValueReason = '';
  /** Set by consumerCheck: every field key's canonical spelling is its bytes as written. */
  keysAsWritten = true;
  /** Error position and InfluxDB reason when the line is rejected. */
  errPos = 0;
  reason = '';
  /** The likely cause and its fix, for the user (not part of InfluxDB's reason); '' when none. */
  hint = '';

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
    const h = new Int32Array(this.fieldHash.length * 2);
    h.set(this.fieldHash);
    this.fieldHash = h;
  }

  fail(pos: number, reason: string, hint = ''): false {
    this.errPos = pos;
    this.reason = reason;
    this.hint = hint;
    return false;
  }
}
