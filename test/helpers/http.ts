// A raw HTTP client for tests: exact control over Content-Length versus chunked bodies and over headers.
import { request } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Send the body in this many chunks with Transfer-Encoding: chunked, instead of a Content-Length. */
  chunks?: number;
}

export function send(baseUrl: string, path: string, body?: Buffer | string, opts: SendOptions = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const u = new URL(path, baseUrl);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (payload && !opts.chunks) headers['content-length'] = String(payload.length);
  if (payload && opts.chunks) headers['transfer-encoding'] = 'chunked';
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? (payload ? 'POST' : 'GET'), headers }, (res) => {
      responded = true;
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    // A server may answer (413, Connection: close) before the whole body is written; like Go's HTTP
    // client, prefer that answer to the EPIPE that follows it.
    req.on('error', (err) => {
      if (responded) return;
      req.once('response', () => (responded = true));
      setTimeout(() => responded || reject(err), 2000);
    });
    if (payload && opts.chunks) {
      const size = Math.ceil(payload.length / opts.chunks);
      for (let at = 0; at < payload.length; at += size) req.write(payload.subarray(at, at + size));
      req.end();
    } else {
      req.end(payload);
    }
  });
}
