// Mutation fuzzer with a real influxd 1.6.7 as the oracle. It mutates the corpus (cases.ts) and
// Telegraf-like lines by inserting, deleting, replacing and swapping the bytes that matter to the
// grammar (`" \ = , space` and digits), writes each case to influxd and parses it with kinflux, and
// compares what each accepts and what each stores. Used by test/parse/fuzz.test.ts (a fixed budget
// in `npm test`) and tools/fuzz-lp.ts (`npm run fuzz:lp -- --count 200000`).
//
// Cases are written one POST each into a shared database per batch (a database per case costs
// ~70 ms); the batch is read back once, and only when it disagrees is each case re-run alone.
//
// influxd 1.6.7 panics and exits on some inputs (a field value the iterator reads as a lone `"`:
// models/points.go StringValue slices [1:0]). The oracle is then started again with a fresh data
// folder, the batches in flight are run again one at a time, and the case whose write killed it is
// classified on its own (`Reference`, `runSafely`).
import type { Influxd } from '../helpers/influxd.js';
import { ENGINE_REASON, isEngine500, norm, oursMany, stored, near, type Row } from '../helpers/influxd-compare.js';
import { decodeLine, describeLineError, parseLines } from '../../src/parse/index.js';
import type { LineError } from '../../src/parse/index.js';
import { HAND, rng, telegrafLines } from './cases.js';

const ALPHABET = ['"', '\\', '=', ',', ' ', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** One to three mutations of `s`: insert, delete, replace or swap neighbours. */
export function mutate(text: string, r: () => number): string {
  // On code points, so that a mutation never splits a character into invalid UTF-8.
  const s = Array.from(text);
  const ops = 1 + Math.floor(r() * 3);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const ch = ALPHABET[Math.floor(r() * ALPHABET.length)];
    switch (Math.floor(r() * 4)) {
      case 0: s.splice(at, 0, ch); break;
      case 1: s.splice(at, 1); break;
      case 2: s.splice(at, 1, ch); break;
      default: if (at + 1 < s.length) [s[at], s[at + 1]] = [s[at + 1], s[at]];
    }
  }
  return s.join('');
}

/** `count` mutated bodies, the same for the same seed: half from the corpus, half from Telegraf lines. */
export function fuzzCases(count: number, seed: number): string[] {
  const r = rng(seed);
  const corpus = HAND.map((c) => c.body);
  const lines = telegrafLines(400, seed);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const src = r() < 0.5 ? corpus[Math.floor(r() * corpus.length)] : lines[Math.floor(r() * lines.length)];
    out.push(mutate(src, r));
  }
  return out;
}

export interface FuzzResult {
  /** Cases run to a verdict. */
  cases: number;
  /** Cases whose acceptance (and values, batch-wise) were compared. */
  compared: number;
  /** Deliberate differences (src/parse/README.md), by kind. */
  deliberate: Record<string, number>;
  /** Cases where influxd's error text was compared, and how many agreed. */
  texts: number;
  textsAgree: number;
  /** Every disagreement, described. */
  disagreements: string[];
  /** The cases that killed influxd, each with the first line of its panic. */
  crashes: string[];
  /** Times influxd was started again. */
  restarts: number;
}

const emptyResult = (): FuzzResult => ({ cases: 0, compared: 0, deliberate: {}, texts: 0, textsAgree: 0, disagreements: [], crashes: [], restarts: 0 });

function merge(into: FuzzResult, r: FuzzResult): void {
  into.cases += r.cases;
  into.compared += r.compared;
  into.texts += r.texts;
  into.textsAgree += r.textsAgree;
  for (const [k, n] of Object.entries(r.deliberate)) into.deliberate[k] = (into.deliberate[k] ?? 0) + n;
  into.disagreements.push(...r.disagreements);
  into.crashes.push(...r.crashes);
}

/** influxd is gone; `body` is the case whose write broke (not always the one that killed it). */
export class InfluxdDied extends Error {
  constructor(readonly body: string | undefined, readonly stderr: string) {
    super(`influxd died${body === undefined ? '' : ` writing ${JSON.stringify(body)}`}: ${panicOf(stderr)}`);
  }
}

/** The panic's message and the function it was raised in, from a Go trace. */
export function panicOf(stderr: string): string {
  const m = /^panic: (.*)$\n+goroutine \d+ \[running\]:\n(\S+)/m.exec(stderr);
  return m === null ? `no panic in its stderr (${JSON.stringify(stderr.slice(-300))})` : `panic: ${m[1]} in ${m[2].replace(/\(0x[^)]*\)$|\([^)]*\)$/, '')}`;
}

interface Outcome { status: number; body: string }

async function post(d: Influxd, db: string, body: string): Promise<Outcome | undefined> {
  try {
    return await d.write(db, body);
  } catch {
    if (await d.alive()) return undefined; // influxd reset the connection (deliberate 3)
    throw new InfluxdDied(body, d.stderr());
  }
}

/** Compares error texts the way the differential suite does ('' when they agree or cannot be compared). */
function textDiff(w: Outcome, errors: LineError[]): string | undefined {
  if (w.status !== 400 || errors.length !== 1) return undefined;
  const msg = (JSON.parse(w.body) as { error: string }).error.replace(/^partial write: /, '').replace(/ dropped=\d+$/, '');
  const e = errors[0];
  const text = describeLineError(e);
  const same = e.stage === 'storage' ? msg === text
    : msg.startsWith(`unable to parse '${e.text.replace(/\.\.\.$/, '')}`) && msg.endsWith(`': ${e.reason}`);
  return same ? '' : `influxd ${JSON.stringify(msg)} vs ours ${JSON.stringify(text)}`;
}

let dbSeq = 0;
export const UNREADABLE = 'deliberate: unreadable measurement';
export const CONFLICT = 'deliberate: type conflict';
export const ENGINE = 'deliberate: engine 500';

/** True when two points kinflux reads from `body` give one field of one measurement different types. */
function typeClash(body: string): boolean {
  const r = parseLines(Buffer.from(body), { precision: 'ns', receivedAtNs: 0n, allowUnsigned: false, allowCRLF: false });
  const types = new Map<string, string>();
  for (let i = 0; i < r.points.count; i++) {
    const p = decodeLine(r.points.data, r.points.starts[i], r.points.starts[i + 1]);
    for (const [k, v] of p.fields) {
      const key = `${p.measurement}\u0000${k}`;
      if ((types.get(key) ?? v.type) !== v.type) return true;
      types.set(key, v.type);
    }
  }
  return false;
}

/**
 * One case alone in a fresh database: '' when influxd and kinflux agree, a `deliberate: …` marker
 * for a listed deliberate difference, else the difference.
 */
export async function isolated(d: Influxd, body: string): Promise<string> {
  const db = `fz_i${dbSeq++}`;
  await d.query('_', `CREATE DATABASE ${db}`);
  try {
    const recv = BigInt(Date.now()) * 1_000_000n;
    const mine = oursMany([{ body, precision: 'ns', recv }]);
    const w = await post(d, db, body);
    if (w === undefined) return '';
    const theirs = await stored(d, db, (ns) => near(ns, recv));
    // Deliberate (README 1 and 2): a type conflict inside one point, or between points of the request
    // (influxd keeps a schema, kinflux does not).
    if (w.body.includes('field type conflict') && mine.errors[0].some((e) => e.reason.startsWith('field type conflict'))) return CONFLICT;
    // Deliberate (README 8): a value the storage engine cannot store fails influxd's whole write.
    if (isEngine500(w) && mine.errors[0].some((e) => e.reason.startsWith(ENGINE_REASON))) return ENGINE;
    const a = norm(mine.rows), b = norm(theirs);
    // Deliberate (src/parse/README.md): a measurement holding `\,` is stored by influxd (204) but
    // never read back; kinflux delivers it.
    const readable = mine.rows.filter((r) => !(JSON.parse(r.series) as [string])[0].includes('\\,'));
    if (w.status === 204 && readable.length < mine.rows.length && JSON.stringify(norm(readable)) === JSON.stringify(b)) return UNREADABLE;
    if ((w.status === 204) !== (mine.errors[0].length === 0) || JSON.stringify(a) !== JSON.stringify(b)) {
      // Points of one request giving a field two types: influxd answers "field type conflict" on one
      // shard, or keeps both on two shards where one SELECT cannot return both (README 1).
      if (typeClash(body)) return CONFLICT;
      return `${JSON.stringify(body)}: influxd ${w.status} ${w.body.trim()} ${JSON.stringify(b)}; ours ${JSON.stringify(mine.errors[0].map(describeLineError))} ${JSON.stringify(a)}`;
    }
    return '';
  } finally {
    await d.query('_', `DROP DATABASE ${db}`);
  }
}

function note(res: FuzzResult, diff: string): void {
  if (diff === UNREADABLE) res.deliberate.unreadableMeasurement = (res.deliberate.unreadableMeasurement ?? 0) + 1;
  else if (diff === CONFLICT) res.deliberate.typeConflictAcrossPoints = (res.deliberate.typeConflictAcrossPoints ?? 0) + 1;
  else if (diff === ENGINE) res.deliberate.engine500 = (res.deliberate.engine500 ?? 0) + 1;
  else if (diff !== '') res.disagreements.push('values ' + diff);
}

/**
 * Runs the cases of one batch in one database; returns the cases put off because their field types
 * clash with an earlier case of the batch (a schema conflict in influxd, not a parser question).
 */
async function runBatch(d: Influxd, bodies: string[], res: FuzzResult): Promise<string[]> {
  const db = `fz_b${dbSeq++}`;
  await d.query('_', `CREATE DATABASE ${db}`);
  const included: Array<{ body: string; precision: 'ns'; recv: bigint }> = [];
  const recheck: string[] = [];
  const deferred: string[] = [];
  const types = new Map<string, string>();
  let dirty = false;
  const t0 = BigInt(Date.now()) * 1_000_000n;
  try {
    for (const body of bodies) {
      const recv = BigInt(Date.now()) * 1_000_000n;
      let mine: ReturnType<typeof oursMany>;
      try {
        mine = oursMany([{ body, precision: 'ns', recv }]);
      } catch (e) {
        // A record kinflux wrote but cannot read back itself: the worst kind of disagreement.
        res.cases++;
        res.disagreements.push(`${JSON.stringify(body)}: kinflux cannot decode its own record: ${String(e)}`);
        continue;
      }
      const errors = mine.errors[0];
      // Field types this case writes (measurement + field): a clash with the batch waits for another one.
      const mineTypes = mine.rows.flatMap((r) => Object.entries(r.fields).map(([k, v]) => [`${(JSON.parse(r.series) as [string])[0]}\u0000${k}`, v.slice(0, v.indexOf(':'))] as const));
      if (mineTypes.some(([k, ty]) => (types.get(k) ?? ty) !== ty)) { deferred.push(body); continue; }
      for (const [k, ty] of mineTypes) types.set(k, ty);
      res.cases++;
      // Points InfluxDB takes but no record line carries for every consumer: not sent at all.
      if (errors.some((e) => e.stage === 'record')) { res.deliberate.record = (res.deliberate.record ?? 0) + 1; continue; }
      const w = await post(d, db, body);
      if (w === undefined) {
        res.deliberate.influxdReset = (res.deliberate.influxdReset ?? 0) + 1;
        if (errors.length === 0) res.disagreements.push(`${JSON.stringify(body)}: influxd reset the connection but kinflux accepted it`);
        dirty = true; // whatever influxd wrote before resetting is unknown
        continue;
      }
      if (w.body.includes('field type conflict')) {
        // Within one point: deliberate (README). Against an earlier case of the batch: schema, not
        // parsing; the case is checked again on its own.
        if (errors.some((e) => e.reason.startsWith('field type conflict'))) res.deliberate.typeConflictInPoint = (res.deliberate.typeConflictInPoint ?? 0) + 1;
        else recheck.push(body);
        // Its other lines may be stored: the batch then differs and every case is re-run alone.
        continue;
      }
      // A value InfluxDB's iterator splits off where its scanner checked none fails influxd's whole
      // write in the storage engine (500); kinflux refuses that point (src/parse/fields.ts).
      if (isEngine500(w) && errors.some((e) => e.reason.startsWith(ENGINE_REASON))) {
        res.deliberate.engine500 = (res.deliberate.engine500 ?? 0) + 1;
        dirty = true; // what the engine kept of the request is not ours to guess
        continue;
      }
      res.compared++;
      if ((w.status === 204) !== (errors.length === 0)) {
        res.disagreements.push(`${JSON.stringify(body)}: influxd ${w.status} ${w.body.trim()}; ours ${JSON.stringify(errors.map(describeLineError))}`);
        dirty = true;
        continue;
      }
      const td = textDiff(w, errors);
      if (td !== undefined) {
        res.texts++;
        if (td === '') res.textsAgree++;
        else res.disagreements.push(`text ${JSON.stringify(body)}: ${td}`);
      }
      included.push({ body, precision: 'ns', recv });
    }
    const t1 = BigInt(Date.now()) * 1_000_000n;
    const isNow = (ns: bigint): boolean => ns >= t0 - 120_000_000_000n && ns <= t1 + 120_000_000_000n;
    const theirs = await stored(d, db, isNow);
    // A measurement holding `\,` is never read back by influxd (deliberate, README): left out here,
    // counted when a case is re-run alone.
    const mine: Row[] = oursMany(included).rows.filter((r) => !(JSON.parse(r.series) as [string])[0].includes('\\,'));
    if (dirty || JSON.stringify(norm(mine)) !== JSON.stringify(norm(theirs))) {
      // Find the case(s) responsible, each alone.
      for (const c of included) note(res, await isolated(d, c.body));
    }
    for (const body of recheck) note(res, await isolated(d, body));
  } finally {
    await d.query('_', `DROP DATABASE ${db}`);
  }
  return deferred;
}

/**
 * The oracle: an influxd started again, with a fresh data folder, when a case kills it. `d` is the one
 * running; work begun on an earlier one is not trusted (its port may even be reused by the new one).
 */
export interface Reference {
  readonly d: Influxd;
  readonly restarts: number;
  /** Replaces `dead` by a fresh influxd, once however many workers saw it die. */
  restart(dead: Influxd): Promise<void>;
  stop(): Promise<void>;
}

export function restartable(first: Influxd, start: () => Promise<Influxd>): Reference {
  let d = first;
  let restarts = 0;
  let pending: Promise<void> | undefined;
  return {
    get d() { return d; },
    get restarts() { return restarts; },
    async restart(dead) {
      if (d !== dead) return pending;
      pending ??= (async () => {
        await dead.stop();
        d = await start();
        restarts++;
      })().finally(() => { pending = undefined; });
      return pending;
    },
    stop: () => d.stop(),
  };
}

/** Batches share influxd; after a death each batch that was in flight runs again alone, so the case that kills it is known. */
class Gate {
  private shared = 0;
  private alone = false;
  private aloneWaiting = 0;
  private wakers: Array<() => void> = [];

  async enter(exclusive: boolean): Promise<() => void> {
    if (exclusive) this.aloneWaiting++;
    // A batch waiting to run alone goes before new shared ones.
    while (this.alone || (exclusive ? this.shared > 0 : this.aloneWaiting > 0)) await new Promise<void>((r) => this.wakers.push(r));
    if (exclusive) { this.aloneWaiting--; this.alone = true; } else this.shared++;
    return () => {
      if (exclusive) this.alone = false; else this.shared--;
      const w = this.wakers;
      this.wakers = [];
      for (const r of w) r();
    };
  }
}

/** A case influxd died on: deliberate when kinflux refuses the point the engine cannot store (README 8). */
function classifyCrash(res: FuzzResult, body: string, stderr: string): void {
  res.cases++;
  const panic = panicOf(stderr);
  res.crashes.push(`${JSON.stringify(body)}: ${panic}`);
  let errors: LineError[];
  try {
    errors = oursMany([{ body, precision: 'ns', recv: BigInt(Date.now()) * 1_000_000n }]).errors[0];
  } catch (e) {
    res.disagreements.push(`${JSON.stringify(body)}: kinflux cannot decode its own record: ${String(e)}`);
    return;
  }
  if (errors.some((e) => e.reason.startsWith(ENGINE_REASON))) res.deliberate.influxdPanic = (res.deliberate.influxdPanic ?? 0) + 1;
  else res.disagreements.push(`${JSON.stringify(body)}: influxd died (${panic}); ours ${JSON.stringify(errors.map(describeLineError))}`);
}

/** Whether writing `body` alone into a fresh influxd kills it (given a moment: the write can answer first). */
async function kills(ref: Reference, body: string): Promise<{ dead: boolean; stderr: string }> {
  const d = ref.d;
  await d.query('_', 'CREATE DATABASE fz_crash');
  try { await d.write('fz_crash', body); } catch { /* it died, or reset the connection */ }
  await new Promise((r) => setTimeout(r, 500));
  if (!(await d.alive())) {
    const stderr = d.stderr();
    await ref.restart(d);
    return { dead: true, stderr };
  }
  await d.query('_', 'DROP DATABASE fz_crash');
  return { dead: false, stderr: '' };
}

/**
 * Runs one batch to a verdict whatever influxd does: when it dies, the batch's partial results are
 * dropped, influxd is restarted and the batch runs again alone. Alone, the case written last before a
 * death is the suspect (a body spread over two shards can get its answer from one while the other's
 * write panics): it is written once more into a fresh influxd, and if that kills it too it is
 * classified and left out of the batch.
 */
async function runSafely(ref: Reference, gate: Gate, bodies: string[], res: FuzzResult): Promise<string[]> {
  let alone = false;
  let cases = bodies;
  for (let unexplained = 0; ; ) {
    const leave = await gate.enter(alone);
    const d = ref.d;
    let last: string | undefined;
    const watched: Influxd = { ...d, write: (db, body, precision) => { last = String(body); return d.write(db, body, precision); } };
    try {
      const part = emptyResult();
      const deferred = await runBatch(watched, cases, part);
      if (ref.d === d) { merge(res, part); return deferred; }
      // influxd was replaced while this batch ran on it: run it again.
    } catch (e) {
      if (!(e instanceof InfluxdDied) && (await d.alive())) throw e;
      await ref.restart(d);
      const suspect = e instanceof InfluxdDied ? e.body ?? last : last;
      const verdict = alone && suspect !== undefined ? await kills(ref, suspect) : undefined;
      const at = suspect === undefined ? -1 : cases.indexOf(suspect);
      if (verdict?.dead === true && suspect !== undefined && at >= 0) {
        cases = [...cases.slice(0, at), ...cases.slice(at + 1)];
        classifyCrash(res, suspect, verdict.stderr);
      } else if (alone && ++unexplained > 3) {
        throw new Error(`influxd keeps dying and no single case kills it: ${panicOf(d.stderr())}`);
      }
      alone = true;
    } finally {
      leave();
    }
  }
}

export interface FuzzOptions {
  count: number;
  seed: number;
  /** Cases per database. */
  batch?: number;
  /** Batches in flight at once. */
  workers?: number;
  progress?: (done: number, res: FuzzResult) => void;
  /** The cases (default: fuzzCases). */
  cases?: (count: number, seed: number) => string[];
}

export async function runFuzz(ref: Reference, o: FuzzOptions): Promise<FuzzResult> {
  const res = emptyResult();
  const gate = new Gate();
  const batch = o.batch ?? 100;
  const chunk = 20_000; // cases are generated in chunks, so a long run needs little memory
  for (let from = 0; from < o.count; from += chunk) {
    const bodies = (o.cases ?? fuzzCases)(Math.min(chunk, o.count - from), o.seed + from);
    let next = 0;
    const worker = async (): Promise<void> => {
      let waiting: string[] = [];
      while (next < bodies.length || waiting.length > 0) {
        const take = Math.max(0, batch - waiting.length);
        const part = [...waiting, ...bodies.slice(next, next + take)];
        next += take;
        // The first case of a batch always goes in, so every round makes progress.
        waiting = await runSafely(ref, gate, part, res);
        res.restarts = ref.restarts;
        o.progress?.(from + Math.min(next, bodies.length), res);
      }
    };
    await Promise.all(Array.from({ length: o.workers ?? 2 }, worker));
  }
  res.restarts = ref.restarts;
  return res;
}
