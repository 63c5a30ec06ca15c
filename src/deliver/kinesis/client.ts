// The Kinesis client kinflux uses: HTTP/1.1 keep-alive (the SDK's HTTP/2 default fails on
// kinesis-local and opens a session per request against AWS), the standard credential chain plus an
// optional assume-role, and SDK retries pinned explicitly.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisSettings } from '../../config/types.js';
import { nativeBase64Protocol, recycleBodies } from './native-base64.js';

/** Sockets per client: several streams × maxInflightPerStream, plus control-plane calls. */
const MAX_SOCKETS = 64;

export interface KinesisClientOptions {
  staticCredentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createKinesisClient(k: KinesisSettings, opts: KinesisClientOptions = {}): KinesisClient {
  // The SDK prints an 8-line Node-version warning when a client is made on Node < 22 (it reads this variable at
  // that moment). kinflux states its Node support itself, once (README; a one-line warning at startup).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS, keepAliveMsecs: 1000 };
  const requestHandler = new NodeHttpHandler({
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    connectionTimeout: 3000,
    // Socket idle timeout; the engine also aborts each PutRecords at its own per-call timeout.
    requestTimeout: 10_000,
  });
  const base = fromNodeProviderChain();
  const credentials = opts.staticCredentials
    ? opts.staticCredentials
    : k.roleArn
      ? fromTemporaryCredentials({ params: { RoleArn: k.roleArn, RoleSessionName: 'kinflux' }, masterCredentials: base })
      : base;
  const client = new KinesisClient({
    // An endpoint alone (kinesis-local, LocalStack) still needs a region to sign with.
    region: k.region ?? (k.endpoint ? 'us-east-1' : undefined),
    endpoint: k.endpoint,
    credentials,
    requestHandler,
    // Native base64 of record data (see native-base64.ts); undefined keeps the SDK's own protocol.
    protocol: nativeBase64Protocol(),
    // Pinned because the SDK defaults change in 2026. One attempt: the engine retries PutRecords
    // itself, per failed entry, with full-jitter backoff bounded by each submit's deadline, and counts
    // every failure in its metrics. SDK retries would re-send whole requests (duplicating the entries
    // that had succeeded in a partial answer is not the risk, hiding failures and spending the
    // deadline unseen is), and the health monitor re-describes streams on its own schedule.
    retryMode: 'standard',
    maxAttempts: 1,
  });
  // PutRecords bodies come from a small pool and go back once their call succeeded (native-base64.ts).
  recycleBodies(client);
  return client;
}
