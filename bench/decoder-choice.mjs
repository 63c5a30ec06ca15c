// Decoder choice for remote_write (docs/performance.md "Decoders"): protobuf (the hand-written reader vs
// protobufjs vs @bufbuild/protobuf) and snappy (hand-written vs `snappy` (napi) vs snappyjs), interleaved
// rounds in one run. The alternatives that are not dependencies are optional:
//   npm run build && npm i --no-save snappy @bufbuild/protobuf && node bench/decoder-choice.mjs
import protobuf from 'protobufjs';
const snappy = await import('snappy').then((m) => m.default, () => undefined);
import snappyjs from 'snappyjs';
const bufbuild = await import('@bufbuild/protobuf').catch(() => undefined);
const wkt = await import('@bufbuild/protobuf/wkt').catch(() => undefined);
const W = new URL('../dist', import.meta.url).href;
const { snappyDecode } = await import(`${W}/decode/snappy.js`);
const { decodeWriteRequestV1 } = await import(`${W}/parse/remote-write/remote-write.js`);
const { PointBuilder } = await import(`${W}/parse/point-builder.js`);

const json = { nested: { prometheus: { nested: {
  WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
  TimeSeries: { fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } } },
  Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
  Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
} } } };
const root = protobuf.Root.fromJSON(json);
const WR = root.lookupType('prometheus.WriteRequest');
const modes = ['user', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
function request(n, t0) {
  const timeseries = [];
  for (let i = 0; i < n; i++) timeseries.push({ labels: [
    { name: '__name__', value: i % 3 ? 'node_cpu_seconds_total' : 'node_network_receive_bytes_total' },
    { name: 'cpu', value: String(i % 64) }, { name: 'instance', value: `host-${i % 50}.example.com:9100` },
    { name: 'job', value: 'node' }, { name: 'mode', value: modes[i % 8] }, { name: 'series', value: String(i) }],
    samples: [{ value: i * 1.5 + 0.25, timestamp: t0 + i }] });
  return Buffer.from(WR.encode(WR.create({ timeseries })).finish());
}
const raw = request(1000, 1765100000000);
const body = Buffer.from(snappyjs.compress(raw));
console.log(`request: 1,000 series, ${raw.length} bytes protobuf, ${body.length} bytes snappy`);

// @bufbuild/protobuf from a descriptor built at run time (what protoc-gen-es would embed).
const fdp = bufbuild && wkt && bufbuild.create(wkt.FileDescriptorProtoSchema, { name: 'rw.proto', package: 'prometheus', syntax: 'proto3', messageType: [
  { name: 'WriteRequest', field: [{ name: 'timeseries', number: 1, label: 3, type: 11, typeName: '.prometheus.TimeSeries', jsonName: 'timeseries' }] },
  { name: 'TimeSeries', field: [{ name: 'labels', number: 1, label: 3, type: 11, typeName: '.prometheus.Label', jsonName: 'labels' }, { name: 'samples', number: 2, label: 3, type: 11, typeName: '.prometheus.Sample', jsonName: 'samples' }] },
  { name: 'Label', field: [{ name: 'name', number: 1, label: 1, type: 9, jsonName: 'name' }, { name: 'value', number: 2, label: 1, type: 9, jsonName: 'value' }] },
  { name: 'Sample', field: [{ name: 'value', number: 1, label: 1, type: 1, jsonName: 'value' }, { name: 'timestamp', number: 2, label: 1, type: 3, jsonName: 'timestamp' }] },
] });
const BufWR = fdp && bufbuild.createFileRegistry(fdp, () => undefined).getMessage('prometheus.WriteRequest');

const opts = { metricVersion: 2, receivedAtNs: 1n, maxPoints: 1e7, maxOutputBytes: 1e9 };
function viaObjects(req) {
  const b = new PointBuilder();
  for (const ts of req.timeseries) {
    let name = '';
    for (const l of ts.labels) if (l.name === '__name__') name = l.value;
    for (const s of ts.samples) {
      b.begin().measurement('prometheus_remote_write');
      for (const l of ts.labels) if (l.name !== '__name__') b.tag(l.name, l.value);
      b.floatField(name, s.value);
      b.endMs(Number(s.timestamp));
    }
  }
  return b.batch();
}
const protoWays = {
  hand: (r) => decodeWriteRequestV1(r, opts).points,
  protobufjs: (r) => viaObjects(WR.decode(r)),
  ...(BufWR ? { bufbuild: (r) => viaObjects(bufbuild.fromBinary(BufWR, r)) } : {}),
};
const snappyWays = {
  hand: (b) => snappyDecode(b, 1 << 30),
  ...(snappy ? { 'snappy (napi)': (b) => snappy.uncompressSync(b) } : {}),
  snappyjs: (b) => snappyjs.uncompress(b),
};
// Same output from each.
const ref = protoWays.hand(raw);
for (const [k, f] of Object.entries(protoWays)) { const p = f(raw); if (!p.data.equals(ref.data)) throw new Error(`${k} differs`); }
for (const [k, f] of Object.entries(snappyWays)) { if (!Buffer.from(f(body)).equals(raw)) throw new Error(`${k} differs`); }
console.log(ref.data.subarray(0, ref.starts[1]).toString().trim());

function time(f, arg, reps) {
  const t = process.cpuUsage();
  for (let i = 0; i < reps; i++) f(arg);
  const u = process.cpuUsage(t);
  return (u.user + u.system) / reps; // µs per request
}
for (const set of [['protobuf → points (1,000 series)', protoWays, raw, 200], ['snappy block decode', snappyWays, body, 2000]]) {
  const [title, ways, arg, reps] = set;
  const acc = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (const f of Object.values(ways)) time(f, arg, reps / 4); // warm up
  for (let round = 0; round < 7; round++) for (const [k, f] of Object.entries(ways)) acc[k].push(time(f, arg, reps));
  console.log(`\n${title}: CPU µs per request, median of 7 interleaved rounds`);
  const base = acc.hand.sort((a, b) => a - b)[3];
  for (const [k, v] of Object.entries(acc)) { const m = v.sort((a, b) => a - b)[3]; console.log(`  ${k.padEnd(16)} ${m.toFixed(1).padStart(8)} µs  ${(m / base).toFixed(2)}×`); }
}
