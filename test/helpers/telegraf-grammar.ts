// An independent reader of line protocol by the rules of Telegraf's influx parser (the default
// "internal" parser: plugins/parsers/influx/machine.go.rl for what it accepts, handler.go and
// escape.go for how it unescapes). Written from those rules for the tests, sharing no code with
// src/parse, so that a canonical record can be checked against a second grammar.
//
// Telegraf parses a whole record at once: one bad line fails all of it, which is what
// readTelegrafLines reports (an Error naming the line and column).
import type { FieldValue, Point } from '../../src/parse/types.js';

export class TelegrafParseError extends Error {
  constructor(readonly reason: string, readonly line: number, readonly column: number) {
    super(`metric parse error: ${reason} at ${line}:${column}`);
  }
}

const HT = 9, LF = 10, VT = 11, FF = 12, CR = 13, SP = 32, QUOTE = 34, HASH = 35, COMMA = 44, MINUS = 45,
  EQ = 61, BS = 92;
const isWs = (c: number): boolean => c === HT || c === VT || c === FF || c === SP;
/** Never part of a name, key or tag, even after a backslash. */
const isCtl = (c: number): boolean => c === HT || c === LF || c === VT || c === FF || c === CR;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

const MIN_I64 = -(2n ** 63n), MAX_I64 = 2n ** 63n - 1n, MAX_U64 = 2n ** 64n - 1n;

/** Go's strings.Replacer over two-byte `\x` sequences: left to right, one match per position. */
function replacePairs(s: string, from: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length && from.includes(s[i + 1])) { out += s[i + 1]; i++; continue; }
    out += s[i];
  }
  return out;
}
/** handler.go: names unescape `\,` `\ ` only when the raw token holds ' ' or ','. */
const nameUnescape = (raw: string): string => (/[ ,]/.test(raw) ? replacePairs(raw, ', ') : raw);
/** Tag keys, values, field keys: `\,` `\"` `\ ` `\=` only when the raw token holds ' ' ',' or '='. */
const keyUnescape = (raw: string): string => (/[ ,=]/.test(raw) ? replacePairs(raw, '," =') : raw);
/** String fields: `\"` and `\\`. */
const stringUnescape = (raw: string): string => replacePairs(raw, '"\\');

const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

class Reader {
  i = 0;
  line = 1;
  lineStart = 0;
  constructor(readonly b: Buffer) {}
  fail(reason: string): never {
    throw new TelegrafParseError(reason, this.line, this.i - this.lineStart + 1);
  }
  text(s: number, e: number): string { return this.b.toString('latin1', s, e); }
  at(k = 0): number { return this.i + k < this.b.length ? this.b[this.i + k] : -1; }

  /** measurement_chars: not ws/control/','/' '/'\'; or '\' + any non-control byte. First byte not '#'. */
  measurement(): string {
    const s = this.i;
    if (this.at() === HASH) this.fail('expected measurement name');
    for (;;) {
      const c = this.at();
      if (c === BS) {
        const d = this.at(1);
        if (d < 0 || isCtl(d)) this.fail('expected measurement name');
        this.i += 2;
        continue;
      }
      if (c < 0 || isCtl(c) || c === SP || c === COMMA) break;
      this.i++;
    }
    if (this.i === s) this.fail('expected measurement name');
    return nameUnescape(this.text(s, this.i));
  }

  /** tagchar: not control/' '/','/'='/'\'; or '\' + a byte that is not control or '\'; or '\\' with the second held back. */
  tagToken(): string {
    const s = this.i;
    for (;;) {
      const c = this.at();
      if (c === BS) {
        const d = this.at(1);
        if (d < 0 || isCtl(d)) this.fail('expected tag');
        // '\\' [^ctl\\] is a pair; '\\\\' is consumed and then held back one byte (fhold), so the
        // second backslash starts the next tagchar and may escape what follows it.
        this.i += d === BS ? 1 : 2;
        continue;
      }
      if (c < 0 || isCtl(c) || c === SP || c === COMMA || c === EQ) break;
      this.i++;
    }
    if (this.i === s) this.fail('expected tag');
    return keyUnescape(this.text(s, this.i));
  }

  /** fieldkeychar: not control/' '/','/'='/'\'; or '\' + any non-control byte. */
  fieldKey(): string {
    const s = this.i;
    for (;;) {
      const c = this.at();
      if (c === BS) {
        const d = this.at(1);
        if (d < 0 || isCtl(d)) this.fail('expected field');
        this.i += 2;
        continue;
      }
      if (c < 0 || isCtl(c) || c === SP || c === COMMA || c === EQ) break;
      this.i++;
    }
    if (this.i === s) this.fail('expected field');
    return keyUnescape(this.text(s, this.i));
  }

  /** The end of a field value: ',', whitespace, a line end, or the end of the input. */
  valueEnds(c: number): boolean { return c < 0 || c === COMMA || isWs(c) || c === LF || (c === CR && this.at(1) === LF); }

  fieldValue(): FieldValue {
    const c = this.at();
    if (c === QUOTE) {
      this.i++;
      const s = this.i;
      for (;;) {
        const d = this.at();
        if (d < 0) this.fail('expected field');
        if (d === QUOTE) break;
        if (d === BS) {
          const x = this.at(1);
          if (x !== BS && x !== QUOTE) this.fail('expected field');
          this.i += 2;
          continue;
        }
        if (d === LF) { this.line++; this.lineStart = this.i + 1; }
        this.i++; // any other byte, raw CR, FF, tab and newline included
      }
      const raw = this.text(s, this.i);
      this.i++;
      if (!this.valueEnds(this.at())) this.fail('expected field');
      return { type: 'string', value: utf8(stringUnescape(raw)) };
    }
    const s = this.i;
    while (!this.valueEnds(this.at())) this.i++;
    const tok = this.text(s, this.i);
    if (/^(true|TRUE|True|T|t)$/.test(tok)) return { type: 'boolean', value: true };
    if (/^(false|FALSE|False|F|f)$/.test(tok)) return { type: 'boolean', value: false };
    let m = /^(-?(?:0|[1-9][0-9]*))i$/.exec(tok);
    if (m) {
      const v = BigInt(m[1]);
      if (v < MIN_I64 || v > MAX_I64) this.fail('value out of range');
      return { type: 'integer', value: v };
    }
    m = /^(0|[1-9][0-9]*)u$/.exec(tok);
    if (m) {
      const v = BigInt(m[1]);
      if (v > MAX_U64) this.fail('value out of range');
      return { type: 'unsigned', value: v };
    }
    if (/^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(tok)) {
      const v = Number(tok);
      if (!Number.isFinite(v)) this.fail('value out of range'); // Go's ParseFloat: ErrRange on overflow
      return { type: 'float', value: v };
    }
    return this.fail('expected field');
  }

  timestamp(): bigint {
    const s = this.i;
    if (this.at() === MINUS) this.i++;
    const ds = this.i;
    while (isDigit(this.at())) this.i++;
    const n = this.i - ds;
    if (n < 1 || n > 19) this.fail('expected timestamp');
    const v = BigInt(this.text(s, this.i));
    if (v < MIN_I64 || v > MAX_I64) this.fail('value out of range');
    return v;
  }

  skipWs(): number { const s = this.i; while (isWs(this.at())) this.i++; return this.i - s; }

  /** At a line end (optional CR, then LF) or the end of the input: consumes it. */
  lineEnd(): boolean {
    const c = this.at();
    if (c < 0) return true;
    if (c === LF || (c === CR && this.at(1) === LF)) {
      this.i += c === CR ? 2 : 1;
      this.line++;
      this.lineStart = this.i;
      return true;
    }
    return false;
  }

  metric(receivedNs: bigint): Point {
    const measurement = utf8(this.measurement());
    const tags = new Map<string, string>();
    while (this.at() === COMMA) {
      this.i++;
      const k = this.tagToken();
      if (this.at() !== EQ) this.fail('expected tag');
      this.i++;
      tags.set(utf8(k), utf8(this.tagToken())); // AddTag: a repeated key replaces the value
    }
    if (this.skipWs() === 0) this.fail('expected field');
    const fields: Array<[string, FieldValue]> = [];
    for (;;) {
      const k = utf8(this.fieldKey());
      if (this.at() !== EQ) this.fail('expected field');
      this.i++;
      const v = this.fieldValue();
      const at = fields.findIndex(([x]) => x === k); // AddField: a repeated key replaces in place
      if (at >= 0) fields[at] = [k, v]; else fields.push([k, v]);
      if (this.at() !== COMMA) break;
      this.i++;
    }
    let timestamp = receivedNs;
    if (this.skipWs() > 0 && (isDigit(this.at()) || this.at() === MINUS)) {
      timestamp = this.timestamp();
      this.skipWs();
    }
    if (!this.lineEnd()) this.fail(timestamp === receivedNs ? 'expected field' : 'expected timestamp');
    const sorted = [...tags].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return { measurement, tags: sorted, fields, timestamp };
  }

  /** Blank lines, whitespace and '#' comment lines between metrics. */
  align(): void {
    for (;;) {
      this.skipWs();
      const c = this.at();
      if (c === HASH) {
        while (this.at() >= 0 && this.at() !== LF) this.i++;
        if (!this.lineEnd()) return;
        continue;
      }
      if (c >= 0 && (c === LF || (c === CR && this.at(1) === LF))) { this.lineEnd(); continue; }
      return;
    }
  }
}

/**
 * Reads every line of `text` as Telegraf's influx parser does (ns precision), or returns the
 * error that makes it refuse the whole input. `receivedNs` stands in for lines without a time.
 */
export function readTelegrafLines(text: string | Buffer, receivedNs = 0n): Point[] | TelegrafParseError {
  const r = new Reader(typeof text === 'string' ? Buffer.from(text) : text);
  const out: Point[] = [];
  try {
    for (;;) {
      r.align();
      if (r.at() < 0) return out;
      out.push(r.metric(receivedNs));
    }
  } catch (e) {
    if (e instanceof TelegrafParseError) return e;
    throw e;
  }
}
