// Test vectors taken as data from Telegraf's influx parser and serializer tests and from InfluxDB's
// models/points_test.go (test/parse/vectors/*.json: input line -> expected point or rejection).
// kinflux must read each input as expected; then each accepted vector's canonical record must be read
// back as the same point by three grammars: kinflux's decodeLine, Telegraf's parser rules
// (test/helpers/telegraf-grammar.ts) and a real influxd 1.6.7 (POST the record, read it back).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { decodeLine, parseLines } from '../../src/parse/index.js';
import type { FieldValue, ParseOptions, Point } from '../../src/parse/index.js';
import { readTelegrafLines } from '../helpers/telegraf-grammar.js';
import { pointKey } from '../kit/telegraf-lines.js';
import { findInfluxd, startInfluxd } from '../helpers/influxd.js';
import { norm, stored, valueText, type Row } from '../helpers/influxd-compare.js';

type JsonField = ['float', number] | ['integer' | 'unsigned', string] | ['string', string] | ['boolean', boolean];
interface JsonPoint { measurement: string; tags?: Record<string, string>; fields: Record<string, JsonField>; time?: string }
interface Vector { source: string; name: string; input: string; api?: 'v1' | 'v2'; point?: JsonPoint; points?: JsonPoint[]; reject?: string; note?: string }

const RECEIVED = 1600000000000000000n; // the time of lines without one
const FILES = ['telegraf-parser.json', 'telegraf-serializer.json', 'influxdb-points.json'];
const vectors: Vector[] = FILES.flatMap((f) => JSON.parse(readFileSync(new URL(`./vectors/${f}`, import.meta.url), 'utf8')) as Vector[]);

const V1: ParseOptions = { precision: 'ns', receivedAtNs: RECEIVED, allowUnsigned: false, allowCRLF: false };
const V2: ParseOptions = { ...V1, allowUnsigned: true, allowCRLF: true };

function toPoint(p: JsonPoint): Point {
  const value = ([type, v]: JsonField): FieldValue =>
    type === 'integer' || type === 'unsigned' ? { type, value: BigInt(v) } : type === 'float' ? { type, value: v as number }
      : type === 'string' ? { type, value: v as string } : { type: 'boolean', value: v as boolean };
  return {
    measurement: p.measurement,
    tags: Object.entries(p.tags ?? {}).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    fields: Object.entries(p.fields).map(([k, v]) => [k, value(v)] as const),
    timestamp: p.time === undefined ? RECEIVED : BigInt(p.time),
  };
}

const label = (v: Vector): string => `${v.source}: ${v.name} ${JSON.stringify(v.input)}`;

/** Each accepted vector's canonical records, for the read-back checks. */
const accepted: Array<{ v: Vector; records: Buffer[]; want: Point[] }> = [];

t.test('kinflux reads every vector as its source expects (or rejects it with the documented reason)', async (t) => {
  t.ok(vectors.length >= 80, `${vectors.length} vectors`);
  for (const v of vectors) {
    const r = parseLines(Buffer.from(v.input), v.api === 'v2' ? V2 : V1);
    if (v.reject !== undefined) {
      t.equal(r.points.count, 0, label(v));
      t.ok(r.errors.length > 0 && r.errors[0].reason.startsWith(v.reject), `${label(v)}: ${r.errors[0]?.reason} starts with ${v.reject}`);
      continue;
    }
    const want = (v.points ?? (v.point ? [v.point] : [])).map(toPoint);
    t.same(r.errors, [], label(v));
    const records: Buffer[] = [];
    const got: Point[] = [];
    for (let i = 0; i < r.points.count; i++) {
      records.push(r.points.data.subarray(r.points.starts[i], r.points.starts[i + 1]));
      got.push(decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]));
    }
    t.same(got.map(pointKey), want.map(pointKey), label(v));
    accepted.push({ v, records, want });
  }
});

t.test('each canonical record is one line that Telegraf\'s grammar reads as the same point', async (t) => {
  for (const { v, records, want } of accepted) {
    records.forEach((rec, i) => {
      t.equal(rec.indexOf(10), rec.length - 1, `${label(v)}: one physical line`);
      const back = readTelegrafLines(rec);
      t.notOk(back instanceof Error, `${label(v)}: ${back instanceof Error ? back.message : 'read'}`);
      if (!(back instanceof Error)) t.same(back.map(pointKey), [pointKey(want[i])], `${label(v)}: ${rec.toString()}`);
    });
  }
});

const bin = findInfluxd();
if (bin === undefined) {
  if (process.env.CI) t.fail('influxd is not installed (Debian package influxdb)');
  else t.test('influxd read-back', { skip: 'influxd not installed (apt-get install influxdb)' }, () => {});
} else {
  t.test('influxd 1.6.7 stores each canonical record as the same point', async (t) => {
    const d = await startInfluxd(bin);
    t.teardown(() => d.stop());
    let n = 0;
    for (const { v, records, want } of accepted) {
      if (v.api === 'v2') continue; // 1.6.7 has no unsigned integers
      const db = `v${n++}`;
      await d.query('_', `CREATE DATABASE ${db}`);
      const w = await d.write(db, Buffer.concat(records));
      t.equal(w.status, 204, `${label(v)}: ${w.body}`);
      const rows: Row[] = want.map((p) => ({
        series: JSON.stringify([p.measurement, p.tags]), time: String(p.timestamp),
        fields: Object.fromEntries(p.fields.map(([k, x]) => [k, valueText(x)])),
      }));
      t.same(norm(await stored(d, db, () => false)), norm(rows), label(v));
    }
  });
}
