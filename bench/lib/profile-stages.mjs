// Reads a kinflux .cpuprofile (node --cpu-prof) and prints its top frames by self time and its busy time by stage:
// receive, parse, encode, pack, envelope+sign, send, pace, gc, other. A sample belongs to the stage of the
// nearest frame on its stack (leaf first) that a rule below recognises, so native work (a hash update, a
// copy) counts for the kinflux or SDK function that asked for it. Used by bench:e2e --profile.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** [stage, test on "functionName url"]: the first rule a frame matches names its stage; order matters. */
const RULES = [
  ['pace', /\/(pacing|queue)\/|admission-gate|shard-pacer|hash-range-groups/],
  ['pack', /record-packer|record-preparation|kpl-format|\/encode\/compress/],
  ['encode', /\/encode\//],
  ['parse', /\/parse\/|\/decode\/(body|snappy|protobuf)/],
  ['envelope+sign', /native-base64|signature-v4|protocols|serde|@smithy\/core|middleware-|PutRecordsCommand|@aws-sdk\/core/],
  ['send', /node-http-handler|put-records-call|sdk-port|stream-sender|put-outcomes|_http_client|\/deliver\//],
  ['receive', /fastify|find-my-way|avvio|light-my-request|\/http\/|_http_server|_http_incoming|_http_common|\/route\//],
];

function stageOf(frame) {
  const text = `${frame.functionName} ${frame.url}`;
  for (const [stage, re] of RULES) if (re.test(text)) return stage;
  return undefined;
}

/** The newest .cpuprofile in `dir`. */
export function newestProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

export function analyse(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map();
  const stages = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of dt) {
    const f = byId.get(id).callFrame;
    total += us;
    if (f.functionName === '(idle)' || f.functionName === '(program)') {
      idle += us;
      continue;
    }
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    let stage = f.functionName === '(garbage collector)' ? 'gc' : undefined;
    for (let n = id; stage === undefined && n !== undefined; n = parent.get(n)) stage = stageOf(byId.get(n).callFrame);
    stage ??= 'other';
    stages.set(stage, (stages.get(stage) ?? 0) + us);
  }
  return { busyUs: total - idle, totalUs: total, self, stages };
}

/** Text for a closing note: busy time, top frames and stages (ms per 1,000 requests when `requests` is given). */
export function profileReport(dirOrFile, { requests = 0, top = 15 } = {}) {
  const file = dirOrFile.endsWith('.cpuprofile') ? dirOrFile : newestProfile(dirOrFile);
  if (!file) return `no .cpuprofile in ${dirOrFile}`;
  const a = analyse(file);
  const pct = (us) => `${((100 * us) / a.busyUs).toFixed(1).padStart(5)}%`;
  const out = [`profile ${file}: busy ${(a.busyUs / 1000).toFixed(0)} ms of ${(a.totalUs / 1000).toFixed(0)} ms sampled (main thread)`, `top ${top} frames by self time:`];
  for (const [key, us] of [...a.self].sort((x, y) => y[1] - x[1]).slice(0, top)) out.push(`${pct(us)}  ${key}`);
  out.push(`by stage (nearest recognised frame on the stack)${requests ? `, CPU-ms per 1,000-point request over ~${Math.round(requests)} requests` : ''}:`);
  const order = ['receive', 'parse', 'encode', 'pack', 'envelope+sign', 'send', 'pace', 'gc', 'other'];
  for (const s of order) {
    const us = a.stages.get(s) ?? 0;
    out.push(`  ${s.padEnd(14)} ${pct(us)}${requests ? `  ${(us / 1000 / requests).toFixed(3)} ms` : ''}`);
  }
  return out.join('\n');
}

if (process.argv[1] === new URL(import.meta.url).pathname) console.log(profileReport(process.argv[2], { requests: Number(process.argv[3] ?? 0), top: Number(process.argv[4] ?? 15) }));
