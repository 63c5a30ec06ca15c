// Route stage: a v1 `db` or v2 `bucket` chooses the Kinesis stream its points go to.

export type RouteResult = { readonly stream: string } | { readonly notFound: string };

export interface Router {
  /** Stream for a database or bucket; v2 buckets of the 1.x form `db/rp` route by their db. */
  resolve(database: string): RouteResult;
  /** Every stream the routes can reach: the ones to describe at startup and watch for health. */
  readonly streams: readonly string[];
  /** Databases named by the routes, for SHOW DATABASES. */
  readonly databases: readonly string[];
}

export function createRouter(routes: ReadonlyMap<string, string>, defaultStream: string, strict: boolean): Router {
  const streams = strict && routes.size > 0 ? [...new Set(routes.values())] : [...new Set([defaultStream, ...routes.values()])];
  return {
    streams,
    databases: [...routes.keys()],
    resolve(database) {
      const hit = routes.get(database) ?? routes.get(database.split('/')[0]);
      if (hit !== undefined) return { stream: hit };
      return strict ? { notFound: database } : { stream: defaultStream };
    },
  };
}
