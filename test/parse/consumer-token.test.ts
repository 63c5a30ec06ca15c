// readAlike (src/parse/consumers.ts) decides on bytes whether Telegraf's influx parser reads the canonical
// spelling of a name token as InfluxDB's value. It replaced a check built from strings and regular
// expressions (costly per escape); that check is kept here as the oracle, and both must decide alike on
// every token: exhaustively up to 5 bytes over the bytes that matter, then on random longer tokens.
import t from 'tap';
import fc from 'fast-check';
import { FK_AS_WRITTEN, K_FIELD_KEY, K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, fieldKeyFacts, readAlike } from '../../src/parse/consumers.js';
import { parseLines } from '../../src/parse/index.js';
import { escapeFieldKey, escapeMeasurement, fieldKeyNeedsRaw, unescapeName, unescapeTag } from '../../src/parse/escape.js';

const isTelegrafControl = (c: number): boolean => c >= 9 && c <= 13;

/** The string-based reading of Telegraf's parser, as consumers.ts had it (the oracle). */
function telegrafReads(enc: string, kind: number): string | undefined {
  const n = enc.length;
  for (let i = 0; i < n; i++) {
    const c = enc.charCodeAt(i);
    if (isTelegrafControl(c)) return undefined;
    if (c === 92) {
      const d = enc.charCodeAt(i + 1);
      if (i + 1 >= n || isTelegrafControl(d)) return undefined;
      if (d !== 92 || (kind !== K_TAG_KEY && kind !== K_TAG_VALUE)) i++;
      continue;
    }
    if (c === 44 || c === 32 || (c === 61 && kind !== K_MEASUREMENT)) return undefined;
  }
  let active = false;
  for (let i = 0; i < n; i++) {
    const c = enc.charCodeAt(i);
    if (c === 32 || c === 44 || (c === 61 && kind !== K_MEASUREMENT)) { active = true; break; }
  }
  if (!active) return enc;
  return enc.replace(kind === K_MEASUREMENT ? /\\([, ])/g : /\\([, "=])/g, '$1');
}

/** The old decision for the raw token (latin1 text of the bytes as written). */
function oracle(raw: string, kind: number): boolean {
  if (kind === K_MEASUREMENT) {
    const v = unescapeName(raw);
    return telegrafReads(escapeMeasurement(v), kind) === v;
  }
  if (kind === K_FIELD_KEY) {
    const k = unescapeName(raw);
    return telegrafReads(fieldKeyNeedsRaw(k) ? raw : escapeFieldKey(k), kind) === k;
  }
  const r = kind === K_TAG_VALUE && raw.charCodeAt(0) === 61 ? '\\' + raw : raw;
  return telegrafReads(r, kind) === unescapeTag(r);
}

const KINDS = [K_MEASUREMENT, K_TAG_KEY, K_TAG_VALUE, K_FIELD_KEY];

/** readAlike on the token placed inside other bytes (it must read only b[s..e)). */
function bytesDecide(raw: string, kind: number): boolean {
  const b = Buffer.from('\\,' + raw + '\\ ', 'latin1');
  return readAlike(b, 2, 2 + raw.length, kind);
}

t.test('exhaustive: every token up to 5 bytes over \\ , space = " a tab', async (t) => {
  const alphabet = ['\\', ',', ' ', '=', '"', 'a', '\t'];
  let n = 0;
  const bad: string[] = [];
  const walk = (prefix: string): void => {
    for (const kind of KINDS) {
      n++;
      if (bytesDecide(prefix, kind) !== oracle(prefix, kind) && bad.length < 10) bad.push(`${JSON.stringify(prefix)} kind ${kind}`);
    }
    if (prefix.length < 5) for (const c of alphabet) walk(prefix + c);
  };
  walk('');
  t.same(bad, [], `${n} token/kind pairs`);
});

t.test('random tokens up to 40 bytes: the same decisions', async (t) => {
  const piece = fc.constantFrom('\\', '\\', '\\\\', ',', ' ', '=', '"', 'a', 'b', '\t', '\n', '\r', '\xe9', '\\,', '\\ ', '\\=', '\\"');
  const token = fc.array(piece, { maxLength: 20 }).map((a) => a.join(''));
  fc.assert(fc.property(token, fc.constantFrom(...KINDS), (raw, kind) => {
    if (bytesDecide(raw, kind) !== oracle(raw, kind)) throw new Error(`${JSON.stringify(raw)} kind ${kind}`);
  }), { numRuns: 100000 });
  t.pass('100000 tokens');
});

t.test('a field key without a backslash always reads alike (consumerCheck skips it)', async (t) => {
  const token = fc.array(fc.constantFrom(',', ' ', '=', '"', 'a', '\xe9'), { maxLength: 12 }).map((a) => a.join(''));
  fc.assert(fc.property(token, (raw) => oracle(raw, K_FIELD_KEY) && bytesDecide(raw, K_FIELD_KEY)), { numRuns: 20000 });
  t.pass('20000 keys');
});

t.test('known decisions', async (t) => {
  t.equal(bytesDecide('c\\\\=pu', K_MEASUREMENT), false, 'c\\\\=pu: the two unescape differently');
  t.equal(bytesDecide('c\\pu', K_MEASUREMENT), true, 'a lone backslash reads alike');
  t.equal(bytesDecide('m' + '\\ '.repeat(1000), K_MEASUREMENT), true, 'escaped spaces');
  t.equal(bytesDecide('x\\"y\\ z', K_TAG_VALUE), false, 'x\\"y\\ z in a tag value');
  t.equal(bytesDecide('x\\"y', K_TAG_VALUE), true, 'x\\"y in a tag value');
  t.equal(bytesDecide('a\\"b\\=c', K_TAG_KEY), false, 'a\\"b\\=c in a tag key');
  t.equal(bytesDecide('a\\\\', K_FIELD_KEY), true, 'a\\\\ as a field key: kept as written, both read two backslashes');
  t.equal(bytesDecide('c\\\\,a=1', K_MEASUREMENT), false, 'c\\\\,a=1: Telegraf ends the measurement at the comma');
  t.equal(bytesDecide('k\\ 1\\,', K_FIELD_KEY), true, 'k\\ 1\\, as a field key');
});

/** The canonical spelling of a field key written `raw` (emit.ts), from the string functions. */
const canonicalKey = (raw: string): string => {
  const k = unescapeName(raw);
  return fieldKeyNeedsRaw(k) ? raw : escapeFieldKey(k);
};

t.test('FK_AS_WRITTEN says exactly when a field key\'s canonical spelling is its bytes as written', async (t) => {
  const piece = fc.constantFrom('\\', '\\', ',', ' ', '=', '"', 'a', 'b', '\xe9', '\\,', '\\ ', '\\=', '\\"');
  fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }).map((a) => a.join('')), (raw) => {
    const r = fieldKeyFacts(Buffer.from(raw, 'latin1'), 0, raw.length);
    if (r >= 0) throw new Error(`control byte in ${JSON.stringify(raw)}`);
    if ((((-1 - r) & FK_AS_WRITTEN) !== 0) !== (canonicalKey(raw) === raw)) throw new Error(JSON.stringify(raw));
  }), { numRuns: 50000 });
  t.pass('50000 keys');
});

t.test('lines whose field keys hold escapes come out with the canonical keys (copied when as written)', async (t) => {
  const piece = fc.constantFrom('\\', 'a', 'b', '\\,', '\\ ', '\\=', '\\"', '"');
  const key = fc.array(piece, { minLength: 1, maxLength: 6 }).map((a) => 'k' + a.join(''));
  const o = { precision: 'ns', receivedAtNs: 1n, allowUnsigned: false, allowCRLF: false } as const;
  fc.assert(fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 4 }), (keys) => {
    const line = 'm ' + keys.map((k, i) => `${k}=${i}i`).join(',') + ' 1\n';
    const r = parseLines(Buffer.from(line, 'latin1'), o);
    if (r.errors.length > 0 || r.points.count !== 1) return; // refused or odd splits: other tests
    const want = 'm ' + keys.map((k, i) => `${canonicalKey(k)}=${i}i`).join(',') + ' 1\n';
    const got = r.points.data.toString('latin1');
    if (got !== want && new Set(keys.map(unescapeName)).size === keys.length) throw new Error(`${JSON.stringify(line)}: ${JSON.stringify(got)} not ${JSON.stringify(want)}`);
  }), { numRuns: 20000 });
  t.pass('20000 lines');
});
