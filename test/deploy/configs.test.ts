// The deployment files parse and agree with each other and with the code:
// docker-compose.yml, Dockerfile, deploy/telegraf, deploy/prometheus and deploy/grafana.
// External validators (promtool, docker-compose) run when installed; under CI they must be.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { createMetrics } from '../../src/metrics/registry.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const file = (p: string) => join(root, p);
const read = (p: string) => readFileSync(file(p), 'utf8');
const yamlFile = (p: string): any => parseYaml(read(p), { strict: true, uniqueKeys: true });

const COMPOSE = 'docker-compose.yml';
const PROMETHEUS = 'deploy/prometheus/prometheus.yml';
const TELEGRAF = 'deploy/telegraf/telegraf.conf';
const GRAFANA_DATASOURCES = 'deploy/grafana/provisioning/datasources';
const GRAFANA_PROVIDERS = 'deploy/grafana/provisioning/dashboards';
const GRAFANA_DASHBOARDS = 'deploy/grafana/dashboards';

/** Whether a command exists; when it does not, the test fails under CI and is skipped elsewhere. */
function haveTool(t: Test, cmd: string, pkg: string): boolean {
  const probe = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (!probe.error) return true;
  if (process.env.CI) t.fail(`${cmd} is missing: CI must install the Debian package ${pkg}`);
  else t.plan(0, `${cmd} not installed (Debian package ${pkg}); CI requires it`);
  return false;
}

/** `KEY=VALUE` list or map, as compose allows both, into a map. */
function envOf(service: any): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(env.map((e: string) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** Bind mounts of a service as [host path relative to the root, container path]. */
function bindMounts(service: any): Array<[string, string]> {
  return (service.volumes ?? [])
    .map((v: string) => v.split(':'))
    .filter(([src]: string[]) => src.startsWith('.') || src.startsWith('/'))
    .map(([src, dst]: string[]) => [src, dst]);
}

t.test('docker-compose.yml', async (t) => {
  t.test('docker-compose config validates it', async (t) => {
    if (!haveTool(t, 'docker-compose', 'docker-compose')) return;
    const r = spawnSync('docker-compose', ['-f', COMPOSE, 'config', '-q'], { cwd: root, encoding: 'utf8' });
    t.equal(r.status, 0, `docker-compose config -q: ${r.stderr}`);
  });

  const compose = yamlFile(COMPOSE);
  const svc = compose.services;

  t.test('has the five services', async (t) => {
    t.same(Object.keys(svc).sort(), ['grafana', 'kinesis-mock', 'kinflux', 'prometheus', 'telegraf']);
  });

  t.test('kinesis-mock initialises every stream kinflux is configured with', async (t) => {
    const k = svc['kinesis-mock'];
    t.equal(k.image, 'ghcr.io/etspaceman/kinesis-mock:0.4.8');
    t.ok(k.ports.includes('4568:4568'), 'plain HTTP port published');
    const initialised = new Map<string, number>(
      envOf(k).INITIALIZE_STREAMS!.split(',').map((s) => {
        const [name, shards] = s.split(':');
        return [name!, Number(shards)] as [string, number];
      }),
    );
    t.same([...initialised], [['metrics', 4], ['app-metrics', 2]]);
    const env = envOf(svc.kinflux);
    const routed = env.KINFLUX_ROUTES!.split(',').map((r) => r.split('=')[1]!);
    for (const stream of [env.KINFLUX_STREAM!, ...routed]) t.ok(initialised.has(stream), `stream ${stream} is initialised`);
  });

  t.test('kinflux is built from the Dockerfile and pointed at kinesis-mock', async (t) => {
    const k = svc.kinflux;
    t.ok(k.build === '.' || k.build?.context === '.', 'built from the top-level Dockerfile');
    t.ok(k.ports.includes('8086:8086'));
    t.match(envOf(k), {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: /\S/,
      AWS_SECRET_ACCESS_KEY: /\S/,
      KINFLUX_KINESIS_ENDPOINT: 'http://kinesis-mock:4568',
      KINFLUX_STREAM: 'metrics',
      KINFLUX_ROUTES: 'app=app-metrics',
    });
    const deps = Array.isArray(k.depends_on) ? k.depends_on : Object.keys(k.depends_on);
    t.ok(deps.includes('kinesis-mock'), 'depends on kinesis-mock');
  });

  t.test('images and mounts', async (t) => {
    t.equal(svc.telegraf.image, 'telegraf:1.36');
    t.match(svc.prometheus.image, /^prom\/prometheus:/);
    t.match(svc.grafana.image, /^grafana\/grafana:/);
    t.ok(svc.prometheus.ports.includes('9090:9090'));
    t.ok(svc.grafana.ports.includes('3000:3000'));
    const mounts = Object.fromEntries(
      ['telegraf', 'prometheus', 'grafana'].map((s) => [s, new Map(bindMounts(svc[s]).map(([a, b]) => [b, a]))]),
    );
    t.equal(mounts.telegraf.get('/etc/telegraf/telegraf.conf'), `./${TELEGRAF}`);
    t.equal(mounts.prometheus.get('/etc/prometheus/prometheus.yml'), `./${PROMETHEUS}`);
    t.equal(mounts.grafana.get('/etc/grafana/provisioning'), './deploy/grafana/provisioning');
    t.equal(mounts.grafana.get('/var/lib/grafana/dashboards'), `./${GRAFANA_DASHBOARDS}`);
    for (const [name, s] of Object.entries<any>(svc)) {
      for (const [src] of bindMounts(s)) t.ok(existsSync(resolve(root, src)), `${name}: ${src} exists`);
    }
  });
});

t.test('Dockerfile', async (t) => {
  const df = read('Dockerfile');
  const runtime = df.slice(df.lastIndexOf('\nFROM '));
  t.match(df, /^FROM \S*node:24-(slim|alpine)\S* AS build$|^ARG NODE_IMAGE=node:24-(slim|alpine)/m, 'node 24 LTS slim/alpine');
  t.match(df, /RUN npm ci\b/, 'build stage installs with npm ci');
  // `prepare` builds from src/ and scripts/, which are not in the image when dependencies are installed.
  for (const [, flags] of df.matchAll(/RUN npm ci\b([^\n&]*)/g)) t.match(flags, /--ignore-scripts/, `npm ci${flags} skips prepare`);
  t.match(df, /RUN npm run build/);
  t.match(df, /npm ci --omit=dev/, 'production dependencies only');
  for (const p of ['dist', 'bin', 'node_modules', 'openapi.yaml', 'package.json']) {
    t.match(runtime, new RegExp(`^COPY .*\\b${p.replace('.', '\\.')}\\b`, 'm'), `runtime has ${p}`);
  }
  t.match(runtime, /^RUN ln -s \/app\/bin\/kinflux\.js \/usr\/local\/bin\/kinflux$/m, 'kinflux is on PATH in the image (README: kinflux read)');
  t.match(runtime, /^USER (?!root\b|0\b)\S+/m, 'runs as non-root');
  t.match(runtime, /^EXPOSE 8086$/m);
  t.match(runtime, /^HEALTHCHECK [\s\S]*\/ready/m, 'healthcheck asks /ready');
  t.match(runtime, /^CMD \["node", ?"dist\/cli\.js"\]$/m);
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
  for (const p of ['node_modules', 'dist', '.git']) t.ok(ignored.includes(p), `.dockerignore has ${p}`);
});

t.test('deploy/README agrees with the Dockerfile, and its AWS CLI recipe works with CLI v1 and v2', async (t) => {
  const doc = read('deploy/README.md');
  const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile'))?.[1] ?? /^FROM (\S+) AS build$/m.exec(read('Dockerfile'))?.[1];
  t.ok(image, 'the Dockerfile names its Node image');
  t.match(doc, `\`${image}\``, `deploy/README names ${image}`);
  for (const [other] of doc.matchAll(/node:\d+-\w+/g)) t.equal(other, image, `deploy/README's ${other} is the Dockerfile's`);
  // CLI v1 reads AWS_DEFAULT_REGION, never AWS_REGION: every aws command of the recipe passes --region.
  const commands = [...doc.matchAll(/\baws --endpoint-url[^\n"]*/g)].map((m) => m[0]);
  t.ok(commands.length > 0);
  for (const c of commands) t.match(c, /--region \S+/, c);
});

t.test('Prometheus', async (t) => {
  t.test('promtool check config', async (t) => {
    if (!haveTool(t, 'promtool', 'prometheus')) return;
    const r = spawnSync('promtool', ['check', 'config', PROMETHEUS], { cwd: root, encoding: 'utf8' });
    t.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  });
  t.test('scrapes kinflux /metrics every 5 s', async (t) => {
    const job = yamlFile(PROMETHEUS).scrape_configs.find((j: any) => j.job_name === 'kinflux');
    t.ok(job, 'has a kinflux job');
    t.equal(job.scrape_interval, '5s');
    t.equal(job.metrics_path ?? '/metrics', '/metrics');
    t.same(job.static_configs.flatMap((c: any) => c.targets), ['kinflux:8086']);
  });
});

t.test('Telegraf', async (t) => {
  const conf: any = parseToml(read(TELEGRAF));
  const compose = yamlFile(COMPOSE);
  const routes = new Map(
    envOf(compose.services.kinflux).KINFLUX_ROUTES!.split(',').map((r) => r.split('=') as [string, string]),
  );

  t.test('outputs.influxdb writes database telegraf, gzip, to kinflux', async (t) => {
    const outs = conf.outputs.influxdb;
    t.equal(outs.length, 1);
    t.same(outs[0].urls, ['http://kinflux:8086']);
    t.equal(outs[0].database, 'telegraf');
    t.equal(outs[0].content_encoding, 'gzip');
  });
  t.test('outputs.influxdb_v2 writes a routed bucket to kinflux', async (t) => {
    const outs = conf.outputs.influxdb_v2;
    t.equal(outs.length, 1);
    t.same(outs[0].urls, ['http://kinflux:8086']);
    t.equal(outs[0].bucket, 'app');
    t.ok(routes.has(outs[0].bucket), `bucket ${outs[0].bucket} is in KINFLUX_ROUTES`);
  });
  t.test('has the host inputs', async (t) => {
    for (const i of ['cpu', 'mem', 'disk', 'net', 'system']) t.ok(conf.inputs[i], `inputs.${i}`);
  });
  t.test('every Telegraf config in the repo parses as TOML', async (t) => {
    const dir = file('deploy/telegraf');
    const confs = readdirSync(dir).filter((f) => f.endsWith('.conf') || f.endsWith('.toml'));
    t.ok(confs.length >= 1);
    for (const f of confs) t.doesNotThrow(() => parseToml(readFileSync(join(dir, f), 'utf8')), f);
  });
});

t.test('Grafana', async (t) => {
  const compose = yamlFile(COMPOSE);
  const datasources = readdirSync(file(GRAFANA_DATASOURCES)).filter((f) => /\.ya?ml$/.test(f));
  const providers = readdirSync(file(GRAFANA_PROVIDERS)).filter((f) => /\.ya?ml$/.test(f));
  const dashboards = readdirSync(file(GRAFANA_DASHBOARDS)).filter((f) => f.endsWith('.json'));
  const dsUids = new Set<string>();

  t.test('datasource provisioning parses and points at the compose Prometheus', async (t) => {
    t.ok(datasources.length >= 1);
    for (const f of datasources) {
      const doc = yamlFile(`${GRAFANA_DATASOURCES}/${f}`);
      t.equal(doc.apiVersion, 1, `${f} apiVersion`);
      for (const ds of doc.datasources) {
        t.type(ds.uid, 'string', `${f}: ${ds.name} has a fixed uid`);
        dsUids.add(ds.uid);
        if (ds.type === 'prometheus') {
          const host = new URL(ds.url).hostname;
          t.ok(compose.services[host], `${f}: ${ds.url} is a compose service`);
        }
      }
    }
  });

  t.test('dashboard provisioning parses and reads the mounted dashboards folder', async (t) => {
    t.ok(providers.length >= 1);
    for (const f of providers) {
      const doc = yamlFile(`${GRAFANA_PROVIDERS}/${f}`);
      t.equal(doc.apiVersion, 1, `${f} apiVersion`);
      const mounted = bindMounts(compose.services.grafana).map(([, dst]) => dst);
      for (const p of doc.providers) t.ok(mounted.includes(p.options.path), `${f}: ${p.options.path} is mounted`);
    }
  });

  t.test('dashboard panels query only metrics that kinflux exports', async (t) => {
    const metrics = createMetrics();
    const exported = new Set<string>();
    const contract = new Set<string>();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      const names = String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name];
      for (const n of names) exported.add(n);
      if (m.name.startsWith('kinflux_')) contract.add(m.name);
    }
    const job = yamlFile(PROMETHEUS).scrape_configs.find((j: any) => j.job_name === 'kinflux').job_name;
    const used = new Set<string>();
    const exprs: string[] = [];
    t.ok(dashboards.length >= 1);
    for (const f of dashboards) {
      const dash = JSON.parse(readFileSync(file(`${GRAFANA_DASHBOARDS}/${f}`), 'utf8'));
      const panels = dash.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);
      const ids = panels.map((p: any) => p.id);
      t.equal(new Set(ids).size, ids.length, `${f}: panel ids are unique`);
      for (const p of panels) {
        if (p.type === 'row') continue;
        t.ok(p.targets?.length, `${f}: "${p.title}" has queries`);
        for (const target of p.targets ?? []) {
          const uid = target.datasource?.uid ?? p.datasource?.uid;
          t.equal(uid, '${datasource}', `${f}: "${p.title}" uses the datasource variable, no fixed uid`);
          for (const name of metricNames(target.expr)) {
            used.add(name);
            t.ok(exported.has(name), `${f}: "${p.title}" queries ${name}, which kinflux exports`);
            // Every selector is narrowed to the chosen job(s), whatever the importer's Prometheus calls the job.
            const selectors = [...target.expr.matchAll(new RegExp(`\\b${name}\\b(\\{[^}]*\\})?`, 'g'))];
            for (const [sel, labels] of selectors) t.match(labels ?? '', /\bjob=~"\$job"/, `${f}: "${p.title}": ${sel} filters on $job`);
          }
          t.notMatch(target.expr, /\bjob="/, `${f}: "${p.title}" hard-codes no job`);
          exprs.push(target.expr);
        }
      }
      const vars = new Map<string, any>((dash.templating?.list ?? []).map((v: any) => [v.name, v]));
      for (const v of vars.values()) {
        for (const name of metricNames(v.definition ?? '')) t.ok(exported.has(name), `${f}: variable ${v.name} uses ${name}`);
        if (v.datasource) t.equal(v.datasource.uid, '${datasource}', `${f}: variable ${v.name} uses the datasource variable`);
      }
      // Importable into any Grafana: the datasource is a variable over Prometheus datasources (the default one when
      // imported, the provisioned one in compose, which is a Prometheus and the default), and the job is a variable.
      t.match(vars.get('datasource'), { type: 'datasource', query: 'prometheus' }, `${f}: datasource variable`);
      t.match(vars.get('job'), { type: 'query', definition: /label_values\(kinflux_\w+, job\)/ }, `${f}: job variable`);
      t.ok(
        [...dsUids.values()].length > 0 && datasources.some((ds) => yamlFile(`${GRAFANA_DATASOURCES}/${ds}`).datasources.some((d: any) => d.type === 'prometheus' && d.isDefault)),
        'compose provisions a default Prometheus datasource for the variable to pick',
      );
      t.notMatch(JSON.stringify(dash), /"uid":\s*"prometheus"/, `${f}: no hard-coded datasource uid`);
    }
    for (const m of contract) {
      const forms = [m, `${m}_bucket`, `${m}_sum`, `${m}_count`];
      t.ok(forms.some((n) => used.has(n)), `the dashboard shows ${m}`);
    }
    t.test('promtool parses every panel query', async (t) => {
      if (!haveTool(t, 'promtool', 'prometheus')) return;
      const dir = mkdtempSync(join(tmpdir(), 'kinflux-dash-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      // A rule file is the one input promtool parses PromQL from offline.
      const rules = exprs.map((e, i) => ({
        record: `kinflux:dashboard_query_${i}`,
        expr: e.replaceAll('$__rate_interval', '1m').replaceAll('$stream', '.*').replaceAll('$job', job),
      }));
      const path = join(dir, 'rules.yml');
      writeFileSync(path, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const r = spawnSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
      t.equal(r.status, 0, `promtool check rules: ${r.stdout}${r.stderr}`);
    });
  });
});

const PROMQL_WORDS = new Set([
  // aggregations, modifiers and operators
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'atan2',
  // functions used or likely in dashboards
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'label_values', 'label_replace',
  'clamp_min', 'clamp_max', 'abs', 'ceil', 'floor', 'round', 'sqrt', 'exp', 'ln', 'vector', 'scalar', 'time',
  'absent', 'changes', 'resets', 'sort', 'sort_desc', 'avg_over_time', 'max_over_time', 'min_over_time',
  'sum_over_time', 'count_over_time', 'quantile_over_time', 'last_over_time', 'predict_linear', 'timestamp',
]);

/** The metric names a PromQL expression selects (labels, strings, ranges and functions removed). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\w+/g, '') // Grafana variables
    .replace(/\blabel_values\(([^,()]*),[^)]*\)/g, '$1'); // Grafana's label_values(metric, label)
  const names = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n) && !/^(e|inf|nan)$/i.test(n)))];
}
