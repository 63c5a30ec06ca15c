// Types shared by the line-protocol parser, the serializer and every later stage.

/** Timestamp precisions, normalised: v1 `n` and v2 `ns` are both `ns`, v1 `u` and v2 `us` are both `us`. */
export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

export interface ParseOptions {
  /** Unit of the timestamps in the body. */
  precision: Precision;
  /** Receive time in nanoseconds, given to lines without a timestamp (as InfluxDB does). */
  receivedAtNs: bigint;
  /** Accept the `u` (unsigned) field suffix: InfluxDB 2.x does, 1.x does not. */
  allowUnsigned: boolean;
  /** Accept `\r\n` line endings: InfluxDB 2.x does, 1.x does not. */
  allowCRLF: boolean;
  /** Errors kept with their text (the rest are only counted); default DEFAULT_MAX_ERRORS. */
  maxErrors?: number;
  /**
   * Most lines (points plus invalid lines; blank lines and comments are not counted); 0 or absent: no limit.
   * The parse stops at the line past the limit and sets `tooManyLines`.
   */
  maxLines?: number;
  /** false: every line takes the exact path (bench:parse measures what the fast path gains; tests compare the paths). */
  fastPath?: boolean;
}

/**
 * The parser's output: valid points as canonical line protocol, back to back in one buffer.
 * Columnar so that a 32 MiB body costs a handful of allocations, not one per point.
 */
export interface PointBatch {
  /** Canonical lines (tags sorted, canonical escapes, ns timestamp), each ending in `\n`. */
  readonly data: Buffer;
  /** Number of points. */
  readonly count: number;
  /** Point i is `data[starts[i] .. starts[i+1])`, newline included; length count + 1. */
  readonly starts: Uint32Array;
  /** Bytes of point i's series key (escaped measurement plus sorted tag set), from its start. */
  readonly seriesLengths: Uint32Array;
  /** Bytes of point i's escaped measurement, from its start. */
  readonly measurementLengths: Uint32Array;
  /** 1-based line of the body point i came from (to quote a point refused after parsing); 0 from PointBuilder. */
  readonly lines: Uint32Array;
  /**
   * Optional, from a producer that knows it (OTLP's series cache): points with the same nonzero id have the
   * same series key bytes, so the encoder finds a key once per id. 0, or no column: not known.
   */
  readonly seriesIds?: Uint32Array;
}

/** One rejected line, in the terms InfluxDB uses in its error bodies. */
export interface LineError {
  /** 1-based line number in the body. */
  readonly line: number;
  /** 1-based byte column where the error was found. */
  readonly column: number;
  /** The offending line, truncated for error messages. */
  readonly text: string;
  /** InfluxDB-style reason, such as `missing fields` or `invalid boolean`. */
  readonly reason: string;
  /**
   * Where InfluxDB 1.x rejects it: `parse` (its line parser: "unable to parse '<line>': <reason>")
   * or `storage` (its write path after parsing: a tag or field named `time`, a field type conflict
   * inside the point; InfluxDB prints the reason alone), or `record`: InfluxDB 1.x takes it, but no
   * record line carries it so that every consumer reads it back (src/parse/consumers.ts; printed like
   * `parse`). Absent means `parse`.
   */
  readonly stage?: 'parse' | 'storage' | 'record';
  /** The likely cause and its fix (a setting, a header, a syntax), when kinflux can tell. */
  readonly hint?: string;
}

export interface ParseResult {
  readonly points: PointBatch;
  /** The first `maxErrors` rejected lines, in body order. */
  readonly errors: LineError[];
  /** All rejected lines, kept or not. */
  readonly errorCount: number;
  /** Body line numbers of all rejected lines. */
  readonly badLines: { has(line: number): boolean };
  /** The body has more than `maxLines` lines: the parse stopped at line limit + 1, `points` is partial. */
  readonly tooManyLines: boolean;
}

/** A fully decoded point, for the JSON record format, tag partition keys and tests. */
export type FieldValue =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'integer'; readonly value: bigint }
  | { readonly type: 'unsigned'; readonly value: bigint }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean };

export interface Point {
  readonly measurement: string;
  /** Sorted by key. */
  readonly tags: ReadonlyArray<readonly [string, string]>;
  /** In input order; a repeated key keeps its last value. */
  readonly fields: ReadonlyArray<readonly [string, FieldValue]>;
  /** Nanoseconds since the epoch. */
  readonly timestamp: bigint;
}
