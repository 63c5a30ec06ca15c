// Local mode (no AWS target configured): one kinesis-local holding every stream the routes reach.
import type { Settings } from '../config/types.js';
import type { Router } from '../route/router.js';
import { startKinesisLocal, type KinesisLocal } from './kinesis-local.js';

/** Shards per embedded stream: more than one, so shard-aware packing is exercised locally too. */
const SHARDS = 2;

export function startEmbeddedKinesis(settings: Settings, router: Router): Promise<KinesisLocal> {
  return startKinesisLocal({ port: settings.embeddedPort, streams: Object.fromEntries(router.streams.map((s) => [s, SHARDS])) });
}
