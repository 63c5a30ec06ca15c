// Seeded, deterministic Telegraf-like line protocol (the plugins a Telegraf agent runs by default plus a few
// common ones) for tests and benchmarks, and an independent oracle that decodes exactly what it emits.
// Canonical already: sorted tags, ns timestamps, one line per point.
import type { FieldValue, Point } from '../../src/parse/types.js';

/** A small linear congruential generator: the same seed gives the same lines on every machine. */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000);
}

const HOSTS = Array.from({ length: 64 }, (_, i) => `node-${String(i).padStart(3, '0')}.dc1.example.net`);
const num = (x: number): string => String(Math.round(x * 1e4) / 1e4);
const int = (x: number): string => `${Math.floor(x)}i`;

/** The `n` lines for `seed`, each without its newline. */
export function telegrafLineArray(n: number, seed = 42): string[] {
  const rnd = lcg(seed);
  const out = new Array<string>(n);
  let ts = 1735689600000000000n;
  for (let i = 0; i < n; i++) {
    const host = HOSTS[i % HOSTS.length];
    ts += 997000n;
    switch (i % 8) {
      case 0:
        out[i] = `cpu,cpu=cpu${i % 4},host=${host} usage_guest=0,usage_idle=${num(rnd() * 100)},usage_iowait=${num(rnd() * 3)},usage_system=${num(rnd() * 15)},usage_user=${num(rnd() * 80)} ${ts}`;
        break;
      case 1:
        out[i] = `mem,host=${host} active=${int(rnd() * 8e9)},available=${int(rnd() * 16e9)},available_percent=${num(rnd() * 100)},buffered=${int(rnd() * 5e8)},cached=${int(rnd() * 6e9)},free=${int(rnd() * 4e9)},total=17179869184i,used=${int(rnd() * 12e9)},used_percent=${num(rnd() * 100)} ${ts}`;
        break;
      case 2:
        out[i] = `disk,device=sda${1 + (i % 3)},fstype=xfs,host=${host},mode=rw,path=/srv/data\\ ${i % 3} free=${int(rnd() * 5e11)},inodes_free=${int(rnd() * 3e7)},inodes_total=32768000i,inodes_used=${int(rnd() * 2e6)},total=536870912000i,used=${int(rnd() * 5e11)},used_percent=${num(rnd() * 100)} ${ts}`;
        break;
      case 3:
        out[i] = `net,host=${host},interface=ens${3 + (i % 2)} bytes_recv=${int(rnd() * 1e13)},bytes_sent=${int(rnd() * 1e13)},drop_in=${i % 7}i,drop_out=0i,err_in=0i,err_out=0i,packets_recv=${int(rnd() * 1e10)},packets_sent=${int(rnd() * 1e10)} ${ts}`;
        break;
      case 4:
        out[i] = `system,host=${host} load1=${num(rnd() * 8)},load15=${num(rnd() * 8)},load5=${num(rnd() * 8)},n_cpus=4i,n_users=${i % 5}i,uptime=${2000000 + i}i,uptime_format="${i % 40} days, ${String(i % 24).padStart(2, ' ')}:${String(i % 60).padStart(2, '0')}" ${ts}`;
        break;
      case 5:
        out[i] = `diskio,host=${host},name=sda,serial=WD-${String(10000 + (i % 9))} io_time=${int(rnd() * 1e8)},iops_in_progress=0i,read_bytes=${int(rnd() * 1e13)},read_time=${int(rnd() * 1e7)},reads=${int(rnd() * 1e9)},weighted_io_time=${int(rnd() * 1e8)},write_bytes=${int(rnd() * 1e13)},write_time=${int(rnd() * 1e7)},writes=${int(rnd() * 1e9)} ${ts}`;
        break;
      case 6:
        out[i] = `procstat,host=${host},pattern=postgres,process_name=postgres,user=postgres cmdline="postgres: checkpointer",cpu_usage=${num(rnd() * 5)},memory_rss=${int(rnd() * 5e8)},num_threads=${1 + (i % 3)}i,pid=${4000 + (i % 40)}i,running=${i % 11 !== 0} ${ts}`;
        break;
      default:
        out[i] = `kernel,host=${host} boot_time=1735000000i,context_switches=${int(rnd() * 1e12)},entropy_avail=256i,interrupts=${int(rnd() * 1e12)},processes_forked=${int(rnd() * 1e8)} ${ts}`;
    }
  }
  return out;
}

/** The same lines as one text, each ending in a newline. */
export function telegrafLines(n: number, seed = 42): string {
  return telegrafLineArray(n, seed).join('\n') + '\n';
}

const lists = new Map<string, string[]>();
/** The lines as an array, generated once per (n, seed) and shared: do not modify. */
export function telegrafLineList(n: number, seed = 42): string[] {
  const key = `${n}:${seed}`;
  let lines = lists.get(key);
  if (!lines) {
    lines = telegrafLineArray(n, seed);
    lists.set(key, lines);
  }
  return lines;
}

/** Splits at `sep` outside double quotes and not after a backslash. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

const unescapeKey = (s: string): string => s.replace(/\\([ ,=])/g, '$1');

function fieldValue(raw: string): FieldValue {
  if (raw.startsWith('"')) return { type: 'string', value: raw.slice(1, -1).replace(/\\(["\\])/g, '$1') };
  if (raw.endsWith('i')) return { type: 'integer', value: BigInt(raw.slice(0, -1)) };
  if (raw.endsWith('u')) return { type: 'unsigned', value: BigInt(raw.slice(0, -1)) };
  if (/^(t|true|T|True|TRUE)$/.test(raw)) return { type: 'boolean', value: true };
  if (/^(f|false|F|False|FALSE)$/.test(raw)) return { type: 'boolean', value: false };
  return { type: 'float', value: Number(raw) };
}

/** The oracle: decodes one generator line (with a timestamp) independently of kinflux's parser. */
export function oracleDecode(line: string): Point {
  const [series, fields, ts] = splitTop(line, ' ');
  const [measurement, ...tagPairs] = splitTop(series, ',');
  const tags = tagPairs
    .map((p) => {
      const [k, v] = splitTop(p, '=');
      return [unescapeKey(k), unescapeKey(v)] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    measurement: unescapeKey(measurement),
    tags,
    fields: splitTop(fields, ',').map((p) => {
      const eq = p.search(/(?<!\\)=/);
      return [unescapeKey(p.slice(0, eq)), fieldValue(p.slice(eq + 1))] as const;
    }),
    timestamp: BigInt(ts),
  };
}

/** A stable text form of a point for comparisons (bigint-safe). */
export function pointKey(p: Point): string {
  return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
