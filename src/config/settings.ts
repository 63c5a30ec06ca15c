// Loads Settings from the environment and an optional config file (env wins), validating every value.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, SettingError, parseValue, type SettingSpec } from './schema.js';
import type { PartitionKeyMethod, Settings } from './types.js';

export { SettingError, helpText } from './schema.js';

type Env = Record<string, string | undefined>;

/** Reads the config file named by KINFLUX_CONFIG into env-style keys. */
function readConfigFile(path: string): Env {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SettingError(`KINFLUX_CONFIG names a file that cannot be read: ${path} (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML is a superset of JSON, so one parser reads both.
  } catch (err) {
    throw new SettingError(`KINFLUX_CONFIG file ${path} is neither YAML nor JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new SettingError(`KINFLUX_CONFIG file ${path} must hold a mapping of settings`);
  const known = new Map(SETTINGS.map((s) => [s.env.toUpperCase(), s.env]));
  const out: Env = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const upper = key.toUpperCase();
    const env = known.get(upper) ?? known.get(`KINFLUX_${upper}`);
    if (!env) throw new SettingError(`KINFLUX_CONFIG file ${path} has an unknown setting "${key}"`);
    if (value !== null && typeof value === 'object') {
      // Routes may be written as a mapping, lists as arrays.
      out[env] = Array.isArray(value)
        ? value.map(String).join(',')
        : Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(',');
    } else if (value !== null) {
      out[env] = String(value);
    }
  }
  return out;
}

function parsePartitionKey(raw: string): PartitionKeyMethod {
  const [method, ...rest] = raw.split(':');
  const arg = rest.join(':');
  switch (method) {
    case 'series':
    case 'random':
    case 'measurement':
      if (rest.length === 0) return { method };
      break;
    case 'static':
      if (arg.length > 0 && arg.length <= 256) return { method, key: arg };
      break;
    case 'tag': {
      const [tag, ...dflt] = rest;
      if (tag) return { method, tag, default: dflt.length ? dflt.join(':') : 'telegraf' };
      break;
    }
  }
  throw new SettingError('KINFLUX_PARTITION_KEY must be one of series, random, measurement, static:<key> (1-256 chars), tag:<name>[:<default>]');
}

/** Every raw value, typed by the schema. */
class Values {
  constructor(private readonly raw: Env) {}
  private spec(env: string): SettingSpec {
    const s = SETTINGS.find((x) => x.env === env);
    if (!s) throw new Error(`unknown setting ${env}`);
    return s;
  }
  private value(env: string): ReturnType<typeof parseValue> | undefined {
    const spec = this.spec(env);
    const raw = this.raw[env] ?? spec.default;
    return raw === undefined ? undefined : parseValue(spec, raw);
  }
  str(env: string): string | undefined {
    const v = this.value(env);
    return typeof v === 'string' && v !== '' ? v : undefined;
  }
  num(env: string): number {
    return this.value(env) as number;
  }
  bool(env: string): boolean {
    return this.value(env) as boolean;
  }
  list(env: string): string[] {
    return (this.value(env) as string[] | undefined) ?? [];
  }
  map(env: string): Map<string, string> {
    return (this.value(env) as Map<string, string> | undefined) ?? new Map();
  }
}

export function loadSettings(env: Env = process.env): Settings {
  const fromFile = env.KINFLUX_CONFIG ? readConfigFile(env.KINFLUX_CONFIG) : {};
  const merged: Env = { ...fromFile };
  for (const s of SETTINGS) if (env[s.env] !== undefined) merged[s.env] = env[s.env];
  const v = new Values(merged);

  const region = v.str('AWS_REGION');
  const endpoint = v.str('KINFLUX_KINESIS_ENDPOINT');
  const embedded = region === undefined && endpoint === undefined;
  const stream = v.str('KINFLUX_STREAM') ?? (embedded ? 'metrics' : undefined);
  if (!stream) throw new SettingError('KINFLUX_STREAM is required when AWS_REGION or KINFLUX_KINESIS_ENDPOINT is set');
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new SettingError('KINFLUX_KINESIS_ENDPOINT must be an http:// or https:// URL');
  }

  const certFile = v.str('KINFLUX_TLS_CERT');
  const keyFile = v.str('KINFLUX_TLS_KEY');
  const clientCaFile = v.str('KINFLUX_TLS_CLIENT_CA');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new SettingError('KINFLUX_TLS_CERT and KINFLUX_TLS_KEY must be set together');
  }
  if (clientCaFile && !certFile) throw new SettingError('KINFLUX_TLS_CLIENT_CA needs KINFLUX_TLS_CERT and KINFLUX_TLS_KEY');

  const logFormat = v.str('KINFLUX_LOG_FORMAT');
  const maxBody = v.num('KINFLUX_MAX_BODY_BYTES');
  const maxDecoded = v.num('KINFLUX_MAX_DECODED_BYTES');
  if (maxDecoded < maxBody) throw new SettingError('KINFLUX_MAX_DECODED_BYTES must be at least KINFLUX_MAX_BODY_BYTES');

  return {
    http: {
      host: v.str('KINFLUX_HOST') ?? '0.0.0.0',
      port: v.num('KINFLUX_PORT'),
      maxBodyBytes: maxBody,
      maxDecodedBytes: maxDecoded,
      maxLinesPerRequest: v.num('KINFLUX_MAX_LINES'),
      authTokens: v.list('KINFLUX_AUTH_TOKENS'),
      authProbes: v.bool('KINFLUX_AUTH_PROBES'),
      v1AllowUnsigned: v.bool('KINFLUX_V1_ALLOW_UNSIGNED'),
      v1AllowCRLF: v.bool('KINFLUX_V1_ALLOW_CRLF'),
      tls: certFile && keyFile ? { certFile, keyFile, clientCaFile } : undefined,
      requestTimeoutMs: v.num('KINFLUX_REQUEST_TIMEOUT_MS'),
      keepAliveTimeoutMs: v.num('KINFLUX_KEEPALIVE_TIMEOUT_MS'),
      maxHeaderBytes: v.num('KINFLUX_MAX_HEADER_BYTES'),
    },
    kinesis: { region, endpoint, roleArn: v.str('KINFLUX_ROLE_ARN') },
    delivery: {
      partitionKey: parsePartitionKey(v.str('KINFLUX_PARTITION_KEY') ?? 'series'),
      recordFormat: v.str('KINFLUX_RECORD_FORMAT') as Settings['delivery']['recordFormat'],
      jsonTimestampUnits: v.str('KINFLUX_JSON_TIMESTAMP_UNITS') as Settings['delivery']['jsonTimestampUnits'],
      aggregation: v.str('KINFLUX_AGGREGATION') as Settings['delivery']['aggregation'],
      compression: v.str('KINFLUX_COMPRESSION') as Settings['delivery']['compression'],
      lingerMs: v.num('KINFLUX_BATCH_LINGER_MS'),
      queueMaxBytes: v.num('KINFLUX_QUEUE_MAX_BYTES'),
      deliveryTimeoutMs: v.num('KINFLUX_DELIVERY_TIMEOUT_MS'),
      maxInflightPerStream: v.num('KINFLUX_MAX_INFLIGHT'),
      putRequestMaxBytes: v.num('KINFLUX_PUT_REQUEST_MAX_BYTES'),
      shardRateLimitPercent: v.num('KINFLUX_SHARD_RATE_LIMIT_PERCENT'),
      healthIntervalMs: v.num('KINFLUX_HEALTH_INTERVAL_MS'),
      startupTimeoutMs: v.num('KINFLUX_STARTUP_TIMEOUT_MS'),
    },
    stream,
    routes: v.map('KINFLUX_ROUTES'),
    strictRoutes: v.bool('KINFLUX_STRICT_ROUTES'),
    embedded,
    embeddedPort: v.num('KINFLUX_EMBEDDED_PORT'),
    workers: v.num('KINFLUX_WORKERS'),
    shutdownTimeoutMs: v.num('KINFLUX_SHUTDOWN_TIMEOUT_MS'),
    logLevel: v.str('KINFLUX_LOG_LEVEL') as Settings['logLevel'],
    logFormat: logFormat === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : (logFormat as Settings['logFormat']),
  };
}
