// Requests Node's HTTP parser refuses (malformed request line or headers, oversized head, timeouts) never reach
// a route. Fastify's default handler logs the error with `rawPacket`, the bytes received so far: the
// Authorization header, `p=` in the URL, the body. This one logs the error code only and answers in
// InfluxDB's error shape.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyBaseLogger } from 'fastify';

/** Node's per-socket response being written; pipelined ones queue behind it and take its place when it finishes. */
const inFlight = (socket: Socket): ServerResponse | undefined => (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;

/**
 * Waits until every response Node queued on `socket` (requests already read, such as a pipelined write still
 * being delivered) has been written, so their clients read them before the error answer; at most `maxMs`.
 */
function afterPendingResponses(socket: Socket, maxMs: number, then: () => void): void {
  const timer = setTimeout(finish, maxMs);
  timer.unref();
  let done = false;
  function finish(): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    then();
  }
  const next = (): void => {
    const res = inFlight(socket);
    // A response whose request never arrived whole (the client went away mid-body) will never be written.
    if (socket.destroyed || !res || res.writableFinished || !res.req.complete) return finish();
    // Node's own 'finish' listener (added first) hands the socket to the next queued response.
    res.once('finish', () => setImmediate(next));
    res.once('close', () => setImmediate(next));
  };
  next();
}

export const clientErrorHandler = (log: FastifyBaseLogger | undefined, maxWaitMs = 30_000) => (err: ConnectionError, socket: Socket): void => {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request timeout: the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request header fields too large']
        : [400, 'malformed HTTP request'];
  // The code says what went wrong; the message and rawPacket may quote the request, so neither is logged.
  log?.debug({ code: err.code, status, bytes: (err.rawPacket as unknown as Buffer | undefined)?.length }, 'malformed HTTP request refused');
  // Nothing more is read from this connection; the answers of the requests before the bad one go out first.
  socket.pause();
  afterPendingResponses(socket, maxWaitMs, () => {
    if (socket.writable) {
      const body = JSON.stringify({ error: message });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nX-Influxdb-Error: ${message}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  });
};
