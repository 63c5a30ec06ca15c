// Route stage: a v1 `db` or v2 `bucket` chooses the Kinesis stream its points go to.

import { KnownDatabases } from './known-databases.js';

export type RouteResult = { readonly stream: string } | { readonly notFound: string };

export interface Router {
  /** Stream for a database or bucket; v2 buckets of the 1.x form `db/rp` route by their db. */
  resolve(database: string): RouteResult;
  /** Every stream the routes can reach: the ones to describe at startup and watch for health. */
  readonly streams: readonly string[];
  /** For SHOW DATABASES: the databases the routes name, then those created or written to since start (bounded). */
  readonly databases: readonly string[];
  /** Remembers a database that was created or written to (a v2 bucket `db/rp` as its db). */
  noteDatabase(database: string): void;
  /** DROP DATABASE: forgets a noted database; routed ones stay, as their routes do. */
  forgetDatabase(database: string): void;
}

/** `inputStreams`: streams that inputs without a database write to (OTLP's), described and watched like the routed ones. */
export function createRouter(routes: ReadonlyMap<string, string>, defaultStream: string, strict: boolean, inputStreams: readonly string[] = []): Router {
  const routed0 = strict && routes.size > 0 ? [...routes.values()] : [defaultStream, ...routes.values()];
  const streams = [...new Set([...routed0, ...inputStreams])];
  const routed = [...routes.keys()];
  const known = new KnownDatabases();
  return {
    streams,
    get databases() {
      return [...routed, ...known.list().filter((d) => !routes.has(d))];
    },
    noteDatabase(database) {
      const db = database.split('/')[0];
      if (!routes.has(db)) known.note(db);
    },
    forgetDatabase(database) {
      known.forget(database);
    },
    resolve(database) {
      const hit = routes.get(database) ?? routes.get(database.split('/')[0]);
      if (hit !== undefined) return { stream: hit };
      return strict ? { notFound: database } : { stream: defaultStream };
    },
  };
}
