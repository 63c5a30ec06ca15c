// What a real influxd stores versus what kinflux decodes, as comparable rows: shared by the
// differential suite (test/parse/differential.test.ts) and the mutation fuzzer (test/parse/fuzz.ts).
import type { Influxd } from './influxd.js';
import { decodeLine, parseLines } from '../../src/parse/index.js';
import type { FieldValue, LineError, Precision } from '../../src/parse/index.js';

/** JSON.parse that keeps every number's text, so int64 values and ns times stay exact. */
export function parseExact(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j])) j++;
      out += JSON.stringify('\u0001' + text.slice(i, j));
      i = j;
    } else { out += c; i++; }
  }
  return JSON.parse(out);
}

export type Row = { series: string; time: string; fields: Record<string, string> };
export const NOW = 'now';

/**
 * A string value can end in a cut UTF-8 sequence (1.x keeps the bytes between the first and the last
 * byte of the field: `"€"😀`): the bytes are the same on both sides, but Go's JSON encoder writes one
 * U+FFFD per bad byte and Node's decoder one per sequence. Runs of U+FFFD compare as one.
 */
const oneReplacement = (s: string): string => s.replace(/\uFFFD+/g, '\uFFFD');

export function valueText(v: FieldValue): string {
  if (v.type === 'string') return 's:' + oneReplacement(v.value);
  if (v.type === 'boolean') return 'b:' + v.value;
  if (v.type === 'float') return 'float:' + v.value;
  return v.type + ':' + v.value;
}

/** True for a time within two minutes of recv: lines without a timestamp get the receive time. */
export function near(ns: bigint, recv: bigint): boolean {
  const d = ns - recv;
  return d < 120_000_000_000n && d > -120_000_000_000n;
}

/** What influxd stores: rows keyed by series and time, values tagged with SHOW FIELD KEYS types. */
export async function stored(d: Influxd, db: string, isNow: (ns: bigint) => boolean): Promise<Row[]> {
  const fk = parseExact(await (await fetch(`${d.url}/query?${new URLSearchParams({ db, q: 'SHOW FIELD KEYS' })}`)).text()) as
    { error?: string; results?: Array<{ error?: string; series?: Array<{ name: string; values: string[][] }> }> };
  // A query that fails is said, never read as "nothing stored" (a fuzz run beside CPU burners once read influxd's
  // 204 for `cpu v=t 1` as nothing stored, and could not tell why).
  const failed = (what: string, r: { error?: string; results?: Array<{ error?: string }> }): Row[] | undefined => {
    const e = r.error ?? r.results?.[0]?.error ?? (r.results?.[0] === undefined ? 'no result' : undefined);
    return e === undefined ? undefined : [{ series: JSON.stringify([what, 'query error: ' + e]), time: '', fields: {} }];
  };
  const fkFailed = failed('SHOW FIELD KEYS', fk);
  if (fkFailed !== undefined) return fkFailed;
  const types = new Map<string, string>();
  // A field may have one type per shard: then the value's type cannot be told ('?', never equal to ours).
  for (const s of fk.results?.[0]?.series ?? []) {
    for (const [k, ty] of s.values) {
      const key = `${s.name}\u0000${k}`;
      const had = types.get(key);
      types.set(key, had === undefined || had === ty ? ty : '?');
    }
  }
  // One SELECT per measurement: a SELECT over several measurements drops values whose field type
  // differs between them.
  const ms = parseExact(await (await fetch(`${d.url}/query?${new URLSearchParams({ db, q: 'SHOW MEASUREMENTS' })}`)).text()) as
    { error?: string; results?: Array<{ error?: string; series?: Array<{ values: string[][] }> }> };
  const msFailed = failed('SHOW MEASUREMENTS', ms);
  if (msFailed !== undefined) return msFailed;
  const rows: Row[] = [];
  for (const [m] of ms.results?.[0]?.series?.[0]?.values ?? []) {
    const ident = '"' + m.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
    type Sel = { error?: string; results?: Array<{ error?: string; series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }> }> };
    const select = async (from: string): Promise<Sel> =>
      parseExact(await (await fetch(`${d.url}/query?${new URLSearchParams({ db, q: `SELECT * FROM ${from} GROUP BY *`, epoch: 'ns' })}`)).text()) as Sel;
    let sel = await select(ident);
    // Names InfluxQL cannot quote (control bytes): read them through a regex over all measurements.
    if (sel.results === undefined) sel = await select('/.*/');
    const res = sel.results?.[0];
    if (res?.error !== undefined || res === undefined) rows.push({ series: JSON.stringify([m, 'query error: ' + (res?.error ?? sel.error)]), time: '', fields: {} });
    for (const s of res?.series ?? []) {
      if (s.name !== m) continue;
      const tags = Object.entries(s.tags ?? {}).filter(([, v]) => v !== '').sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      for (const v of s.values) {
        const time = BigInt(String(v[0]).slice(1));
        const fields: Record<string, string> = {};
        s.columns.forEach((c, i) => {
          if (i === 0 || v[i] === null) return;
          const ty = types.get(`${s.name}\u0000${c}`) ?? '?';
          const x = v[i];
          const txt = typeof x === 'string' && x.startsWith('\u0001') ? x.slice(1) : String(x);
          fields[c] = ty === 'float' ? 'float:' + Number(txt) : ty === 'string' ? 's:' + oneReplacement(txt) : ty === 'boolean' ? 'b:' + txt : ty === '?' ? '?:' + txt : ty + ':' + BigInt(txt);
        });
        rows.push({ series: JSON.stringify([s.name, tags]), time: isNow(time) ? NOW : String(time), fields });
      }
    }
  }
  return rows;
}

/**
 * Our result as rows for several bodies written one after the other (each with its own receive
 * time); points with the same series and time merge as in InfluxDB (last wins).
 */
export function oursMany(cases: ReadonlyArray<{ body: string | Buffer; precision: Precision; recv: bigint }>): { rows: Row[]; errors: LineError[][] } {
  const byKey = new Map<string, Row>();
  const errors: LineError[][] = [];
  for (const c of cases) {
    const r = parseLines(typeof c.body === 'string' ? Buffer.from(c.body) : c.body, { precision: c.precision, receivedAtNs: c.recv, allowUnsigned: false, allowCRLF: false });
    errors.push(r.errors);
    for (let i = 0; i < r.points.count; i++) {
      const p = decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]);
      const series = JSON.stringify([p.measurement, p.tags]);
      const time = String(p.timestamp);
      const row = byKey.get(series + '\u0000' + time) ?? { series, time, fields: {} };
      for (const [k, v] of p.fields) row.fields[k] = valueText(v);
      byKey.set(series + '\u0000' + time, row);
    }
  }
  const recvs = cases.map((c) => c.recv);
  const rows = [...byKey.values()].map((r) => (recvs.some((x) => near(BigInt(r.time), x)) ? { ...r, time: NOW } : r));
  return { rows, errors };
}

/** How kinflux refuses a value InfluxDB's storage engine cannot store (src/parse/fields.ts). */
export const ENGINE_REASON = 'invalid field value: InfluxDB reads';

/**
 * influxd's 500 for such a value: one it cannot parse as the type the iterator gave it, or an empty one
 * ("unknown field type"). It fails the whole write; kinflux refuses that point (deliberate 8).
 */
export const isEngine500 = (w: { status: number; body: string }): boolean =>
  w.status === 500 && /"engine: (unable to parse|unknown field type)/.test(w.body);

export const norm = (rows: Row[]): string[] => rows.map((r) => JSON.stringify([r.series, r.time, Object.entries(r.fields).sort()])).sort();

