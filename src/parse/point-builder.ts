// PointBuilder: structured points (from remote_write, OTLP, …) written as canonical line-protocol lines
// into the same PointBatch the parser produces, so delivery never knows which input a point came from.
// A point whose canonical line would break the one-line rule of the records (control bytes in names,
// a raw newline in a string, backslash sequences the consumers read differently) is refused by name.
// Nothing is allocated per point on the common path: tokens without special bytes are copied as they are.
import { BatchWriter, type ByteRun } from './out.js';
import type { PointBatch } from './types.js';
import { cmpBytes, spell, unspellable } from './spell.js';
import {
  Byte, CANONICAL_FALSE, CANONICAL_TRUE, K_FIELD_KEY, K_MEASUREMENT, K_STRING, K_TAG_KEY, K_TAG_VALUE,
  MAX_I64, MAX_KEY_LENGTH, MAX_NS, MAX_U64, MIN_I64, MIN_NS, isTimeKey,
} from './grammar.js';

/** Milliseconds whose ns value is inside InfluxDB's range. */
const MAX_MS = Number(MAX_NS / 1000000n);

export class PointBuilder {
  readonly out: BatchWriter;
  /** Why the point being built is refused ('' while it is fine). */
  private error = '';
  /** A field key the caller found repeated among fields it did not write (repeatedFieldKey()); '' for none. */
  private repeatedKey = '';
  /** A point is begun and not yet ended. */
  private open = false;
  private start = 0;
  private measurementLen = 0;
  private inFields = false;
  private nFields = 0;
  /** Escaped `key=value` of each tag, back to back; offsets per tag. */
  private tagBuf = Buffer.allocUnsafe(1024);
  private tagPos = 0;
  private tagStart = new Uint32Array(64);
  private tagKeyEnd = new Uint32Array(64);
  private tagEnd = new Uint32Array(64);
  private nTags = 0;
  private order = new Uint32Array(64);
  private orderTmp = new Uint32Array(64);
  /** Field keys' [start, end) in out.data, for the duplicate check. */
  private fieldKeys = new Uint32Array(32);
  /** UTF-8 of a string argument. */
  private text = Buffer.allocUnsafe(256);
  /** The last endMs() timestamp and its text (` <ns>\n`). */
  private lastMs = NaN;
  private lastMsText = Buffer.allocUnsafe(32);
  private lastMsLen = 0;
  /** The series kept by keepSeries(): its escaped measurement, its first keptTags tags in tagBuf (-1: none kept). */
  private keptMeasurement = Buffer.allocUnsafe(64);
  private keptMeasurementLen = 0;
  private keptTags = -1;
  private keptTagPos = 0;
  private keptError = '';

  constructor(out?: BatchWriter) {
    this.out = out ?? new BatchWriter(64 * 1024, 1024);
  }

  /** Starts a point; a point begun and not ended is dropped. */
  begin(): this {
    this.keptTags = -1;
    return this.reset();
  }

  /**
   * Remembers the measurement and tags given so far as a series: each beginKept() starts a point with them,
   * checked and escaped once (a native histogram's bucket points share all but one tag). Call before fields.
   */
  keepSeries(): this {
    if (this.inFields) throw new Error('PointBuilder: keepSeries() must come before fields');
    const n = this.measurementLen;
    if (n > this.keptMeasurement.length) this.keptMeasurement = Buffer.allocUnsafe(2 * n);
    this.out.data.copy(this.keptMeasurement, 0, this.start, this.start + n);
    this.keptMeasurementLen = n;
    this.keptTags = this.nTags;
    this.keptTagPos = this.tagPos;
    this.keptError = this.error;
    return this;
  }

  /** Starts a point with the kept series (keepSeries()); more tags may follow. Same lines as begin() and the same calls. */
  beginKept(): this {
    if (this.keptTags < 0) throw new Error('PointBuilder: beginKept() without keepSeries()');
    this.reset();
    if (this.keptError) return this.refuse(this.keptError);
    const n = this.keptMeasurementLen;
    const out = this.out;
    out.ensure(n);
    const d = out.data;
    const m = this.keptMeasurement;
    let p = out.pos;
    for (let i = 0; i < n; i++) d[p++] = m[i]; // short: a loop beats a native copy
    out.pos = p;
    this.measurementLen = n;
    this.nTags = this.keptTags;
    this.tagPos = this.keptTagPos;
    return this;
  }

  private reset(): this {
    if (this.open) this.out.rollback(this.start);
    this.open = true;
    this.error = '';
    this.repeatedKey = '';
    this.start = this.out.pos;
    this.measurementLen = 0;
    this.inFields = false;
    this.nFields = 0;
    this.nTags = 0;
    this.tagPos = 0;
    this.pointSeriesId = 0;
    return this;
  }

  /** The point being built has the series key bytes of every point given this nonzero id (PointBatch.seriesIds). */
  seriesId(id: number): this {
    this.pointSeriesId = id;
    return this;
  }

  private pointSeriesId = 0;

  /**
   * Starts a point whose series key the caller writes itself: room for n bytes at out.data[out.pos..], then
   * seriesWritten(). The key is a measurement then its tags, spelled, sorted and checked (OTLP's SeriesWriter).
   */
  beginSeries(n: number): this {
    this.begin();
    this.out.ensure(n + 1);
    return this;
  }

  /** The series key of beginSeries() is written up to `end`, its measurement measurementLen bytes; fields come next. */
  seriesWritten(end: number, measurementLen: number): this {
    const out = this.out;
    const len = end - out.pos;
    out.pos = end;
    this.measurementLen = measurementLen;
    this.inFields = true;
    this.seriesLen = len;
    if (len > MAX_KEY_LENGTH) return this.refuse(`max key length exceeded: series key of ${len} bytes > ${MAX_KEY_LENGTH}`);
    out.data[out.pos++] = Byte.SPACE;
    return this;
  }

  /**
   * After seriesWritten(): the one field key of the point is written (spelled and checked before: a copy of an
   * earlier point's) with its '=', ending at `end`; floatValue() comes next.
   */
  fieldKeyWritten(end: number): this {
    const out = this.out;
    this.fieldKeys[0] = out.pos;
    this.fieldKeys[1] = end - 1;
    this.nFields = 1;
    out.pos = end;
    return this;
  }

  /** The value of the field fieldKeyWritten() wrote: a finite float. */
  floatValue(v: number): this {
    if (!Number.isFinite(v)) return this.refuse(`field ${JSON.stringify(this.out.data.toString('utf8', this.fieldKeys[0], this.fieldKeys[1]))} is ${v}: line protocol has no NaN or Inf`);
    this.float(v);
    return this;
  }

  measurement(name: string): this {
    const n = this.utf8(name);
    return this.measurementBytes(this.text, 0, n);
  }

  /** The measurement from UTF-8 bytes b[s..e). Call first, once. */
  measurementBytes(b: Uint8Array, s: number, e: number): this {
    if (this.error) return this;
    if (e === s) return this.refuse('measurement is empty');
    if (b[s] === Byte.COMMENT) return this.refuse('measurement starts with "#", which line protocol reads as a comment');
    const out = this.out;
    out.ensure(3 * (e - s) + 2);
    const end = this.token(out.data, out.pos, b, s, e, K_MEASUREMENT);
    if (end < 0) return this;
    out.pos = end;
    this.measurementLen = end - this.start;
    return this;
  }

  tag(key: string, value: string): this {
    const kn = this.utf8(key);
    const vn = this.utf8(value, kn);
    return this.tagBytes(this.text, 0, kn, this.text, kn, kn + vn);
  }

  /**
   * A tag from UTF-8 bytes. An empty value drops the tag (Telegraf's serializer does the same; in
   * Prometheus an empty label value means the label is absent). Tags may come in any order.
   */
  tagBytes(kb: Uint8Array, ks: number, ke: number, vb: Uint8Array, vs: number, ve: number): this {
    if (this.error) return this;
    if (this.inFields) throw new Error('PointBuilder: tags must come before fields');
    if (ve === vs) return this;
    if (ke === ks) return this.refuse('a tag key is empty');
    const need = 3 * (ke - ks + ve - vs) + 2;
    if (this.tagPos + need > this.tagBuf.length) {
      const next = Buffer.allocUnsafe(Math.max(2 * this.tagBuf.length, this.tagPos + need));
      this.tagBuf.copy(next, 0, 0, this.tagPos);
      this.tagBuf = next;
    }
    if (this.nTags === this.tagStart.length) this.growTags();
    const t = this.nTags;
    this.tagStart[t] = this.tagPos;
    const k = this.token(this.tagBuf, this.tagPos, kb, ks, ke, K_TAG_KEY);
    if (k < 0) return this;
    this.tagKeyEnd[t] = k;
    this.tagBuf[k] = Byte.EQUALS;
    const v = this.token(this.tagBuf, k + 1, vb, vs, ve, K_TAG_VALUE);
    if (v < 0) return this;
    this.tagEnd[t] = v;
    this.tagPos = v;
    this.nTags++;
    return this;
  }

  floatField(key: string, v: number): this {
    if (!this.fieldKey(key)) return this;
    if (!Number.isFinite(v)) return this.refuse(`field ${JSON.stringify(key)} is ${v}: line protocol has no NaN or Inf`);
    this.float(v);
    return this;
  }

  intField(key: string, v: number | bigint): this {
    if (!this.fieldKey(key)) return this;
    if (typeof v === 'number' ? !Number.isSafeInteger(v) : v < MIN_I64 || v > MAX_I64) {
      return this.refuse(`field ${JSON.stringify(key)}: ${v} is not a 64-bit integer`);
    }
    this.put(`${v}i`);
    return this;
  }

  /** An integer field whose key is the UTF-8 bytes b[s..e). */
  intFieldBytes(b: Uint8Array, s: number, e: number, v: number | bigint): this {
    if (!this.fieldKeyBytes(b, s, e)) return this;
    // OTLP's start_time_unix_nano is mostly the same from point to point: its text is kept.
    if (v !== this.lastInt || this.lastIntText === '') {
      if (typeof v === 'number' ? !Number.isSafeInteger(v) : v < MIN_I64 || v > MAX_I64) {
        return this.refuse(`field ${JSON.stringify(Buffer.from(b.subarray(s, e)).toString())}: ${v} is not a 64-bit integer`);
      }
      this.lastInt = v;
      this.lastIntText = `${v}i`;
    }
    this.put(this.lastIntText);
    return this;
  }

  private lastInt: number | bigint = 0;
  private lastIntText = '';

  uintField(key: string, v: number | bigint): this {
    if (!this.fieldKey(key)) return this;
    if (typeof v === 'number' ? !Number.isSafeInteger(v) || v < 0 : v < 0n || v > MAX_U64) {
      return this.refuse(`field ${JSON.stringify(key)}: ${v} is not an unsigned 64-bit integer`);
    }
    this.put(`${v}u`);
    return this;
  }

  boolField(key: string, v: boolean): this {
    if (!this.fieldKey(key)) return this;
    this.put(v ? CANONICAL_TRUE : CANONICAL_FALSE);
    return this;
  }

  stringField(key: string, v: string): this {
    if (!this.fieldKey(key)) return this;
    const n = this.utf8(v);
    return this.stringValue(this.text, 0, n, key);
  }

  /** A string field whose value is the UTF-8 bytes b[s..e). */
  stringFieldBytes(key: string, b: Uint8Array, s: number, e: number): this {
    if (!this.fieldKey(key)) return this;
    return this.stringValue(b, s, e, key);
  }

  /** A float field whose key is the UTF-8 bytes b[s..e) (remote_write's metric name, without a string). */
  floatFieldBytes(b: Uint8Array, s: number, e: number, v: number): this {
    if (!this.fieldKeyBytes(b, s, e)) return this;
    if (!Number.isFinite(v)) return this.refuse(`field ${JSON.stringify(Buffer.from(b.subarray(s, e)).toString())} is ${v}: line protocol has no NaN or Inf`);
    this.float(v);
    return this;
  }

  /**
   * A finite float field whose key is plain: not empty, not `time`, no byte spell() escapes or refuses
   * (spell.ts plain()), so it is copied as it is. OTLP's data points of a metric share their key: checked once.
   */
  plainFloatField(key: Uint8Array, v: number): this {
    if (this.plainKey(key)) this.float(v);
    return this;
  }

  /** An int64 field (the caller checked its range) whose key is plain (as plainFloatField); its text kept as intFieldBytes keeps it. */
  plainIntField(key: Uint8Array, v: bigint): this {
    if (!this.plainKey(key)) return this;
    if (v !== this.lastInt || this.lastIntText === '') {
      this.lastInt = v;
      this.lastIntText = `${v}i`;
    }
    this.put(this.lastIntText);
    return this;
  }

  private plainKey(key: Uint8Array): boolean {
    if (!this.openFields()) return false;
    const n = key.length;
    const out = this.out;
    out.ensure(n + 2);
    const d = out.data;
    let p = out.pos;
    if (this.nFields > 0) d[p++] = Byte.COMMA;
    const ks = p;
    for (let i = 0; i < n; i++) d[p++] = key[i]; // short: a loop beats a native copy
    this.noteFieldKey(ks, p);
    d[p++] = Byte.EQUALS;
    out.pos = p;
    return true;
  }

  /** Ends the point with a timestamp in ns: '' when it was written, else why it was refused (nothing written). */
  end(timestampNs: bigint): string {
    // Points of one request mostly share their timestamp: its text is kept from the last point.
    if (timestampNs !== this.lastNs || this.lastNsText === '') {
      if (!this.error && (timestampNs < MIN_NS || timestampNs > MAX_NS)) this.refuse(`timestamp ${timestampNs} ns is outside InfluxDB's range`);
      if (!this.closeFields()) return this.drop();
      this.lastNs = timestampNs;
      this.lastNsText = ` ${timestampNs}\n`;
    } else if (!this.closeFields()) return this.drop();
    this.put(this.lastNsText);
    return this.commit();
  }

  /**
   * Ends the point with `tail` written as it is: more fields and the timestamp (`,k=v… <ns>\n`), bytes end() wrote
   * for an earlier point (OTLP's start_time_unix_nano and time repeat from point to point). The caller vouches
   * that no field key of the tail is one already written and that its timestamp is in range.
   */
  endWithTail(tail: ByteRun): string {
    if (!this.closeFields()) return this.drop();
    this.out.putRun(tail);
    return this.commit();
  }

  /** The last timestamp end() wrote (in range) and its text. */
  private lastNs = 0n;
  private lastNsText = '';

  /** Ends the point with a timestamp in ms (an integer): as end(), without a bigint. */
  endMs(timestampMs: number): string {
    if (!this.error && (!Number.isInteger(timestampMs) || Math.abs(timestampMs) > MAX_MS)) this.refuse(`timestamp ${timestampMs} ms is outside InfluxDB's range`);
    if (!this.closeFields()) return this.drop();
    const out = this.out;
    out.ensure(24);
    const d = out.data;
    // The points of a request mostly share their timestamp (a scrape's): its text is kept and copied.
    if (timestampMs !== this.lastMs) {
      const at = out.pos;
      d[out.pos++] = Byte.SPACE;
      if (timestampMs !== 0) { this.digits(timestampMs); for (let k = 0; k < 6; k++) d[out.pos++] = 48; } else d[out.pos++] = 48;
      d[out.pos++] = Byte.LF;
      const t = this.lastMsText;
      for (let k = at, j = 0; k < out.pos; k++, j++) t[j] = d[k]; // ≤ 22 bytes: a loop beats a native copy
      this.lastMs = timestampMs;
      this.lastMsLen = out.pos - at;
    } else {
      const t = this.lastMsText;
      let p = out.pos;
      for (let k = 0, n = this.lastMsLen; k < n; k++) d[p++] = t[k];
      out.pos = p;
    }
    return this.commit();
  }

  /** Points built so far (the builder may go on adding after this; take the batch once done). */
  batch(): PointBatch {
    return this.out.batch();
  }

  /** The point being built is refused already: later fields cannot change why (the first reason is kept). */
  get refused(): boolean {
    return this.error !== '';
  }

  /**
   * Refuses the point, when it is closed, as the duplicate check would for `key` (the byte-wise smallest
   * repeated field key), unless it is refused for an earlier reason (a field's value, the timestamp). For a
   * caller that found the repeat among fields it therefore skips writing, and vouches that they would have
   * been written without error: a hostile native histogram's million buckets are not written to be refused.
   */
  repeatedFieldKey(key: string): this {
    this.repeatedKey = key;
    return this;
  }

  get count(): number {
    return this.out.count;
  }

  /** A finite float in its shortest round-trip text (integral values, and most with up to 6 decimals, without a string). */
  private float(v: number): void {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) { this.out.ensure(17); this.digits(v); return; }
    if (this.fewDecimals(v)) return;
    // At most 24 characters (-1.2345678901234567e-308): copied by hand, cheaper than a native write.
    const t = Object.is(v, -0) ? '-0' : String(v);
    const out = this.out;
    out.ensure(t.length);
    const d = out.data;
    let p = out.pos;
    for (let i = 0; i < t.length; i++) d[p++] = t.charCodeAt(i);
    out.pos = p;
  }

  /**
   * Writes v (not an integer) when it is the double nearest a decimal of at most 6 decimals, between 1e-6 and 1e9
   * (a counter in seconds, a ratio): that decimal has at most 15 significant digits, and two such decimals never
   * read as the same double (DBL_DIG), so it is v's one shortest spelling, String(v)'s (which writes no exponent
   * in this range). False, writing nothing, for any other v.
   */
  private fewDecimals(v: number): boolean {
    const a = v < 0 ? -v : v;
    if (!(a >= 1e-6 && a < 1e9)) return false;
    const m = Math.round(a * 1e6);
    if (m / 1e6 !== a) return false;
    const ip = Math.floor(m / 1e6);
    let fr = m - ip * 1e6;
    if (fr <= 0 || fr >= 1e6) return false;
    let n = 6;
    while (fr % 10 === 0) { fr /= 10; n--; }
    const out = this.out;
    out.ensure(18);
    const d = out.data;
    if (v < 0) d[out.pos++] = 45;
    this.digits(ip);
    d[out.pos++] = 46;
    let p = out.pos + n;
    out.pos = p;
    for (let k = 0; k < n; k++) { const q = (fr / 10) | 0; d[--p] = 48 + fr - 10 * q; fr = q; }
    return true;
  }

  /** Writes a safe integer's decimal digits (room ensured). */
  private digits(v: number): void {
    const out = this.out;
    const d = out.data;
    if (v < 0) { d[out.pos++] = 45; v = -v; }
    // Past 1e9 (ms timestamps): the high part, then the low nine digits, each in 32-bit integer steps.
    let lo = v;
    let width = 0;
    if (v >= 1e9) {
      const hi = Math.floor(v / 1e9);
      this.digits(hi);
      lo = v - hi * 1e9;
      width = 9;
    }
    let x = lo | 0;
    let n = 1;
    for (let y = x; y >= 10; y = (y / 10) | 0) n++;
    if (n < width) n = width;
    let p = out.pos + n;
    out.pos = p;
    for (let k = 0; k < n; k++) { const q = (x / 10) | 0; d[--p] = 48 + x - 10 * q; x = q; }
  }

  /** Appends ASCII text, room ensured. */
  private put(s: string): void {
    const out = this.out;
    out.ensure(s.length);
    // Numbers and timestamps are short: a loop beats a native write.
    if (s.length > 32) { out.latin1(s); return; }
    const d = out.data;
    let p = out.pos;
    for (let i = 0; i < s.length; i++) d[p++] = s.charCodeAt(i);
    out.pos = p;
  }

  private refuse(reason: string): this {
    if (!this.error) this.error = reason;
    return this;
  }

  private drop(): string {
    this.open = false;
    const why = this.error || 'point has no fields';
    this.out.rollback(this.start);
    this.error = '';
    this.repeatedKey = '';
    return why;
  }

  private commit(): string {
    this.open = false;
    this.repeatedKey = '';
    const out = this.out;
    const seriesLen = this.seriesLen;
    out.commit(this.start, seriesLen, this.measurementLen, 0); // no body line: structured inputs refuse by name
    if (this.pointSeriesId !== 0) out.setSeriesId(out.count - 1, this.pointSeriesId);
    return '';
  }

  private seriesLen = 0;

  /** Writes the sorted tags and the space before the fields; false when the point is refused. */
  private openFields(): boolean {
    if (this.error) return false;
    if (this.inFields) return true;
    if (this.measurementLen === 0) { this.refuse('point has no measurement'); return false; }
    this.inFields = true;
    const n = this.nTags;
    const order = this.sortTags();
    const out = this.out;
    out.ensure(this.tagPos + n + 1);
    const tb = this.tagBuf;
    for (let j = 0; j < n; j++) {
      const t = order[j];
      if (j > 0 && this.sameKey(order[j - 1], t)) {
        this.refuse(`duplicate tag key ${JSON.stringify(tb.toString('utf8', this.tagStart[t], this.tagKeyEnd[t]))}`);
        return false;
      }
      if (isTimeKey(tb, this.tagStart[t], this.tagKeyEnd[t])) {
        this.refuse('tag key "time" is not allowed (InfluxDB refuses it)');
        return false;
      }
      const d = out.data;
      let p = out.pos;
      d[p++] = Byte.COMMA;
      // Tags are short: a loop beats a native copy per tag.
      for (let i = this.tagStart[t], e = this.tagEnd[t]; i < e; i++) d[p++] = tb[i];
      out.pos = p;
    }
    this.seriesLen = out.pos - this.start;
    if (this.seriesLen > MAX_KEY_LENGTH) { this.refuse(`max key length exceeded: series key of ${this.seriesLen} bytes > ${MAX_KEY_LENGTH}`); return false; }
    out.data[out.pos++] = Byte.SPACE;
    return true;
  }

  /** Checks the fields once all are written; false when the point is refused. */
  private closeFields(): boolean {
    if (this.error) return false;
    if (!this.inFields || this.nFields === 0) { this.refuse('point has no fields'); return false; }
    if (this.repeatedKey) { this.refuse(duplicateKeyText(this.repeatedKey)); return false; }
    const n = this.nFields;
    if (n > 1 && this.duplicateField(n)) return false;
    return true;
  }

  private fieldKey(key: string): boolean {
    const n = this.utf8(key);
    return this.fieldKeyBytes(this.text, 0, n);
  }

  private fieldKeyBytes(b: Uint8Array, s: number, e: number): boolean {
    if (!this.openFields()) return false;
    if (e === s) { this.refuse('a field key is empty'); return false; }
    if (isTimeKey(b, s, e)) {
      this.refuse('field key "time" is not allowed (InfluxDB refuses it)');
      return false;
    }
    const out = this.out;
    out.ensure(3 * (e - s) + 2);
    if (this.nFields > 0) out.data[out.pos++] = Byte.COMMA;
    const ks = out.pos;
    const end = this.token(out.data, out.pos, b, s, e, K_FIELD_KEY);
    if (end < 0) return false;
    this.noteFieldKey(ks, end);
    out.data[end] = Byte.EQUALS;
    out.pos = end + 1;
    return true;
  }

  /** Remembers where the field key just written lies (duplicate keys are found from these at end()). */
  private noteFieldKey(start: number, end: number): void {
    if (2 * this.nFields + 2 > this.fieldKeys.length) {
      const f = new Uint32Array(this.fieldKeys.length * 2); f.set(this.fieldKeys); this.fieldKeys = f;
    }
    this.fieldKeys[2 * this.nFields] = start;
    this.fieldKeys[2 * this.nFields + 1] = end;
    this.nFields++;
  }

  private stringValue(b: Uint8Array, s: number, e: number, key: string): this {
    const out = this.out;
    out.ensure(2 * (e - s) + 2);
    out.data[out.pos] = Byte.QUOTE;
    const end = this.token(out.data, out.pos + 1, b, s, e, K_STRING, key);
    if (end < 0) return this;
    out.data[end] = Byte.QUOTE;
    out.pos = end + 1;
    return this;
  }

  /** spell() at d[at..] (room ensured): the token's end, or -1 with the point refused. */
  private token(d: Buffer, at: number, b: Uint8Array, s: number, e: number, kind: number, key?: string): number {
    const end = spell(d, at, b, s, e, kind);
    if (end < 0) this.refuse(unspellable(b, s, e, kind, key));
    return end;
  }

  /** Tag order: by escaped key bytes (as InfluxDB sorts); insertion sort for a few, merge sort beyond. */
  private sortTags(): Uint32Array {
    const n = this.nTags;
    const o = this.order;
    for (let j = 0; j < n; j++) o[j] = j;
    if (n < 2) return o;
    if (n <= 16) {
      for (let j = 1; j < n; j++) {
        const x = o[j];
        let k = j - 1;
        while (k >= 0 && this.cmpKey(o[k], x) > 0) { o[k + 1] = o[k]; k--; }
        o[k + 1] = x;
      }
      return o;
    }
    const tmp = this.orderTmp;
    for (let w = 1; w < n; w *= 2) {
      for (let lo = 0; lo < n; lo += 2 * w) {
        const mid = Math.min(lo + w, n), hi = Math.min(lo + 2 * w, n);
        let a = lo, b = mid, k = lo;
        while (a < mid && b < hi) tmp[k++] = this.cmpKey(o[a], o[b]) <= 0 ? o[a++] : o[b++];
        while (a < mid) tmp[k++] = o[a++];
        while (b < hi) tmp[k++] = o[b++];
      }
      o.set(tmp.subarray(0, n));
    }
    return o;
  }

  private cmpKey(x: number, y: number): number {
    return cmpBytes(this.tagBuf, this.tagStart[x], this.tagKeyEnd[x], this.tagBuf, this.tagStart[y], this.tagKeyEnd[y]);
  }

  private sameKey(x: number, y: number): boolean {
    return this.cmpKey(x, y) === 0;
  }

  /** A repeated field key refuses the point (pairwise for a few; sorted beyond). */
  private duplicateField(n: number): boolean {
    const f = this.fieldKeys;
    const d = this.out.data;
    let dup = -1;
    if (n <= 8) {
      for (let a = 0; a < n && dup < 0; a++) for (let b = a + 1; b < n; b++) if (cmpBytes(d, f[2 * a], f[2 * a + 1], d, f[2 * b], f[2 * b + 1]) === 0) { dup = a; break; }
    } else {
      const idx = Array.from({ length: n }, (_, k) => k).sort((a, b) => cmpBytes(d, f[2 * a], f[2 * a + 1], d, f[2 * b], f[2 * b + 1]));
      for (let k = 1; k < n; k++) if (cmpBytes(d, f[2 * idx[k - 1]], f[2 * idx[k - 1] + 1], d, f[2 * idx[k]], f[2 * idx[k] + 1]) === 0) { dup = idx[k]; break; }
    }
    if (dup < 0) return false;
    this.refuse(duplicateKeyText(d.toString('utf8', f[2 * dup], f[2 * dup + 1])));
    return true;
  }

  private growTags(): void {
    const n = this.tagStart.length * 2;
    const g = (a: Uint32Array) => { const x = new Uint32Array(n); x.set(a); return x; };
    this.tagStart = g(this.tagStart);
    this.tagKeyEnd = g(this.tagKeyEnd);
    this.tagEnd = g(this.tagEnd);
    this.order = new Uint32Array(n);
    this.orderTmp = new Uint32Array(n);
  }

  /** UTF-8 of s into this.text at `at`; returns its byte length. */
  private utf8(s: string, at = 0): number {
    const need = at + 3 * s.length;
    if (need > this.text.length) {
      const next = Buffer.allocUnsafe(Math.max(need, 2 * this.text.length));
      this.text.copy(next, 0, 0, at);
      this.text = next;
    }
    return this.text.write(s, at, 'utf8');
  }
}

function duplicateKeyText(key: string): string {
  return `duplicate field key ${JSON.stringify(key)}`;
}
