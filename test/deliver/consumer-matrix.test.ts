// The consumer matrix (docs/records.md): every valid (format, aggregation, compression) mode, written
// through the real server into kinesis-local, read back by every consumer the contract names for it:
//   - the KCL's rule for kpl: aws-kinesis-agg de-aggregates, sub-records outside the shard's range are dropped;
//   - line records (lines/none): Telegraf's influx grammar (test/helpers/telegraf-grammar.ts), one whole
//     record at a time as inputs.kinesis_consumer parses it (one bad line fails the record), typed values;
//   - line records: split on \n (what a Lambda does), then InfluxDB 1.6.7 as a
//     second decoder: the record's lines and the original request, each POSTed to influxd, must read back
//     identical (SELECT *, exact numbers);
//   - json records: every line validated against docs/record.schema.json and read with number types from
//     the text (test/helpers/json-record.ts), compared with the point the parser read from the request.
// Written = read, 0 altered, 0 rejected, per mode and consumer; the counts are printed as a table.
import t from 'tap';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { decompressPayload } from '../../src/encode/compress.js';
import { hashKeyOf } from '../../src/encode/shard-map.js';
import { parseLines, decodeLine } from '../../src/parse/index.js';
import type { Aggregation, Compression, RecordFormat } from '../../src/config/types.js';
import type { Point } from '../../src/parse/types.js';
import { emulatorEnv, startKinflux, testClient } from '../helpers/kinflux.js';
import { listShards, readStream } from '../helpers/kinesis-read.js';
import { send } from '../helpers/http.js';
import { findInfluxd, startInfluxd, type Influxd } from '../helpers/influxd.js';
import { JsonRecordError, readJsonRecord, withSortedFields } from '../helpers/json-record.js';
import { deaggregate } from '../encode/kpl-deagg.js';
import { readTelegrafLines } from '../helpers/telegraf-grammar.js';
import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { convertRequest } from '../../src/parse/otlp/convert.js';
import { labels, snappy, v1Proto, v2FromSeries } from '../helpers/remote-write.js';

const PROM_V1 = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
const PROM_V2 = { ...PROM_V1, 'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' };
/** Sends a point through its input. */
function sendPoint(url: string, p: { line: string; via?: 'v3' | 'rw1' | 'rw2' }) {
  if (p.via === 'v3') return send(url, '/api/v3/write_lp?db=b&precision=ns', p.line);
  if (p.via === 'rw1') return send(url, '/api/v1/write', snappy(v1Proto({ timeseries: [RW_SAMPLE] })), { method: 'POST', headers: PROM_V1 });
  if (p.via === 'rw2') return send(url, '/api/v1/write', snappy(v2FromSeries([{ labels: { __name__: 'rw2_gauge', job: 'v2', kind: 'rw2' }, samples: [{ value: -0.25, timestamp: 1765100000124 }] }])), { method: 'POST', headers: PROM_V2 });
  return send(url, '/api/v2/write?bucket=b&org=o', p.line);
}

interface Mode {
  format: RecordFormat;
  aggregation: Aggregation;
  compression: Compression;
}
const MODES: Mode[] = [];
for (const format of ['line', 'json'] as const)
  for (const aggregation of ['lines', 'none', 'kpl'] as const)
    for (const compression of ['none', 'gzip', 'zlib'] as const)
      if (aggregation !== 'kpl' || compression === 'none') MODES.push({ format, aggregation, compression }); // kpl + compression is refused at startup
const nameOf = (m: Mode): string => `${m.format}-${m.aggregation}-${m.compression}`;

/**
 * A raw newline inside a string field has no one-line form every consumer reads alike (InfluxDB keeps
 * `\n` escapes literally, Telegraf unescapes them), so the parser refuses it with a reason (issue 10
 * item 5, src/parse/README.md): expected as a 400 in every mode, never as a record.
 */
const NEWLINE = 'newline in a string';

/** The record limit of kinesis-local's streams (1 MiB), minus room for the key and compression's worst case. */
const NEAR_LIMIT = 1024 * 1024 - 700;
const nearLimit = (): string => {
  const head = 'big,kind=near-limit s="';
  const tail = '" 9';
  return head + 'x'.repeat(NEAR_LIMIT - head.length - tail.length - 1) + tail;
};

/**
 * One point per request (so one refused point cannot take the others with it on /api/v2/write). `via`: the
 * input it is sent through (default /api/v2/write); for remote_write, `line` is the point Telegraf's mapping
 * gives the sample, which the consumers must read back.
 */
const RW_SAMPLE = { labels: labels({ __name__: 'rw_requests_total', job: 'api server', zone: 'Zürich', le: '+Inf' }), samples: [{ value: 42.5, timestamp: 1765100000123 }] };
const POINTS: Array<{ what: string; line: string; via?: 'v3' | 'rw1' | 'rw2' }> = [
  { what: 'InfluxDB 3 /api/v3/write_lp', line: 'v3in,kind=write_lp f=1.5,i=-2i,u=3u,s="x y",b=true 1765100000000000001', via: 'v3' },
  { what: 'remote_write 1.0 sample', line: 'prometheus_remote_write,job=api\\ server,le=+Inf,zone=Zürich rw_requests_total=42.5 1765100000123000000', via: 'rw1' },
  { what: 'remote_write 2.0 sample', line: 'prometheus_remote_write,job=v2,kind=rw2 rw2_gauge=-0.25 1765100000124000000', via: 'rw2' },
  { what: 'int64 min/max, 2^53+1', line: 'edge,kind=int imin=-9223372036854775808i,imax=9223372036854775807i,i53=9007199254740993i,zero=0i 1' },
  { what: 'uint64 max', line: 'edge,kind=uint umax=18446744073709551615u,uzero=0u,u53=9007199254740993u 2' },
  { what: 'floats: -0.0, 5e-324, 1e+300, integral', line: 'edge,kind=float negzero=-0.0,tiny=5e-324,huge=1e+300,one=1.0,two=2,f53=9007199254740993.0,small=-1.5e-7,tenth=0.1 3' },
  { what: 'booleans', line: 'edge,kind=bool a=true,b=false,c=T,d=FALSE 4' },
  { what: 'backslash-n in a string (two characters)', line: 'esc2,kind=backslash-n s="a\\nb\\tc",w="x\\\\",d="C:\\dir" 10' },
  { what: 'escapes', line: 'esc\\ m\\,x,t\\ k\\=1=v\\ 1\\,2\\=3 f\\ k\\=\\,="q\\"uote \\\\back\\\\slash",g=1i 5' },
  { what: 'Unicode', line: 'unicode,city=Zürich,cjk=東京,emoji=🌍 s="Grüße, 世界 🎉 <&>",n=1i 6' },
  { what: 'HTML-ish and JSON-ish strings', line: 'strings,kind=html s="</script>&amp;\\u2028",e="",j="{\\"a\\":1}" 7' },
  { what: NEWLINE, line: 'multi,kind=newline s="line1\nline2" 8' },
  { what: 'a point close to the record limit', line: nearLimit() },
];

/**
 * An OTLP/JSON export (POST /v1/metrics): its points must come out of every record format as the canonical lines
 * the otel2influx mapping makes of it. Distinct timestamps: the consumers' tallies key points by measurement and time.
 */
const OTLP_EXPORT = JSON.stringify({ resourceMetrics: [{
  resource: { attributes: [{ key: 'service.name', value: { stringValue: 'matrix svc,1=2' } }, { key: 'host', value: { stringValue: 'Zürich 東京' } }] },
  scopeMetrics: [{ scope: { name: 'matrix', version: '1.0' }, metrics: [
    { name: 'otlp_gauge', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000011', asDouble: -0.5, attributes: [{ key: 'q"uote', value: { stringValue: 'back\\slash' } }] }] } },
    { name: 'otlp_counter_total', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: '1700000000000000012', startTimeUnixNano: '1700000000000000000', asInt: '9223372036854775807' }] } },
    { name: 'otlp.dotted.name', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000013', asDouble: 1e-300, attributes: [{ key: 'b', value: { boolValue: false } }] }] } },
  ] }],
}] });
const otlpConverted = convertRequest(Buffer.from(OTLP_EXPORT), 'json', 'prometheus-v2', { maxPoints: 1000, maxBytes: 1 << 20 });
if (!otlpConverted.ok) throw new Error(otlpConverted.message);
const OTLP_LINES = Array.from({ length: otlpConverted.points.count }, (_, i) => otlpConverted.points.data.toString('utf8', otlpConverted.points.starts[i], otlpConverted.points.starts[i + 1] - 1));

const k = await startKinesisLocal({ streams: Object.fromEntries(MODES.map((m) => [nameOf(m), 2])) });
t.teardown(() => k.stop());
const client = testClient(k.endpoint);
t.teardown(() => client.destroy());
const influxdBin = findInfluxd();
const influxd: Influxd | undefined = influxdBin ? await startInfluxd(influxdBin) : undefined;
if (influxd) t.teardown(() => influxd.stop());

/** Canonical line and typed point the parser reads from each input line (v2 rules: unsigned allowed). */
function expected(line: string): { canonical: string[]; points: Point[] } {
  const r = parseLines(Buffer.from(line), { precision: 'ns', receivedAtNs: 0n, allowUnsigned: true, allowCRLF: true });
  const canonical: string[] = [];
  const points: Point[] = [];
  for (let i = 0; i < r.points.count; i++) {
    canonical.push(r.points.data.toString('utf8', r.points.starts[i], r.points.starts[i + 1] - 1));
    points.push(decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]));
  }
  return { canonical, points };
}

interface Tally {
  written: number;
  read: number;
  altered: number;
  rejected: number;
}
const table: Array<[string, string, Tally, string]> = [];

/** influxd rows of one database, keyed by series and time, values as exact text. */
async function influxRows(db: string): Promise<Map<string, string>> {
  const q = new URLSearchParams({ db, q: 'SELECT * FROM /.*/', epoch: 'ns' });
  const res = await fetch(`${influxd?.url}/query?${q}`, { method: 'POST' });
  const body = losslessParse(await res.text()) as { results: Array<{ series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }> };
  const rows = new Map<string, string>();
  for (const s of body.results[0]?.series ?? []) {
    for (const v of s.values) {
      const row: Record<string, unknown> = {};
      s.columns.forEach((c, i) => v[i] !== null && (row[c] = v[i]));
      rows.set(`${s.name} ${losslessStringify(v[0])}`, losslessStringify(row) ?? '');
    }
  }
  return rows;
}

const dbName = (s: string): string => s.replace(/-/g, '_');

let origReady: Promise<void> | undefined;
/** The original requests, POSTed to influxd as they are: the reference the record lines are compared with. */
function writeOriginals(accepted: readonly string[]): Promise<void> {
  origReady ??= (async () => {
    if (!influxd) return;
    await influxd.query('orig', 'CREATE DATABASE orig');
    for (const l of accepted) await influxd.write('orig', l);
  })();
  return origReady;
}

for (const mode of MODES) {
  const name = nameOf(mode);
  t.test(name, async (t) => {
    const kf = await startKinflux(
      emulatorEnv(k.endpoint, name, {
        KINFLUX_RECORD_FORMAT: mode.format,
        KINFLUX_AGGREGATION: mode.aggregation,
        KINFLUX_COMPRESSION: mode.compression,
        KINFLUX_DELIVERY_TIMEOUT_MS: '15000',
      }),
    );
    t.teardown(() => kf.stop('SIGKILL'));
    const acked: string[] = [];
    for (const p of POINTS) {
      // As Telegraf does: a 503 (Kinesis slow under the test machine's load) is sent again.
      let res = await sendPoint(kf.url, p);
      for (let i = 0; i < 5 && res.status === 503; i++) res = await sendPoint(kf.url, p);
      if (p.what === NEWLINE) {
        t.equal(res.status, 400, 'a raw newline in a string is refused, never written');
        t.match(res.text, /raw newline/, 'with a reason that says so');
      } else {
        t.equal(res.status, 204, `${p.what}: stored (${res.text.slice(0, 200)})`);
        if (res.status === 204) acked.push(p.line);
      }
    }
    let otlp = await send(kf.url, '/v1/metrics', OTLP_EXPORT, { method: 'POST', headers: { 'content-type': 'application/json' } });
    for (let i = 0; i < 5 && otlp.status === 503; i++) otlp = await send(kf.url, '/v1/metrics', OTLP_EXPORT, { method: 'POST', headers: { 'content-type': 'application/json' } });
    t.equal(otlp.status, 200, `OTLP export stored (${otlp.text.slice(0, 200)})`);
    t.equal(otlp.text, '{}', 'no data point refused');
    if (otlp.status === 200) acked.push(...OTLP_LINES);
    t.equal(await kf.stop('SIGTERM'), 0);

    const ranges = new Map((await listShards(client, name)).map((s) => [s.ShardId ?? '', [BigInt(s.HashKeyRange?.StartingHashKey ?? '0'), BigInt(s.HashKeyRange?.EndingHashKey ?? '0')] as const]));
    // Payloads as each consumer gets them: decompressed, and for kpl de-aggregated under the KCL's rule.
    const payloads: Buffer[] = [];
    /** Record data as a Lambda event or Firehose gets it: as stored, or the user records (de-aggregated upstream). */
    const delivered: Buffer[] = [];
    const kcl: Tally = { written: 0, read: 0, altered: 0, rejected: 0 };
    for (const r of await readStream(client, name)) {
      const data = decompressPayload(mode.compression, r.data);
      if (mode.aggregation !== 'kpl') {
        payloads.push(data);
        delivered.push(r.data);
        continue;
      }
      for (const u of deaggregate(r.partitionKey, data)) {
        const [lo, hi] = ranges.get(r.shardId) ?? [1n, 0n];
        const h = hashKeyOf(u.partitionKey);
        if (h < lo || h > hi) kcl.rejected++; // the KCL drops it
        else payloads.push(u.data);
        delivered.push(u.data);
      }
    }

    const want = acked.map(expected);
    const wantCanonical = want.flatMap((w) => w.canonical);
    if (mode.format === 'line') {
      // A reader that splits on \n (a Lambda, a forwarder): every line a point, each point intact.
      const split: Tally = { written: wantCanonical.length, read: 0, altered: 0, rejected: 0 };
      const lines: string[] = [];
      const wanted = new Set(wantCanonical);
      for (const p of payloads) {
        const text = p.toString('utf8');
        if (!text.endsWith('\n')) split.rejected++;
        for (const l of text.split('\n')) {
          if (!l) continue;
          lines.push(l);
        }
      }
      // Counted distinct: a write answered 503 and sent again may be stored twice (at least once).
      split.read = new Set(lines).size;
      split.altered = new Set(lines.filter((l) => !wanted.has(l))).size;
      t.same(split, { written: wantCanonical.length, read: wantCanonical.length, altered: 0, rejected: 0 }, 'split on \\n: every point, as written');
      table.push([name, 'split on \\n', split, '']);

      if (mode.aggregation !== 'kpl') {
        // Telegraf's inputs.kinesis_consumer with data_format = "influx": each (decompressed) record parsed whole.
        const tg: Tally = { written: 0, read: 0, altered: 0, rejected: 0 };
        const want = new Map(acked.flatMap((l) => expected(l).points).map((p) => [`${p.measurement} ${p.timestamp}`, withSortedFields(p)]));
        tg.written = want.size;
        const tgSeen = new Set<string>();
        for (const p of payloads) {
          const got = readTelegrafLines(p);
          if (!Array.isArray(got)) {
            t.fail(`Telegraf's grammar refuses a record: ${got.message}`);
            tg.rejected++;
            continue;
          }
          for (const g of got) {
            const key = `${g.measurement} ${g.timestamp}`;
            if (tgSeen.has(key)) continue;
            tgSeen.add(key);
            tg.read++;
            const w = want.get(`${g.measurement} ${g.timestamp}`);
            if (!w || !sameStrict(w, withSortedFields(g))) {
              tg.altered++;
              t.same(withSortedFields(g), w, `${g.measurement}: Telegraf reads what was written`);
            }
          }
        }
        t.same(tg, { written: tg.written, read: tg.written, altered: 0, rejected: 0 }, "Telegraf's influx grammar reads every record whole, every point exact");
        table.push([name, 'Telegraf influx grammar (kinesis_consumer)', tg, '']);
      }

      if (influxd) {
        // InfluxDB 1.6.7 refuses the `u` suffix (a 2.x feature): those points are left out for it, from both sides.
        const unsigned = (l: string): boolean => /=\d+u[ ,]/.test(l);
        const forInflux = acked.filter((l) => !unsigned(l));
        await writeOriginals(forInflux);
        const db = dbName(name);
        await influxd.query(db, `CREATE DATABASE ${db}`);
        const idb: Tally = { written: forInflux.length, read: 0, altered: 0, rejected: 0 };
        for (const l of lines) {
          if (unsigned(l)) continue;
          const res = await influxd.write(db, l);
          if (res.status !== 204) idb.rejected++;
        }
        const [orig, back] = [await influxRows('orig'), await influxRows(db)];
        idb.read = back.size;
        for (const [key, row] of orig) if (back.get(key) !== row) idb.altered++;
        t.same(idb, { written: forInflux.length, read: forInflux.length, altered: 0, rejected: 0 }, 'InfluxDB 1.6.7 reads the record as it reads the request');
        table.push([name, 'InfluxDB 1.6.7', idb, 'uint64 point left out (1.x refuses `u`)']);
      }
    } else {
      const jt: Tally = { written: want.reduce((n, w) => n + w.points.length, 0), read: 0, altered: 0, rejected: 0 };
      const wanted = new Map(want.flatMap((w) => w.points).map((p) => [`${p.measurement} ${p.timestamp}`, withSortedFields(p)]));
      const jtSeen = new Set<string>();
      for (const p of payloads) {
        let points: Point[];
        try {
          points = readJsonRecord(p);
        } catch (err) {
          if (!(err instanceof JsonRecordError)) throw err;
          t.fail(err.message);
          jt.rejected++;
          continue;
        }
        for (const got of points) {
          const key = `${got.measurement} ${got.timestamp}`;
          if (jtSeen.has(key)) continue;
          jtSeen.add(key);
          jt.read++;
          const w = wanted.get(`${got.measurement} ${got.timestamp}`);
          if (!w || !sameStrict(w, got)) {
            jt.altered++;
            t.same(got, w, `${got.measurement} read back with its types`);
          }
        }
      }
      t.same(jt, { written: jt.written, read: jt.written, altered: 0, rejected: 0 }, 'schema-valid JSON, every value with its type');
      table.push([name, 'JSON Schema + typed read (lossless-json)', jt, '']);
    }
    // The Python Lambda handler of docs/records.md (kpl: de-aggregated first, as aws_kinesis_agg does).
    const py: Tally = { written: 0, read: 0, altered: 0, rejected: 0 };
    const pyOut = runLambda(mode, delivered);
    if (mode.format === 'json') {
      const want = new Set(acked.flatMap((l) => expected(l).points.map(pythonView)));
      py.written = want.size;
      const distinct = new Set(pyOut);
      py.read = distinct.size;
      for (const o of distinct) if (!want.has(o)) py.altered++;
    } else {
      const wanted = new Set(wantCanonical);
      py.written = wanted.size;
      const got = pyOut.map((o) => JSON.parse(o) as string);
      py.read = new Set(got).size;
      py.altered = new Set(got.filter((l) => !wanted.has(l))).size;
    }
    t.same(py, { written: py.written, read: py.written, altered: 0, rejected: 0 }, 'the Python Lambda handler of docs/records.md reads every point with its type');
    table.push([name, 'Python Lambda (docs/records.md handler)', py, '']);

    if (mode.compression !== 'zlib') {
      // Firehose → S3: records back to back (KPL de-aggregated); one gzip stream of members when gzip.
      const fh: Tally = { written: 0, read: 0, altered: 0, rejected: 0 };
      const object = Buffer.concat(delivered);
      const text = (mode.compression === 'gzip' ? gunzipSync(object) : object).toString('utf8');
      const lines = text.split('\n').filter(Boolean);
      if (mode.format === 'json') {
        const want = new Set(acked.flatMap((l) => expected(l).points.map(pythonView)));
        fh.written = want.size;
        const seen = new Set<string>();
        for (const l of lines) {
          try {
            const [p] = readJsonRecord(Buffer.from(`${l}\n`));
            seen.add(pythonView(p));
          } catch {
            fh.rejected++;
          }
        }
        fh.read = seen.size;
        for (const v of seen) if (!want.has(v)) fh.altered++;
      } else {
        const wanted = new Set(wantCanonical);
        fh.written = wanted.size;
        fh.read = new Set(lines).size;
        fh.altered = new Set(lines.filter((l) => !wanted.has(l))).size;
      }
      t.same(fh, { written: fh.written, read: fh.written, altered: 0, rejected: 0 }, 'Firehose-style concatenation reads as line protocol / NDJSON');
      table.push([name, 'Firehose → S3 object (concatenated)', fh, '']);
    }

    if (mode.aggregation === 'kpl') {
      kcl.written = wantCanonical.length;
      kcl.read = new Set(payloads.map((b) => b.toString('latin1'))).size;
      t.same(kcl, { written: wantCanonical.length, read: wantCanonical.length, altered: 0, rejected: 0 }, 'KCL rule: every sub-record on a shard that owns it');
      table.push([name, 'KCL (aws-kinesis-agg + hash-range rule)', kcl, '']);
    }
  });
}

/**
 * The Python Lambda handler of docs/records.md, run as written there on a Kinesis event of these records;
 * a driver prints every point it yields with exact types (float bits as hex, ints as text).
 */
const lambdaDir = mkdtempSync(join(tmpdir(), 'consumers-matrix-lambda-'));
t.teardown(() => rmSync(lambdaDir, { recursive: true, force: true }));
const docs = readFileSync(new URL('../../docs/records.md', import.meta.url), 'utf8');
const lambdaCode = /<!-- lambda-python[^>]*-->\n```python\n([\s\S]*?)```/.exec(docs)?.[1];
writeFileSync(join(lambdaDir, 'kinflux_lambda.py'), lambdaCode ?? 'raise SystemExit("no lambda-python block in docs/records.md")');
writeFileSync(
  join(lambdaDir, 'driver.py'),
  `import json, struct, sys
import kinflux_lambda as h
def typed(k, v, unsigned):
    if isinstance(v, bool): return [k, "bool", "true" if v else "false"]
    if isinstance(v, float): return [k, "float", struct.pack(">d", v).hex()]
    if isinstance(v, int): return [k, "uint" if k in unsigned else "int", str(v)]
    return [k, "str", v]
event = json.load(sys.stdin)
assert h.handler(event, None)["points"] >= 0
for p in h.points(event):
    if isinstance(p, bytes):
        print(json.dumps(p.decode("utf-8")))
    else:
        name, tags, fields, unsigned, ts = p
        print(json.dumps([name, tags, sorted(typed(k, v, unsigned) for k, v in fields.items()), str(ts)], separators=(",", ":"), ensure_ascii=False))
`,
);
function runLambda(mode: Mode, datas: readonly Buffer[]): string[] {
  const event = { Records: datas.map((d) => ({ kinesis: { data: d.toString('base64') } })) };
  const out = execFileSync('python3', [join(lambdaDir, 'driver.py')], {
    input: JSON.stringify(event),
    env: { PATH: process.env.PATH ?? '', KINFLUX_COMPRESSION: mode.compression, KINFLUX_RECORD_FORMAT: mode.format },
    maxBuffer: 64 * 1024 * 1024,
  }).toString('utf8');
  return out.split('\n').filter(Boolean);
}
/** A point as the driver prints it from Python's json: what a Python consumer gets, type by type. */
function pythonView(p: Point): string {
  const f64 = (v: number): string => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return b.toString('hex');
  };
  const fields = p.fields.map(([k, v]): [string, string, string] => {
    if (v.type === 'float') return [k, 'float', f64(v.value)];
    if (v.type === 'integer') return [k, 'int', v.value.toString()];
    if (v.type === 'unsigned') return [k, 'uint', v.value.toString()];
    if (v.type === 'boolean') return [k, 'bool', v.value ? 'true' : 'false'];
    return [k, 'str', v.value];
  });
  fields.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify([p.measurement, Object.fromEntries(p.tags), fields, p.timestamp.toString()]);
}

/** Deep equality that tells -0 from 0 (t.same does not). */
function sameStrict(a: Point, b: Point): boolean {
  return losslessStringify(a, replacer) === losslessStringify(b, replacer);
}
function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  return v;
}

t.teardown(() => {
  const rows = table.map(([mode, consumer, c, note]) => `| ${mode} | ${consumer} | ${c.written} | ${c.read} | ${c.altered} | ${c.rejected} | ${note} |`);
  console.log(['| mode | consumer | written | read | altered | rejected | note |', '|---|---|---|---|---|---|---|', ...rows].join('\n'));
});
