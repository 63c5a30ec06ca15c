/// <reference path="./snappyjs.d.ts" />
// remote_write requests built from the pinned schemas (test/parse/remote-write/remote-write.proto) with protobufjs, an
// encoder independent of kinflux's decoder, and compressed with snappyjs (snappy block format).
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { compress } from 'snappyjs';

const root = protobuf.loadSync(fileURLToPath(new URL('../parse/remote-write/remote-write.proto', import.meta.url)));
const V1 = root.lookupType('prometheus.WriteRequest');
const V2 = root.lookupType('prometheus.V2Request');

export interface SeriesV1 {
  labels: Array<{ name: string; value: string }>;
  samples?: Array<{ value: number; timestamp: number }>;
  exemplars?: Array<{ labels?: Array<{ name: string; value: string }>; value: number; timestamp: number }>;
  histograms?: Array<Record<string, unknown>>;
}

/** Labels from an object, sorted by name (as Prometheus sends them). */
export function labels(o: Record<string, string>): Array<{ name: string; value: string }> {
  return Object.keys(o).sort().map((name) => ({ name, value: o[name] }));
}

export function v1Proto(req: { timeseries: SeriesV1[]; metadata?: Array<Record<string, unknown>> }): Buffer {
  const err = V1.verify(req);
  if (err) throw new Error(err);
  return Buffer.from(V1.encode(V1.fromObject(req)).finish());
}

export function v2Proto(req: { symbols: string[]; timeseries: Array<Record<string, unknown>> }): Buffer {
  const err = V2.verify(req);
  if (err) throw new Error(err);
  return Buffer.from(V2.encode(V2.fromObject(req)).finish());
}

export function snappy(b: Uint8Array): Buffer {
  return Buffer.from(compress(b));
}

/** A 2.0 request from series given as label objects: the symbol table is built as a sender builds it. */
export function v2FromSeries(series: Array<{ labels: Record<string, string>; samples?: Array<{ value: number; timestamp: number }>; histograms?: Array<Record<string, unknown>>; exemplars?: number; metadata?: boolean }>): Buffer {
  const symbols = [''];
  const index = new Map<string, number>([['', 0]]);
  const ref = (s: string): number => {
    let i = index.get(s);
    if (i === undefined) { i = symbols.length; symbols.push(s); index.set(s, i); }
    return i;
  };
  const timeseries = series.map((s) => ({
    labelsRefs: Object.keys(s.labels).sort().flatMap((k) => [ref(k), ref(s.labels[k])]),
    samples: s.samples ?? [],
    histograms: s.histograms ?? [],
    exemplars: Array.from({ length: s.exemplars ?? 0 }, (_, i) => ({ labelsRefs: [ref('trace_id'), ref(`t${i}`)], value: i, timestamp: 1 })),
    ...(s.metadata ? { metadata: { type: 1, helpRef: ref('help text'), unitRef: 0 } } : {}),
  }));
  return v2Proto({ symbols, timeseries });
}

/** The bits of Prometheus' stale marker as a double. */
export const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];
