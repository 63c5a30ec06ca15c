// Differential suite: every case goes to a real influxd 1.6.7 and to our parser; they must agree on
// what is accepted and on the stored values (SELECT … epoch=ns, SHOW FIELD KEYS).
import t, { type Test } from 'tap';

import { findInfluxd, startInfluxd, type Influxd } from '../helpers/influxd.js';
import { decodeLine, describeLineError, parseLines, parsePrecision } from '../../src/parse/index.js';
import type { FieldValue, LineError } from '../../src/parse/index.js';
import { HAND, PRECISION, mutations, type Case } from './cases.js';

/** JSON.parse that keeps every number's text, so int64 values and ns times stay exact. */
function parseExact(text: string): unknown {
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

type Row = { series: string; time: string; fields: Record<string, string> };
const NOW = 'now';

function valueText(v: FieldValue): string {
  if (v.type === 'string') return 's:' + v.value;
  if (v.type === 'boolean') return 'b:' + v.value;
  if (v.type === 'float') return 'float:' + v.value;
  return v.type + ':' + v.value;
}

function near(ns: bigint, recv: bigint): boolean {
  const d = ns - recv;
  return d < 120_000_000_000n && d > -120_000_000_000n;
}

/** What influxd stores: rows keyed by series and time, values tagged with SHOW FIELD KEYS types. */
async function stored(d: Influxd, db: string, recv: bigint): Promise<Row[]> {
  const fk = parseExact(await (await fetch(`${d.url}/query?${new URLSearchParams({ db, q: 'SHOW FIELD KEYS' })}`)).text()) as
    { results: Array<{ series?: Array<{ name: string; values: string[][] }> }> };
  const types = new Map<string, string>();
  for (const s of fk.results[0].series ?? []) for (const [k, ty] of s.values) types.set(`${s.name}\u0000${k}`, ty);
  // One SELECT per measurement: a SELECT over several measurements drops values whose field type
  // differs between them.
  const ms = parseExact(await (await fetch(`${d.url}/query?${new URLSearchParams({ db, q: 'SHOW MEASUREMENTS' })}`)).text()) as
    { results: Array<{ series?: Array<{ values: string[][] }> }> };
  const rows: Row[] = [];
  for (const [m] of ms.results[0].series?.[0]?.values ?? []) {
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
          fields[c] = ty === 'float' ? 'float:' + Number(txt) : ty === 'string' ? 's:' + txt : ty === 'boolean' ? 'b:' + txt : ty + ':' + BigInt(txt);
        });
        rows.push({ series: JSON.stringify([s.name, tags]), time: near(time, recv) ? NOW : String(time), fields });
      }
    }
  }
  return rows;
}

/** Our result as rows; points with the same series and time merge as in InfluxDB (last wins). */
function ours(c: Case, recv: bigint): { rows: Row[]; errors: LineError[] } {
  const precision = parsePrecision(c.precision, 'v1') ?? 'ns';
  const r = parseLines(Buffer.from(c.body), { precision, receivedAtNs: recv, allowUnsigned: false, allowCRLF: false });
  const byKey = new Map<string, Row>();
  for (let i = 0; i < r.points.count; i++) {
    const p = decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]);
    const series = JSON.stringify([p.measurement, p.tags]);
    const time = near(p.timestamp, recv) ? NOW : String(p.timestamp);
    const row = byKey.get(series + time) ?? { series, time, fields: {} };
    for (const [k, v] of p.fields) row.fields[k] = valueText(v);
    byKey.set(series + time, row);
  }
  return { rows: [...byKey.values()], errors: r.errors };
}

const norm = (rows: Row[]): string[] => rows.map((r) => JSON.stringify([r.series, r.time, Object.entries(r.fields).sort()])).sort();

async function run(t: Test, binary: string): Promise<void> {
  const d = await startInfluxd(binary);
  try {
    await compare(t, d);
  } finally {
    await d.stop();
  }
}

async function compare(t: Test, d: Influxd): Promise<void> {
  t.comment(`influxd ${d.version} at ${d.url}`);
  // Bodies ending in '\n' also reach the fast path (src/parse/fast.ts), which skips the last line.
  const nl = (cs: Case[]): Case[] => cs.map((c) => ({ ...c, body: c.body + '\n' }));
  const groups: Array<[string, Case[]]> = [['hand-written', HAND], ['precision', PRECISION], ['telegraf mutations', mutations(500)],
    ['newline-terminated', nl([...HAND, ...mutations(300, 2)])]];
  let n = 0;
  for (const [name, cases] of groups) {
    let agreeAccept = 0, agreeValues = 0, agreeText = 0, withText = 0, crashed = 0, wholeBatch = 0;
    const failures: string[] = [];
    for (const c of cases) {
      const db = `d${n++}`;
      await d.query('_', `CREATE DATABASE ${db}`);
      const recv = BigInt(Date.now()) * 1_000_000n;
      let w: { status: number; body: string };
      let theirs: Row[];
      const mine = ours(c, recv);
      try {
        w = await d.write(db, c.body, c.precision);
      } catch {
        // Deliberate difference: influxd 1.6.7 resets the connection on some lines with NUL bytes.
        crashed++;
        if (mine.errors.length === 0) failures.push(`${JSON.stringify(c)}: influxd reset the connection but kinflux accepted it`);
        continue;
      }
      theirs = await stored(d, db, recv);
      // Deliberate difference: a field type conflict inside one point can fail influxd's whole
      // request (when the shard is new); kinflux rejects just that point.
      if (w.body.trim() === '{"error":"field type conflict"}' && mine.errors.some((e) => e.reason.startsWith('field type conflict'))) {
        wholeBatch++;
        continue;
      }
      const acceptOk = (w.status === 204) === (mine.errors.length === 0);
      const valuesOk = JSON.stringify(norm(mine.rows)) === JSON.stringify(norm(theirs));
      if (acceptOk) agreeAccept++;
      if (valuesOk) agreeValues++;
      // Error texts: InfluxDB joins several with newlines; compare the single-error bodies.
      if (w.status === 400 && mine.errors.length === 1) {
        withText++;
        const msg = (JSON.parse(w.body) as { error: string }).error.replace(/^partial write: /, '').replace(/ dropped=\d+$/, '');
        const e = mine.errors[0];
        const text = describeLineError(e);
        // Our quoted line is truncated (deliberate); compare the prefix and the reason.
        const same = e.stage === 'storage' ? msg === text
          : msg.startsWith(`unable to parse '${e.text.replace(/\.\.\.$/, '')}`) && msg.endsWith(`': ${e.reason}`);
        if (same) agreeText++;
        else failures.push(`text ${JSON.stringify(c)}: influxd ${JSON.stringify(msg)} vs ours ${JSON.stringify(text)}`);
      }
      if (!acceptOk || !valuesOk) {
        failures.push(`${JSON.stringify(c)}: influxd ${w.status} ${w.body.trim()} ${JSON.stringify(norm(theirs))}; ours ${JSON.stringify(mine.errors.map(describeLineError))} ${JSON.stringify(norm(mine.rows))}`);
      }
    }
    const compared = cases.length - crashed - wholeBatch;
    t.comment(`${name}: ${cases.length} cases, ${compared} compared; accept/reject agree ${agreeAccept}/${compared}; values agree ${agreeValues}/${compared}; error texts agree ${agreeText}/${withText}; deliberate: influxd reset ${crashed}, whole-batch type conflict ${wholeBatch}`);
    for (const f of failures.slice(0, 40)) t.comment('DIFF ' + f);
    t.equal(failures.length, 0, `${name}: influxd and kinflux agree on every case`);
  }
}

const bin = findInfluxd();
if (bin === undefined) {
  if (process.env.CI) t.fail('influxd is not installed (Debian package influxdb); the differential suite needs it');
  else t.test('differential suite', { skip: 'influxd not installed (apt-get install influxdb)' }, () => {});
} else {
  await t.test('influxd 1.x and kinflux agree', (tt) => run(tt, bin));
}

