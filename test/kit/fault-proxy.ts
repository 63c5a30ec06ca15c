// A fault-injecting HTTP proxy for the Kinesis JSON API, placed between kinflux and kinesis-local
// (which itself never throttles). On PutRecords it can fail a share of entries with
// ProvisionedThroughputExceededException or InternalFailure: those entries are NOT forwarded, and the
// response is rewritten (FailedRecordCount, ErrorCode/ErrorMessage, no SequenceNumber), so injected
// failures never create duplicates and tests can count exactly. It can also fail whole requests
// (500 InternalFailure, or 400 ProvisionedThroughputExceededException), reset connections (before
// forwarding, or after Kinesis stored the call: the one fault that makes duplicates), add latency, stall, deny chosen actions (AccessDeniedException), e.g. ListShards, and throttle chosen
// control-plane actions (LimitExceededException), e.g. DescribeStreamSummary. It counts calls per action.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface FaultOptions {
  /** Share of PutRecords entries answered ProvisionedThroughputExceededException. */
  throttleShare: number;
  /** Share of PutRecords entries answered InternalFailure. */
  internalShare: number;
  /** Share of PutRecords entries answered KMSAccessDeniedException (a fatal per-entry code). */
  kmsShare: number;
  /** Share of PutRecords requests failed whole, with failStatus. */
  failRequestShare: number;
  /** 500: InternalFailure; 400: ProvisionedThroughputExceededException (whole-request throttling). */
  failStatus: 500 | 400;
  /** Share of PutRecords requests whose connection is reset before any answer. */
  resetShare: number;
  /** Share of PutRecords requests forwarded (Kinesis stores them) whose connection is then reset mid-answer. */
  resetAfterForwardShare: number;
  /** Latency added to every request. */
  latencyMs: number;
  /** Hold every PutRecords without an answer until unstalled (then the socket is reset). */
  stall: boolean;
  /** Actions (e.g. "ListShards") answered with AccessDeniedException. */
  denyActions: string[];
  /** Actions (e.g. "DescribeStreamSummary") answered 400 LimitExceededException, as a busy control plane does. */
  throttleActions: string[];
  /** Actions answered 500 InternalFailure, as a failing control plane does. */
  failActions: string[];
  /** Entries chosen by position answered ProvisionedThroughputExceededException (e.g. the first of two). */
  throttleEntry: ((index: number, count: number) => boolean) | undefined;
}

export interface FaultStats {
  requests: number;
  putRecords: number;
  entriesForwarded: number;
  entriesThrottled: number;
  entriesInternal: number;
  entriesKms: number;
  requestsFailed: number;
  /** Of which answered 400 ProvisionedThroughputExceededException. */
  requestsThrottled: number;
  resets: number;
  /** Requests reset after being forwarded, and their entries (stored, yet unacknowledged to kinflux). */
  resetsAfterForward: number;
  entriesResetAfterForward: number;
  /** Newline-separated points in those entries (line/json records without compression or KPL). */
  pointsResetAfterForward: number;
  stalled: number;
  /** Requests per action (DescribeStreamSummary, ListShards, PutRecords, ...), answered or not. */
  actions: Record<string, number>;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly port: number;
  readonly stats: FaultStats;
  set(opts: Partial<FaultOptions>): void;
  /** Points the proxy at another upstream (e.g. a restarted emulator). */
  setTarget(endpoint: string): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/x-amz-json-1.1';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    up.on('error', reject);
    up.end(body);
  });
}

interface PutEntryResult {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export async function startFaultProxy(targetEndpoint: string, initial: Partial<FaultOptions> = {}): Promise<FaultProxy> {
  let target = new URL(targetEndpoint);
  const opts: FaultOptions = {
    throttleShare: 0,
    internalShare: 0,
    kmsShare: 0,
    failRequestShare: 0,
    failStatus: 500,
    resetShare: 0,
    resetAfterForwardShare: 0,
    latencyMs: 0,
    stall: false,
    denyActions: [],
    throttleActions: [],
    failActions: [],
    throttleEntry: undefined,
    ...initial,
  };
  const stats: FaultStats = { requests: 0, putRecords: 0, entriesForwarded: 0, entriesThrottled: 0, entriesInternal: 0, entriesKms: 0, requestsFailed: 0, requestsThrottled: 0, resets: 0, resetsAfterForward: 0, entriesResetAfterForward: 0, pointsResetAfterForward: 0, stalled: 0, actions: {} };
  const stalled = new Set<Socket>();
  const sockets = new Set<Socket>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const body = await readBody(req);
    const action = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    stats.actions[action] = (stats.actions[action] ?? 0) + 1;
    if (opts.latencyMs > 0) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (opts.throttleActions.includes(action)) {
      send(res, 400, { __type: 'LimitExceededException', message: 'Rate exceeded for stream under account (injected)' });
      return;
    }
    if (opts.failActions.includes(action)) {
      send(res, 500, { __type: 'InternalFailure', message: 'Internal Service Failure (injected)' });
      return;
    }
    if (opts.denyActions.includes(action)) {
      send(res, 400, { __type: 'AccessDeniedException', message: `User is not authorized to perform: kinesis:${action}` });
      return;
    }
    if (action !== 'PutRecords') {
      const up = await forward(target, req, body);
      res.writeHead(up.status, up.headers);
      res.end(up.body);
      return;
    }
    stats.putRecords++;
    if (opts.stall) {
      stats.stalled++;
      stalled.add(req.socket);
      return; // never answered; reset when unstalled or closed
    }
    if (Math.random() < opts.resetShare) {
      stats.resets++;
      req.socket.destroy();
      return;
    }
    if (Math.random() < opts.failRequestShare) {
      stats.requestsFailed++;
      if (opts.failStatus === 500) send(res, 500, { __type: 'InternalFailure', message: 'Internal Service Failure' });
      else {
        stats.requestsThrottled++;
        send(res, 400, { __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream (injected)' });
      }
      return;
    }
    const input = JSON.parse(body.toString('utf8')) as { Records: unknown[] } & Record<string, unknown>;
    if (Math.random() < opts.resetAfterForwardShare) {
      // Kinesis stores the records; the answer is cut off half-way, so kinflux cannot know.
      const up = await forward(target, req, body);
      stats.resetsAfterForward++;
      stats.entriesResetAfterForward += input.Records.length;
      for (const r of input.Records as Array<{ Data?: string }>) stats.pointsResetAfterForward += Buffer.from(r.Data ?? '', 'base64').toString('latin1').split('\n').length - 1;
      res.writeHead(up.status, { 'content-type': JSON_TYPE, 'content-length': String(up.body.length) });
      res.write(up.body.subarray(0, up.body.length >> 1));
      setImmediate(() => req.socket.destroy());
      return;
    }
    const injected: Array<PutEntryResult | undefined> = input.Records.map((_, i) => {
      const x = Math.random();
      if (x < opts.throttleShare || opts.throttleEntry?.(i, input.Records.length)) {
        stats.entriesThrottled++;
        return {
          ErrorCode: 'ProvisionedThroughputExceededException',
          ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.',
        };
      }
      if (x < opts.throttleShare + opts.internalShare) {
        stats.entriesInternal++;
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Service Failure' };
      }
      if (x < opts.throttleShare + opts.internalShare + opts.kmsShare) {
        stats.entriesKms++;
        return { ErrorCode: 'KMSAccessDeniedException', ErrorMessage: 'KMS access denied (injected)' };
      }
      return undefined;
    });
    const pass = input.Records.filter((_, i) => injected[i] === undefined);
    let upstream: PutEntryResult[] = [];
    let upstreamFailed = 0;
    if (pass.length > 0) {
      const up = await forward(target, req, Buffer.from(JSON.stringify({ ...input, Records: pass })));
      if (up.status !== 200) {
        res.writeHead(up.status, up.headers);
        res.end(up.body);
        return;
      }
      const parsed = JSON.parse(up.body.toString('utf8')) as { Records: PutEntryResult[]; FailedRecordCount?: number };
      upstream = parsed.Records;
      upstreamFailed = parsed.FailedRecordCount ?? 0;
      stats.entriesForwarded += pass.length;
    }
    let k = 0;
    const records = injected.map((inj) => inj ?? upstream[k++]);
    const failed = upstreamFailed + injected.filter((x) => x !== undefined).length;
    send(res, 200, { FailedRecordCount: failed, Records: records, EncryptionType: 'NONE' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // Upstream unreachable (emulator killed or paused past a timeout): look like a dead endpoint.
      req.socket.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => {
      sockets.delete(s);
      stalled.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats,
    set(next) {
      Object.assign(opts, next);
      if (next.stall === false) {
        for (const s of stalled) s.destroy();
        stalled.clear();
      }
    },
    setTarget(endpoint) {
      target = new URL(endpoint);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
