// The typed settings every stage receives. Loaded and validated by ./settings.ts.

export type PartitionKeyMethod =
  | { readonly method: 'series' }
  | { readonly method: 'random' }
  | { readonly method: 'measurement' }
  | { readonly method: 'static'; readonly key: string }
  | { readonly method: 'tag'; readonly tag: string; readonly default: string };

export type RecordFormat = 'line' | 'json';
export type Aggregation = 'lines' | 'none' | 'kpl';
export type Compression = 'none' | 'gzip' | 'zlib';
export type JsonTimestampUnits = 'ns' | 'us' | 'ms' | 's';

/** Settings of the delivery engine (encode → queue → PutRecords). */
export interface DeliverySettings {
  readonly partitionKey: PartitionKeyMethod;
  readonly recordFormat: RecordFormat;
  readonly jsonTimestampUnits: JsonTimestampUnits;
  readonly aggregation: Aggregation;
  readonly compression: Compression;
  /** Longest a point waits to share a record while earlier calls are in flight (none in flight: at most 5 ms). */
  readonly lingerMs: number;
  /** Bound of each stream's queue (queued plus in flight); beyond it writes get 503. */
  readonly queueMaxBytes: number;
  /** How long a write may wait for Kinesis before it is answered 503. Below Telegraf's 5 s timeout. */
  readonly deliveryTimeoutMs: number;
  /** The clients' HTTP timeout: a large write's deadline grows up to 0.5 s before it (default 5 s, Telegraf's). */
  readonly clientTimeoutMs?: number;
  /** Concurrent PutRecords calls per stream. */
  readonly maxInflightPerStream: number;
  /** Byte cap of one PutRecords request (data plus partition keys). */
  readonly putRequestMaxBytes: number;
  /** Per-shard pacing, as a share of the shard's 1 MiB/s and 1,000 records/s (KPL's RateLimit). 0 disables. */
  readonly shardRateLimitPercent: number;
  /** How often streams are described again for /health. */
  readonly healthIntervalMs: number;
  /** How long startup waits for an unreachable Kinesis. */
  readonly startupTimeoutMs: number;
  /** Byte bound of each stream's series-key and key-hash caches (DEFAULT_SERIES_CACHE_BYTES in config/schema.ts when absent). */
  readonly seriesCacheMaxBytes?: number;
}

export interface KinesisSettings {
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly roleArn: string | undefined;
}

export interface HttpSettings {
  readonly host: string;
  readonly port: number;
  /** Cap on the body as received (compressed, if gzip). */
  readonly maxBodyBytes: number;
  /** Cap on the body after gzip decoding. */
  readonly maxDecodedBytes: number;
  /** Process-wide bound on write bodies being received and decoded (raw plus inflated bytes). */
  readonly maxInflightBodyBytes: number;
  /** Cap on lines per request, 0 for none. */
  readonly maxLinesPerRequest: number;
  readonly authTokens: readonly string[];
  /** Line-protocol dialect choices where InfluxDB 1.x and 2.x differ, per endpoint. */
  readonly v1AllowUnsigned: boolean;
  readonly v1AllowCRLF: boolean;
  /** When true, /ping, /health, /ready and /metrics need a token too. */
  readonly authProbes: boolean;
  readonly tls: TlsSettings | undefined;
  /** Whole-request and keep-alive timeouts. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Most open client connections; Node closes new ones past it. */
  readonly maxConnections: number;
  /** Cap on the request header bytes (Node's maxHeaderSize). */
  readonly maxHeaderBytes: number;
}

export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by this CA. */
  readonly clientCaFile: string | undefined;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list, TLS 1.3 suites included. */
  readonly ciphers: string;
}

export interface OtlpSettings {
  /** The otel2influx schema data points are mapped by. */
  readonly schema: 'prometheus-v2' | 'prometheus-v1';
  /** The stream OTLP points go to (the default stream unless set). */
  readonly stream: string;
}

/** The write endpoints that can be turned off (KINFLUX_INPUTS). */
export type Input = 'v1' | 'v2' | 'v3' | 'remote_write' | 'otlp';
export const INPUTS: readonly Input[] = ['v1', 'v2', 'v3', 'remote_write', 'otlp'];

export interface RemoteWriteSettings {
  /** Telegraf's prometheusremotewrite metric_version. */
  readonly metricVersion: 1 | 2;
  /** The stream of requests without ?db= (the default stream unless set). */
  readonly stream: string;
}

export interface Settings {
  readonly http: HttpSettings;
  readonly kinesis: KinesisSettings;
  readonly delivery: DeliverySettings;
  /** Default stream (name or ARN). */
  readonly stream: string;
  /** db / bucket → stream. */
  readonly routes: ReadonlyMap<string, string>;
  /** OTLP/HTTP metrics (POST /v1/metrics). */
  readonly otlp: OtlpSettings;
  /** Prometheus remote_write (POST /api/v1/write, /api/v1/prom/write). */
  readonly remoteWrite: RemoteWriteSettings;
  /** The write endpoints served. */
  readonly inputs: ReadonlySet<Input>;
  readonly strictRoutes: boolean;
  /** True when no AWS target is configured: start the embedded kinesis-local. */
  readonly embedded: boolean;
  /** Worker processes (node:cluster); 1 runs in-process, 0 means one per core. */
  readonly workers: number;
  /** Port of the embedded kinesis-local. */
  readonly embeddedPort: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Log format: JSON lines, or pretty for a terminal. */
  readonly logFormat: 'json' | 'pretty';
}
