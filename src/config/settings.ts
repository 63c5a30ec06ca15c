// Loads Settings from the environment and an optional config file (env wins), validating every value.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { SETTINGS, SettingError, parseValue, type SettingSpec } from './schema.js';
import { INPUTS, type Input, type PartitionKeyMethod, type Settings } from './types.js';

export { SettingError, helpText } from './schema.js';

type Env = Record<string, string | undefined>;
/** A value as given: env text, or a YAML/JSON list taken item by item (never re-split on commas). */
type Raw = Record<string, string | readonly string[] | undefined>;

/** Tokens shorter than this draw a startup warning (README "Auth"): guessable by brute force over the network. */
export const MIN_TOKEN_LENGTH = 16;

/** Reads the config file named by KINFLUX_CONFIG into env-style keys. */
function readConfigFile(path: string): Raw {
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
  const known = new Map(SETTINGS.map((s) => [s.env.toUpperCase(), s]));
  const out: Raw = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const upper = key.toUpperCase();
    const spec = known.get(upper) ?? known.get(`KINFLUX_${upper}`);
    if (!spec) throw new SettingError(`KINFLUX_CONFIG file ${path} has an unknown setting "${key}"`);
    const env = spec.env;
    if (Array.isArray(value)) {
      // A list is taken item by item: a token holding a comma stays one token.
      if (spec.kind.type !== 'list') throw new SettingError(`${env} in ${path} must be a single value, not a list`);
      out[env] = value.map((item: unknown, i) => {
        if (item === null || typeof item === 'object') throw new SettingError(`${env} in ${path}: item ${i + 1} must be a plain value`);
        return String(item);
      });
    } else if (value !== null && typeof value === 'object') {
      if (spec.kind.type !== 'map') throw new SettingError(`${env} in ${path} must be a single value, not a mapping`);
      out[env] = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(',');
    } else if (value !== null) {
      out[env] = String(value);
    } else if (spec.kind.type === 'list') {
      // `auth_tokens:` with nothing after it (an unset secret substituted in) is present and empty: refused below.
      out[env] = '';
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
  constructor(private readonly raw: Raw) {}
  private spec(env: string): SettingSpec {
    const s = SETTINGS.find((x) => x.env === env);
    if (!s) throw new Error(`unknown setting ${env}`);
    return s;
  }
  private value(env: string): ReturnType<typeof parseValue> | undefined {
    const spec = this.spec(env);
    const raw = this.raw[env] ?? spec.default;
    if (Array.isArray(raw)) {
      return raw.map((item, i) => {
        const token = item.trim();
        if (token === '') throw new SettingError(`${env}: item ${i + 1} of the list is blank`);
        return token;
      });
    }
    return raw === undefined ? undefined : parseValue(spec, raw as string);
  }
  /** True when the setting was given at all, even as an empty value. */
  present(env: string): boolean {
    return this.raw[env] !== undefined;
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

/**
 * Settings whose blank value would silently drop a protection or send points elsewhere: a config file (maybe
 * holding the tokens) not read, TLS or client certificates off, the embedded emulator instead of Kinesis.
 * Present but blank (an unset secret substituted in), they stop startup instead.
 */
const NEVER_BLANK = ['KINFLUX_CONFIG', 'KINFLUX_TLS_CERT', 'KINFLUX_TLS_KEY', 'KINFLUX_TLS_CLIENT_CA', 'KINFLUX_KINESIS_ENDPOINT'];

export function loadSettings(env: Env = process.env): Settings {
  if (env.KINFLUX_CONFIG !== undefined && env.KINFLUX_CONFIG.trim() === '') {
    throw new SettingError('KINFLUX_CONFIG is set but empty: name the file, or unset it');
  }
  const fromFile = env.KINFLUX_CONFIG ? readConfigFile(env.KINFLUX_CONFIG) : {};
  const merged: Raw = { ...fromFile };
  for (const s of SETTINGS) if (env[s.env] !== undefined) merged[s.env] = env[s.env];
  for (const name of NEVER_BLANK) {
    const raw = merged[name];
    if (typeof raw === 'string' && raw.trim() === '') throw new SettingError(`${name} is set but empty: give a value, or unset it`);
  }
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
  const tlsMinVersion = v.str('KINFLUX_TLS_MIN_VERSION') as 'TLSv1.2' | 'TLSv1.3';
  const tlsCiphers = v.str('KINFLUX_TLS_CIPHERS');
  if (tlsCiphers === undefined) throw new SettingError('KINFLUX_TLS_CIPHERS must not be empty: unset it for the default forward-secret suites');
  try {
    createSecureContext({ ciphers: tlsCiphers, minVersion: tlsMinVersion });
  } catch (err) {
    throw new SettingError(`KINFLUX_TLS_CIPHERS is not a cipher list OpenSSL accepts: ${(err as Error).message}`);
  }

  // Fail closed: a token setting that is there but holds no token (" , ", an unset secret substituted in)
  // would otherwise turn auth off without a word.
  const authTokens = v.list('KINFLUX_AUTH_TOKENS');
  if (v.present('KINFLUX_AUTH_TOKENS') && authTokens.length === 0) {
    throw new SettingError('KINFLUX_AUTH_TOKENS is set but holds no token: give at least one token, or unset it to run without auth');
  }
  // No client can put a control character in an Authorization header (HTTP forbids it; Node answers 400), so such a
  // token could never be used: refused, by position, never quoting it.
  const unsendable = authTokens.findIndex((tok) => /[\x00-\x1f\x7f]/.test(tok));
  if (unsendable >= 0) {
    throw new SettingError(
      `KINFLUX_AUTH_TOKENS: token ${unsendable + 1} of ${authTokens.length} holds a control character (tab, newline, NUL…), which no client can send in an Authorization header: remove it`,
    );
  }
  // Bytes that are not UTF-8 reach Node as U+FFFD: the token compared would not be the one clients send.
  const notUtf8 = authTokens.findIndex((tok) => tok.includes('\ufffd'));
  if (notUtf8 >= 0) {
    throw new SettingError(`KINFLUX_AUTH_TOKENS: token ${notUtf8 + 1} of ${authTokens.length} is not valid UTF-8 (or holds U+FFFD): use UTF-8 text`);
  }

  const logFormat = v.str('KINFLUX_LOG_FORMAT');
  const maxBody = v.num('KINFLUX_MAX_BODY_BYTES');
  const maxDecoded = v.num('KINFLUX_MAX_DECODED_BYTES');
  if (maxDecoded < maxBody) throw new SettingError('KINFLUX_MAX_DECODED_BYTES must be at least KINFLUX_MAX_BODY_BYTES');
  const aggregation = v.str('KINFLUX_AGGREGATION') as Settings['delivery']['aggregation'];
  const compression = v.str('KINFLUX_COMPRESSION') as Settings['delivery']['compression'];
  if (aggregation === 'kpl' && compression !== 'none') {
    // The KCL and aws-kinesis-agg look for the KPL magic at the start of the record: a compressed
    // aggregate is opaque to them, and they would hand the consumer one undecodable blob.
    throw new SettingError(
      `KINFLUX_AGGREGATION=kpl cannot be combined with KINFLUX_COMPRESSION=${compression}: the KCL and aws-kinesis-agg de-aggregate only uncompressed KPL records (use aggregation lines or none to compress)`,
    );
  }

  return {
    http: {
      host: v.str('KINFLUX_HOST') ?? (embedded ? '127.0.0.1' : '0.0.0.0'),
      port: v.num('KINFLUX_PORT'),
      maxBodyBytes: maxBody,
      maxDecodedBytes: maxDecoded,
      maxInflightBodyBytes: v.num('KINFLUX_MAX_INFLIGHT_BODY_BYTES'),
      maxLinesPerRequest: v.num('KINFLUX_MAX_LINES'),
      authTokens,
      authProbes: v.bool('KINFLUX_AUTH_PROBES'),
      v1AllowUnsigned: v.bool('KINFLUX_V1_ALLOW_UNSIGNED'),
      v1AllowCRLF: v.bool('KINFLUX_V1_ALLOW_CRLF'),
      tls: certFile && keyFile ? { certFile, keyFile, clientCaFile, minVersion: tlsMinVersion, ciphers: tlsCiphers } : undefined,
      requestTimeoutMs: v.num('KINFLUX_REQUEST_TIMEOUT_MS'),
      keepAliveTimeoutMs: v.num('KINFLUX_KEEPALIVE_TIMEOUT_MS'),
      maxConnections: v.num('KINFLUX_MAX_CONNECTIONS'),
      maxHeaderBytes: v.num('KINFLUX_MAX_HEADER_BYTES'),
    },
    kinesis: { region, endpoint, roleArn: v.str('KINFLUX_ROLE_ARN') },
    delivery: {
      partitionKey: parsePartitionKey(v.str('KINFLUX_PARTITION_KEY') ?? 'series'),
      recordFormat: v.str('KINFLUX_RECORD_FORMAT') as Settings['delivery']['recordFormat'],
      jsonTimestampUnits: v.str('KINFLUX_JSON_TIMESTAMP_UNITS') as Settings['delivery']['jsonTimestampUnits'],
      aggregation,
      compression,
      lingerMs: v.num('KINFLUX_BATCH_LINGER_MS'),
      queueMaxBytes: v.num('KINFLUX_QUEUE_MAX_BYTES'),
      deliveryTimeoutMs: v.num('KINFLUX_DELIVERY_TIMEOUT_MS'),
      clientTimeoutMs: v.num('KINFLUX_CLIENT_TIMEOUT_MS'),
      maxInflightPerStream: v.num('KINFLUX_MAX_INFLIGHT'),
      putRequestMaxBytes: v.num('KINFLUX_PUT_REQUEST_MAX_BYTES'),
      shardRateLimitPercent: v.num('KINFLUX_SHARD_RATE_LIMIT_PERCENT'),
      healthIntervalMs: v.num('KINFLUX_HEALTH_INTERVAL_MS'),
      startupTimeoutMs: v.num('KINFLUX_STARTUP_TIMEOUT_MS'),
      seriesCacheMaxBytes: v.num('KINFLUX_SERIES_CACHE_MAX_BYTES'),
    },
    stream,
    routes: v.map('KINFLUX_ROUTES'),
    otlp: { schema: v.str('KINFLUX_OTLP_SCHEMA') as Settings['otlp']['schema'], stream: v.str('KINFLUX_OTLP_STREAM') ?? stream },
    remoteWrite: { metricVersion: v.num('KINFLUX_REMOTE_WRITE_METRIC_VERSION') as 1 | 2, stream: v.str('KINFLUX_REMOTE_WRITE_STREAM') ?? stream },
    inputs: parseInputs(v.list('KINFLUX_INPUTS')),
    strictRoutes: v.bool('KINFLUX_STRICT_ROUTES'),
    embedded,
    embeddedPort: v.num('KINFLUX_EMBEDDED_PORT'),
    workers: v.num('KINFLUX_WORKERS'),
    shutdownTimeoutMs: v.num('KINFLUX_SHUTDOWN_TIMEOUT_MS'),
    logLevel: v.str('KINFLUX_LOG_LEVEL') as Settings['logLevel'],
    logFormat: logFormat === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : (logFormat as Settings['logFormat']),
  };
}

/** KINFLUX_INPUTS: known names only (a typo never turns an input off in silence). */
function parseInputs(names: string[]): ReadonlySet<Input> {
  for (const n of names) {
    if (!(INPUTS as readonly string[]).includes(n)) throw new SettingError(`KINFLUX_INPUTS: unknown input ${JSON.stringify(n)} (use ${INPUTS.join(', ')})`);
  }
  return new Set(names as Input[]);
}

/** Startup warnings for settings that work but leave kinflux open: logged once by the CLI. Never quotes a token. */
export function startupWarnings(settings: Settings): string[] {
  const out: string[] = [];
  const tokens = settings.http.authTokens;
  if (tokens.length === 0 && !isLoopback(settings.http.host)) {
    out.push(`auth is off (KINFLUX_AUTH_TOKENS unset) and kinflux listens on ${settings.http.host}: anyone who reaches the port can write`);
  }
  const short = tokens.filter((tok) => tok.length < MIN_TOKEN_LENGTH).length;
  if (short > 0) {
    out.push(`${short} of ${tokens.length} KINFLUX_AUTH_TOKENS ${short === 1 ? 'is' : 'are'} shorter than ${MIN_TOKEN_LENGTH} characters: use long random tokens (e.g. openssl rand -hex 16)`);
  }
  return out;
}

/** True for listen addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}
