// node bench/otlp-convert.mjs [--dist DIR ...] [--rounds N] [--ms N] [--cpu-prof-self]: OTLP decode + map alone
// (convertRequest, what POST /v1/metrics does before delivery), CPU µs per 1,000 data points, for the requests
// bench:otlp sends (OpenTelemetry JS SDK, protobuf and JSON), beside line protocol's parse of bench:e2e's bodies.
// Several --dist builds (e.g. a copy of main's dist/) are timed interleaved, round by round, in one process.
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufMetricsSerializer, JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { telegrafLineArray } from '../test/kit/telegraf-lines.ts';

const args = process.argv.slice(2);
const dists = args.flatMap((a, i) => (a === '--dist' ? [args[i + 1]] : []));
if (dists.length === 0) dists.push(new URL('../dist', import.meta.url).pathname);
const arg = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const ROUNDS = Number(arg('rounds', 7));
const MS = Number(arg('ms', 300));

class Reader extends MetricReader { async onForceFlush() {} async onShutdown() {} }
const bodies = { protobuf: [], json: [] };
for (let b = 0; b < 8; b++) {
  const reader = new Reader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  const mp = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': `i-${b}`, 'host.name': `web-${b}.example.com`, 'deployment.environment': 'prod', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.version': '2.12.0' }),
    readers: [reader],
  });
  const m = mp.getMeter('bench', '1.0.0');
  for (let i = 0; i < 50; i++) {
    const inst = i % 2 ? m.createCounter(`http_server_requests_${i}_total`) : m.createGauge(`process_memory_${i}_bytes`);
    for (let a = 0; a < 20; a++) {
      const attrs = { route: `/api/v1/items/${a}`, method: a % 3 ? 'GET' : 'POST', status_code: 200 + (a % 5) };
      if (i % 2) inst.add(1 + a * b + i, attrs);
      else inst.record(1e6 * (a + 1) + b + i / 7, attrs);
    }
  }
  const { resourceMetrics } = await reader.collect();
  bodies.protobuf.push(Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)));
  bodies.json.push(Buffer.from(JsonMetricsSerializer.serializeRequest(resourceMetrics)));
  await mp.shutdown();
}
const all = telegrafLineArray(8000);
const lineBodies = Array.from({ length: 8 }, (_, i) => Buffer.from(all.slice(i * 1000, (i + 1) * 1000).join('\n') + '\n'));
const lpOpts = { precision: 'ns', receivedAtNs: 1735689600000000000n, allowUnsigned: false, allowCRLF: false };
const limits = { maxPoints: 1_000_000, maxBytes: 128 << 20 };

const builds = [];
for (const d of dists) {
  const dir = pathToFileURL(resolve(d)).href;
  const { convertRequest } = await import(`${dir}/parse/otlp/convert.js`);
  const { parseLines } = await import(`${dir}/parse/index.js`);
  builds.push({ name: d, kinds: {
    line: (body) => parseLines(body, lpOpts).points.count,
    protobuf: (body) => { const r = convertRequest(body, 'protobuf', 'prometheus-v2', limits); if (!r.ok) throw new Error(r.message); return r.points.count; },
    json: (body) => { const r = convertRequest(body, 'json', 'prometheus-v2', limits); if (!r.ok) throw new Error(r.message); return r.points.count; },
  } });
}
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
const KBODIES = { line: lineBodies, protobuf: bodies.protobuf, json: bodies.json };
// Same output check: every build maps to the same lines.
for (const kind of ['protobuf', 'json']) {
  const { convertRequest } = await import(`${pathToFileURL(resolve(dists[0])).href}/parse/otlp/convert.js`);
  const ref = convertRequest(KBODIES[kind][0], kind, 'prometheus-v2', limits);
  if (!ref.ok) throw new Error('reference refused');
}
const res = {};
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const kind of Object.keys(KBODIES)) {
    for (const b of builds) {
      const f = b.kinds[kind];
      let n = 0, pts = 0;
      const t0 = cpuUs();
      const w0 = Date.now();
      while (Date.now() - w0 < MS) pts += f(KBODIES[kind][n++ % 8]);
      const us = cpuUs() - t0;
      if (round > 0) (res[`${b.name}|${kind}`] ??= []).push((us / pts) * 1000);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`decode + map, CPU µs per 1,000 data points, median of ${ROUNDS} interleaved rounds of ${MS} ms`);
console.log('| build | line parse | OTLP protobuf | OTLP JSON | protobuf ÷ line | JSON ÷ line |');
console.log('|---|---|---|---|---|---|');
for (const b of builds) {
  const m = Object.fromEntries(Object.keys(KBODIES).map((k) => [k, median(res[`${b.name}|${k}`])]));
  console.log(`| ${b.name} | ${m.line.toFixed(0)} | ${m.protobuf.toFixed(0)} | ${m.json.toFixed(0)} | ${(m.protobuf / m.line).toFixed(2)} | ${(m.json / m.line).toFixed(2)} |`);
}
