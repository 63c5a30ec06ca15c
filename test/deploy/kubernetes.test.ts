// deploy/kubernetes validates offline against the Kubernetes API schemas (the kubernetes-models package
// ships validators compiled from the Kubernetes OpenAPI definitions; @kubernetes-models/prometheus-operator
// those of the ServiceMonitor CRD), and the manifests agree with each other and with kinflux: probes on the
// routes that exist, a grace period longer than preStop + shutdown timeout, settings that parse.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { DEFAULT_SERIES_CACHE_BYTES, SETTINGS } from '../../src/config/schema.js';
import { loadSettings } from '../../src/config/settings.js';
import { createRouter } from '../../src/route/router.js';

const dir = fileURLToPath(new URL('../../deploy/kubernetes', import.meta.url));

interface Manifest {
  file: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [k: string]: unknown;
}

/** The manifests of one folder (not its subfolders, as `kubectl apply -f <folder>` reads it). */
const manifestsIn = (folder: string): Manifest[] =>
  readdirSync(join(dir, folder))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((name) => {
      const file = folder ? `${folder}/${name}` : name;
      return parseAllDocuments(readFileSync(join(dir, file), 'utf8'), { strict: true, uniqueKeys: true }).map((doc) => {
        if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
        return { ...(doc.toJS() as Omit<Manifest, 'file'>), file } as Manifest;
      });
    });
/** What `kubectl apply -f deploy/kubernetes/` applies. */
const core = manifestsIn('');
/** Applied on their own, where the Prometheus Operator's CRDs are installed. */
const operator = manifestsIn('prometheus-operator');
const manifests: Manifest[] = [...core, ...operator];

/** The validating model of each kind the manifests use. */
const MODELS: Record<string, { validate(data: unknown): void }> = {
  'apps/v1 Deployment': { validate: (d) => new Deployment(d as IDeployment).validate() },
  'v1 Service': { validate: (d) => new Service(d as IService).validate() },
  'v1 ServiceAccount': { validate: (d) => new ServiceAccount(d as never).validate() },
  'autoscaling/v2 HorizontalPodAutoscaler': { validate: (d) => new HorizontalPodAutoscaler(d as IHorizontalPodAutoscaler).validate() },
  'policy/v1 PodDisruptionBudget': { validate: (d) => new PodDisruptionBudget(d as IPodDisruptionBudget).validate() },
  'monitoring.coreos.com/v1 ServiceMonitor': { validate: (d) => new ServiceMonitor(d as IServiceMonitor).validate() },
};

function one<T>(kind: string): T & Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as T & Manifest;
}

t.test('kubectl apply -f deploy/kubernetes/ needs no CRD: the ServiceMonitor is applied on its own', async (t) => {
  const builtIn = /^(v1|apps\/v1|autoscaling\/v2|policy\/v1)$/;
  for (const m of core) t.match(m.apiVersion, builtIn, `${m.file}: ${m.apiVersion} ${m.kind} is built into Kubernetes`);
  t.same(operator.map((m) => m.kind), ['ServiceMonitor']);
});

t.test('every section of the top README a manifest or the deploy README names exists', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const headings = new Set([...readme.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim()));
  const texts = [...manifests.map((m) => readFileSync(join(dir, m.file), 'utf8')), readFileSync(new URL('../../deploy/README.md', import.meta.url), 'utf8')];
  let named = 0;
  for (const text of texts) {
    for (const m of text.matchAll(/README(?:'s)? \(?"([^"\n]+)"|"([^"\n]+)"(?: section)? in the top README/g)) {
      const section = m[1] ?? m[2];
      named++;
      t.ok(headings.has(section), `README section "${section}" exists`);
    }
  }
  t.ok(named >= 2, `${named} references checked`);
});

t.test('every manifest validates against its Kubernetes schema', async (t) => {
  t.same(
    [...new Set(manifests.map((m) => m.kind))].sort(),
    ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor'],
  );
  for (const m of manifests) {
    const model = MODELS[`${m.apiVersion} ${m.kind}`];
    if (!t.ok(model, `${m.file}: a schema for ${m.apiVersion} ${m.kind}`)) continue;
    const { file, ...data } = m;
    t.doesNotThrow(() => model.validate(data), `${file}: ${m.kind} ${m.metadata.name} is valid`);
  }
});

t.test('the validators do catch mistakes (so a pass means something)', async (t) => {
  const d = structuredClone(one<IDeployment>('Deployment')) as unknown as IDeployment & { file?: string };
  delete d.file;
  const c = d.spec!.template.spec!.containers[0];
  (c.ports![0] as { containerPort: unknown }).containerPort = 'http';
  t.throws(() => new Deployment(d).validate(), /containerPort/);
  const h = structuredClone(one<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler')) as IHorizontalPodAutoscaler & { file?: string };
  delete h.file;
  delete (h.spec as { maxReplicas?: number }).maxReplicas;
  t.throws(() => new HorizontalPodAutoscaler(h).validate(), /maxReplicas/);
});

t.test('the Deployment runs kinflux the way its lifecycle needs', async (t) => {
  const d = one<IDeployment>('Deployment');
  const pod = d.spec!.template.spec!;
  const c = pod.containers[0];
  const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const port = c.ports!.find((p) => p.name === 'http')!;
  t.equal(port.containerPort, Number(env.KINFLUX_PORT), 'the container port is the one kinflux listens on');
  t.equal(env.KINFLUX_HOST, '0.0.0.0', 'listens beyond loopback, for the kubelet and the Service');

  t.equal(c.readinessProbe?.httpGet?.path, '/ready', 'readiness: /ready');
  t.equal(c.livenessProbe?.httpGet?.path, '/ping', 'liveness: /ping, which fails only when the process is broken (not /health: an absent stream is not mended by a restart)');
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) t.equal(probe?.httpGet?.port, 'http');
  const live = c.livenessProbe!;
  t.ok((live.periodSeconds ?? 10) * (live.failureThreshold ?? 3) >= 30, 'liveness tolerates half a minute of an unanswered /ping (a long GC, a busy node)');

  const shutdownMs = Number(env.KINFLUX_SHUTDOWN_TIMEOUT_MS);
  const preStop = c.lifecycle?.preStop?.exec?.command ?? [];
  t.equal(preStop[0], 'sleep', 'preStop sleeps while endpoints drop the pod');
  const preStopMs = Number(preStop[1]) * 1000;
  t.ok(preStopMs >= 3000, `preStop ${preStopMs} ms`);
  t.ok(pod.terminationGracePeriodSeconds! * 1000 >= preStopMs + shutdownMs + 5000, `grace ${pod.terminationGracePeriodSeconds} s > preStop ${preStopMs} ms + shutdown ${shutdownMs} ms + 5 s`);

  t.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, 'requests set (the HPA computes utilization from them)');
  t.ok(c.resources?.limits?.memory, 'a memory limit');
  t.equal(pod.securityContext?.runAsNonRoot, true);
  t.not(pod.securityContext?.runAsUser, 0);
  t.equal(c.securityContext?.readOnlyRootFilesystem, true);
  t.equal(c.securityContext?.allowPrivilegeEscalation, false);
  t.same(c.securityContext?.capabilities?.drop, ['ALL']);
  const mounts = (c.volumeMounts ?? []).map((v) => v.name);
  for (const v of pod.volumes ?? []) t.ok(mounts.includes(v.name), `volume ${v.name} is mounted`);
  t.equal(d.spec!.strategy?.rollingUpdate?.maxUnavailable, 0, 'rollouts never dip below the current capacity');
});

t.test('every KINFLUX_ variable is a setting, and together they parse', async (t) => {
  const c = one<IDeployment>('Deployment').spec!.template.spec!.containers[0];
  const known = new Set(SETTINGS.map((s) => s.env));
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.name.startsWith('KINFLUX_')) t.ok(known.has(e.name), `${e.name} is a kinflux setting`);
    if (e.value !== undefined) env[e.name] = e.value;
  }
  const settings = loadSettings(env);
  t.equal(settings.workers, 1, 'one process per pod: replicas scale with pods');
  t.equal(settings.http.port, 8086);
  // The README's memory budget at these settings fits under the memory limit: no OOM kill under a body flood.
  const MiB = 1024 * 1024;
  const streams = createRouter(settings.routes, settings.stream, settings.strictRoutes).streams.length;
  const budget =
    100 * MiB +
    3 * settings.http.maxInflightBodyBytes +
    streams * (settings.delivery.queueMaxBytes + 2 * (settings.delivery.seriesCacheMaxBytes ?? DEFAULT_SERIES_CACHE_BYTES));
  const limit = c.resources!.limits!.memory as string;
  const limitBytes = Number(limit.replace(/Mi$/, '')) * MiB;
  t.match(limit, /^\d+Mi$/);
  t.ok(budget <= limitBytes, `memory budget ${Math.round(budget / MiB)} MiB <= limit ${limit}`);
});

t.test('Service, HPA, PDB and ServiceMonitor point at the Deployment', async (t) => {
  const d = one<IDeployment>('Deployment');
  const labels = d.spec!.template.metadata!.labels!;
  const matches = (sel: Record<string, string> | undefined): boolean => !!sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
  t.same(d.spec!.selector.matchLabels, Object.fromEntries(Object.keys(d.spec!.selector.matchLabels!).map((k) => [k, labels[k]])));

  const svc = one<IService>('Service');
  t.ok(matches(svc.spec!.selector), 'the Service selects the pods');
  t.equal(svc.spec!.sessionAffinity, 'None', 'no stickiness needed');
  const portNames = d.spec!.template.spec!.containers[0].ports!.map((p) => p.name);
  for (const p of svc.spec!.ports!) t.ok(portNames.includes(String(p.targetPort)), `Service port ${p.name} → container port ${p.targetPort}`);

  const hpa = one<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
  t.same(hpa.spec!.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata!.name });
  t.same(hpa.spec!.metrics!.map((m) => m.resource?.name), ['cpu'], 'scales on CPU');
  t.ok(hpa.spec!.minReplicas! >= 2, 'at least two replicas, for availability');

  const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget');
  t.ok(matches(pdb.spec!.selector!.matchLabels), 'the PDB covers the pods');
  t.ok(pdb.spec!.maxUnavailable !== undefined || (pdb.spec!.minAvailable as number) < hpa.spec!.minReplicas!, 'a drain can always proceed');

  const sm = one<IServiceMonitor>('ServiceMonitor');
  t.ok(Object.entries(sm.spec.selector.matchLabels ?? {}).every(([k, v]) => svc.metadata!.labels![k] === v), 'the ServiceMonitor selects the Service');
  t.same(sm.spec.endpoints!.map((e) => [e.port, e.path]), [['http', '/metrics']]);
  t.equal(d.spec!.template.spec!.serviceAccountName, one<{ metadata: { name: string } }>('ServiceAccount').metadata.name);
});
