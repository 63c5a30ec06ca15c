// The one table of settings: name, default, unit and meaning. --help, the README and the loader all read it.

/** A value that failed validation; the message names the setting and what is allowed. */
export class SettingError extends Error {}

export type Kind =
  | { readonly type: 'string' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'int'; readonly min: number; readonly max: number; readonly auto?: number }
  | { readonly type: 'bytes'; readonly min: number; readonly max: number }
  | { readonly type: 'bool' }
  | { readonly type: 'list' }
  | { readonly type: 'map' }
  | { readonly type: 'file' };

export interface SettingSpec {
  readonly env: string;
  readonly kind: Kind;
  /** Default as it would be written in the environment; undefined means unset. */
  readonly default: string | undefined;
  readonly unit?: string;
  readonly help: string;
}

const MiB = 1024 * 1024;

/** KINFLUX_SERIES_CACHE_MAX_BYTES's default: also the caches' bound when settings give none (tests, benches). */
export const DEFAULT_SERIES_CACHE_BYTES = 64 * MiB;

/** Forward-secret AEAD suites only: TLS 1.3's, then ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2. */
export const DEFAULT_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
const int = (min: number, max: number): Kind => ({ type: 'int', min, max });
/** An int that also takes the word `auto`, parsed as `auto` (a value the setting's user reads as "decide for me"). */
const intOrAuto = (min: number, max: number, auto: number): Kind => ({ type: 'int', min, max, auto });
const bytes = (min: number, max: number): Kind => ({ type: 'bytes', min, max });
const oneOf = (...values: string[]): Kind => ({ type: 'enum', values });
const str: Kind = { type: 'string' };
const bool: Kind = { type: 'bool' };
const file: Kind = { type: 'file' };

export const SETTINGS: readonly SettingSpec[] = [
  { env: 'KINFLUX_CONFIG', kind: file, default: undefined, help: 'Optional YAML or JSON file with the same keys as these variables (KINFLUX_ prefix optional, case-insensitive). The environment wins.' },
  { env: 'KINFLUX_HOST', kind: str, default: undefined, help: 'Listen address: 0.0.0.0, or 127.0.0.1 in local mode (the embedded emulator: a laptop is not exposed by default).' },
  { env: 'KINFLUX_PORT', kind: int(0, 65535), default: '8086', help: "Listen port; 8086 is InfluxDB's, so Telegraf's default URL works." },
  { env: 'KINFLUX_STREAM', kind: str, default: undefined, help: 'Default Kinesis stream, a name or an ARN. Defaults to "metrics" with the embedded emulator; required with AWS.' },
  { env: 'KINFLUX_ROUTES', kind: { type: 'map' }, default: '', help: 'db=stream,db2=stream2: maps a v1 db or v2 bucket to a stream; others go to the default stream.' },
  { env: 'KINFLUX_STRICT_ROUTES', kind: bool, default: 'false', help: 'Refuse (404) databases that KINFLUX_ROUTES does not name, instead of using the default stream.' },
  { env: 'KINFLUX_OTLP_SCHEMA', kind: oneOf('prometheus-v2', 'prometheus-v1'), default: 'prometheus-v2', help: 'How POST /v1/metrics (OTLP) maps data points, by InfluxData\'s otel2influx schemas: prometheus-v2 (measurement "prometheus", field = metric name) or prometheus-v1 (measurement = metric name, fields gauge, counter, count, sum, …).' },
  { env: 'KINFLUX_OTLP_STREAM', kind: str, default: undefined, help: 'Stream for OTLP metrics (POST /v1/metrics); the default stream when unset.' },
  { env: 'KINFLUX_INPUTS', kind: { type: 'list' }, default: 'v1,v2,v3,remote_write,otlp', help: 'The write endpoints served: v1 (/write), v2 (/api/v2/write), v3 (/api/v3/write_lp), remote_write (/api/v1/write, /api/v1/prom/write), otlp (/v1/metrics). An input left out answers 404.' },
  { env: 'KINFLUX_REMOTE_WRITE_METRIC_VERSION', kind: int(1, 2), default: '2', help: "How remote_write samples become points, by Telegraf's prometheusremotewrite parser: 2 (measurement prometheus_remote_write, field = metric name) or 1 (measurement = metric name, field value)." },
  { env: 'KINFLUX_REMOTE_WRITE_STREAM', kind: str, default: undefined, help: 'Stream for remote_write requests without ?db= (with it they route as a v1 db does); the default stream when unset.' },
  { env: 'KINFLUX_KINESIS_ENDPOINT', kind: str, default: undefined, help: 'Custom Kinesis endpoint, such as LocalStack or kinesis-mock.' },
  { env: 'AWS_REGION', kind: str, default: undefined, help: 'AWS region. With it (or an endpoint) kinflux talks to that Kinesis; without both it starts the embedded emulator.' },
  { env: 'KINFLUX_ROLE_ARN', kind: str, default: undefined, help: 'Role to assume on top of the standard AWS credential chain.' },
  { env: 'KINFLUX_EMBEDDED_PORT', kind: int(1, 65535), default: '4568', help: 'Port of the embedded kinesis-local (local mode only), on 127.0.0.1.' },
  { env: 'KINFLUX_PARTITION_KEY', kind: str, default: 'series', help: 'series | random | measurement | static:<key> | tag:<name>[:<default>].' },
  { env: 'KINFLUX_RECORD_FORMAT', kind: oneOf('line', 'json'), default: 'line', help: 'Record payload: canonical line protocol, or Telegraf-style JSON objects, one per line.' },
  { env: 'KINFLUX_JSON_TIMESTAMP_UNITS', kind: oneOf('ns', 'us', 'ms', 's'), default: 'ns', help: 'Timestamp unit of the json record format (ns loses nothing; Telegraf defaults to s).' },
  { env: 'KINFLUX_AGGREGATION', kind: oneOf('lines', 'none', 'kpl'), default: 'lines', help: 'lines: many points per record, per shard; none: one point per record; kpl: the KPL aggregated format.' },
  { env: 'KINFLUX_COMPRESSION', kind: oneOf('none', 'gzip', 'zlib'), default: 'none', help: "Compression of each record's payload; not with KINFLUX_AGGREGATION=kpl (the KCL could not de-aggregate it)." },
  { env: 'KINFLUX_AUTH_TOKENS', kind: { type: 'list' }, default: undefined, help: 'Comma-separated tokens (a YAML/JSON list is taken item by item); when set, writes and queries need one (Token header, Basic password, or u/p). Set but holding no token (blank, commas), or a token with a control character (no client can send one), refuses to start (exit 2); non-ASCII tokens are compared as UTF-8 bytes. Use at least 16 random characters; shorter tokens draw a startup warning.' },
  { env: 'KINFLUX_AUTH_PROBES', kind: bool, default: 'false', help: 'Also require a token on /ping, /health, /ready and /metrics.' },
  { env: 'KINFLUX_BATCH_LINGER_MS', kind: int(0, 10_000), default: '50', unit: 'ms', help: 'Longest a point waits for more points while earlier PutRecords calls are in flight; with none in flight it waits at most 5 ms.' },
  { env: 'KINFLUX_QUEUE_MAX_BYTES', kind: bytes(MiB, 16 * 1024 * MiB), default: '64MiB', unit: 'bytes', help: "Bound of each stream's queue, queued plus in flight; beyond it writes get 503 + Retry-After." },
  { env: 'KINFLUX_DELIVERY_TIMEOUT_MS', kind: int(100, 600_000), default: '4000', unit: 'ms', help: "How long a write waits for Kinesis before it gets 503; below Telegraf's 5 s timeout." },
  { env: 'KINFLUX_CLIENT_TIMEOUT_MS', kind: int(1000, 600_000), default: '5000', unit: 'ms', help: "The clients' HTTP timeout (Telegraf's `timeout`, 5 s by default): a write too large to drain within KINFLUX_DELIVERY_TIMEOUT_MS gets a deadline that grows with its size, up to 0.5 s before this; beyond that it gets 413." },
  { env: 'KINFLUX_SERIES_CACHE_MAX_BYTES', kind: bytes(MiB, 4096 * MiB), default: `${DEFAULT_SERIES_CACHE_BYTES / MiB}MiB`, unit: 'bytes', help: "Byte bound of each stream's series-key cache (per worker), and of its key-hash cache with the measurement, tag and static partition keys; when full it is emptied and its memory handed back. Series longer than 2 KiB are never cached." },
  { env: 'KINFLUX_MAX_INFLIGHT', kind: int(1, 64), default: '4', help: 'Concurrent PutRecords calls per stream.' },
  { env: 'KINFLUX_PUT_REQUEST_MAX_BYTES', kind: bytes(64 * 1024, 10 * MiB), default: '5MiB', unit: 'bytes', help: 'Byte cap of one PutRecords request, data plus partition keys (AWS allows 10 MiB; emulators and peers assume 5).' },
  { env: 'KINFLUX_SHARD_RATE_LIMIT_PERCENT', kind: int(0, 1000), default: '100', unit: '%', help: "Ceiling of per-shard pacing as a share of 1 MiB/s and 1,000 records/s (each replica learns its share below it); 0 disables pacing." },
  { env: 'KINFLUX_HEALTH_INTERVAL_MS', kind: int(500, 3_600_000), default: '10000', unit: 'ms', help: 'How often each stream is described again for /health.' },
  { env: 'KINFLUX_STARTUP_TIMEOUT_MS', kind: int(0, 3_600_000), default: '30000', unit: 'ms', help: 'How long startup retries an unreachable Kinesis.' },
  { env: 'KINFLUX_SHUTDOWN_TIMEOUT_MS', kind: int(0, 600_000), default: '10000', unit: 'ms', help: 'How long SIGTERM waits for in-flight writes to be delivered.' },
  { env: 'KINFLUX_MAX_BODY_BYTES', kind: bytes(1024, 1024 * MiB), default: '32MiB', unit: 'bytes', help: 'Largest request body as received (compressed, if gzip); more gets 413.' },
  { env: 'KINFLUX_MAX_DECODED_BYTES', kind: bytes(1024, 4096 * MiB), default: '128MiB', unit: 'bytes', help: 'Largest body after gzip decoding; inflating stops there with 413.' },
  { env: 'KINFLUX_MAX_INFLIGHT_BODY_BYTES', kind: bytes(MiB, 64 * 1024 * MiB), default: '256MiB', unit: 'bytes', help: 'Process-wide bound on write bodies being received and decoded (all connections, until answered). Past it a new write gets 503 + Retry-After before its body is read; one body bigger than it alone gets 413. Per worker with KINFLUX_WORKERS.' },
  { env: 'KINFLUX_MAX_LINES', kind: int(0, 100_000_000), default: '1000000', unit: 'lines', help: 'Most lines in one request (413 beyond); 0 for no limit.' },
  { env: 'KINFLUX_V1_ALLOW_UNSIGNED', kind: bool, default: 'false', help: 'Accept the u (unsigned) suffix on /write, as InfluxDB 2.x does (1.x refuses it). /api/v2/write always accepts it.' },
  { env: 'KINFLUX_V1_ALLOW_CRLF', kind: bool, default: 'false', help: 'Accept CRLF line endings on /write, as InfluxDB 2.x does (1.x refuses them). /api/v2/write always accepts them.' },
  { env: 'KINFLUX_TLS_CERT', kind: file, default: undefined, help: 'PEM certificate file; with KINFLUX_TLS_KEY, serve HTTPS.' },
  { env: 'KINFLUX_TLS_KEY', kind: file, default: undefined, help: 'PEM private key file.' },
  { env: 'KINFLUX_TLS_CLIENT_CA', kind: file, default: undefined, help: 'PEM CA file; when set, clients must present a certificate it signed.' },
  { env: 'KINFLUX_TLS_MIN_VERSION', kind: oneOf('TLSv1.2', 'TLSv1.3'), default: 'TLSv1.2', help: 'Oldest TLS version served.' },
  { env: 'KINFLUX_TLS_CIPHERS', kind: str, default: DEFAULT_TLS_CIPHERS, help: 'OpenSSL cipher list (TLS 1.3 suites included): by default forward-secret AEAD suites only (ECDHE with AES-GCM or ChaCha20-Poly1305; no CBC, no SHA-1, no static RSA key exchange).' },
  { env: 'KINFLUX_REQUEST_TIMEOUT_MS', kind: int(1000, 3_600_000), default: '30000', unit: 'ms', help: 'Time allowed to receive a whole request; a slow client is cut off.' },
  { env: 'KINFLUX_KEEPALIVE_TIMEOUT_MS', kind: int(1000, 3_600_000), default: '65000', unit: 'ms', help: 'How long an idle keep-alive connection stays open; keep it above the idle timeout of any load balancer in front (AWS ALB: 60 s).' },
  { env: 'KINFLUX_MAX_CONNECTIONS', kind: int(1, 1_000_000), default: '1024', help: 'Most open client connections (per worker); past it new connections are closed at once.' },
  { env: 'KINFLUX_MAX_HEADER_BYTES', kind: bytes(1024, MiB), default: '16KiB', unit: 'bytes', help: 'Largest request head (request line plus headers); more gets 431.' },
  { env: 'KINFLUX_WORKERS', kind: intOrAuto(0, 64, 0), default: '1', help: 'Processes serving writes (node:cluster), each with its own batching per stream; auto (or 0) means one per core the process may use (os.availableParallelism(), which honours CPU affinity).' },
  { env: 'KINFLUX_LOG_LEVEL', kind: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), default: 'info', help: 'Log level; debug logs one line per request.' },
  { env: 'KINFLUX_LOG_FORMAT', kind: oneOf('json', 'pretty', 'auto'), default: 'auto', help: 'json for log shippers, pretty for people; auto picks pretty on a terminal.' },
];

/** Parses one raw value according to its spec; throws SettingError naming the setting. */
export function parseValue(spec: SettingSpec, raw: string): string | number | boolean | string[] | Map<string, string> {
  const k = spec.kind;
  const fail = (allowed: string): never => {
    throw new SettingError(`${spec.env} must be ${allowed} (got ${JSON.stringify(raw)})`);
  };
  switch (k.type) {
    case 'string':
    case 'file':
      return raw;
    case 'enum':
      if (!k.values.includes(raw)) throw new SettingError(`${spec.env} must be one of ${k.values.join(', ')}`);
      return raw;
    case 'bool':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      // Blank (an unset variable substituted in) means the default, never a silent "off".
      if (raw.trim() === '' && spec.default !== undefined && spec.default !== '') return parseValue(spec, spec.default);
      return fail('true or false');
    case 'int': {
      const allowed = `a whole number from ${k.min} to ${k.max}${k.auto !== undefined ? ', or auto' : ''}`;
      if (k.auto !== undefined && raw.trim().toLowerCase() === 'auto') return k.auto;
      if (!/^\d+$/.test(raw.trim())) return fail(allowed);
      const n = Number(raw);
      if (n < k.min || n > k.max) return fail(allowed);
      return n;
    }
    case 'bytes': {
      const m = /^\s*(\d+)\s*(B|KiB|MiB|GiB|KB|MB|GB|k|m|g)?\s*$/i.exec(raw);
      if (!m) return fail(`a size in bytes, optionally with KiB, MiB or GiB`);
      const mult: Record<string, number> = { b: 1, kib: 1024, k: 1024, kb: 1000, mib: MiB, m: MiB, mb: 1e6, gib: 1024 * MiB, g: 1024 * MiB, gb: 1e9 };
      const n = Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()];
      if (n < k.min || n > k.max) return fail(`between ${k.min} and ${k.max} bytes`);
      return n;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'map': {
      const map = new Map<string, string>();
      for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0 || eq === pair.length - 1) fail('a list of db=stream pairs separated by commas');
        map.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      return map;
    }
  }
}

export const USAGE = 'Usage: kinflux [--help | --version]  |  kinflux read [stream] [--payload] [--help]';

/** The --help text: every setting with its default, unit and meaning. */
export function helpText(): string {
  const lines = [
    'kinflux: InfluxDB-compatible write gateway to Amazon Kinesis Data Streams',
    '',
    USAGE,
    '',
    'With no command kinflux runs the gateway; settings come from the environment, or KINFLUX_CONFIG.',
    '`kinflux read --help` describes the read command.',
    '',
    'Settings:',
  ];
  for (const s of SETTINGS) {
    const dflt = s.default === undefined ? 'unset' : s.default === '' ? 'empty' : s.default;
    const unit = s.unit ? `, ${s.unit}` : '';
    const allowed = s.kind.type === 'enum' ? ` One of: ${s.kind.values.join(', ')}.` : '';
    lines.push(`  ${s.env}  (default: ${dflt}${unit})`, `      ${s.help}${allowed}`);
  }
  lines.push('', 'AWS credentials come from the standard chain: AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity, instance roles.');
  return lines.join('\n');
}
