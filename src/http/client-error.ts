// Requests Node's HTTP parser refuses (malformed request line or headers, oversized head, timeouts) never reach
// a route. Fastify's default handler logs the error with `rawPacket`, the bytes received so far: the
// Authorization header, `p=` in the URL, the body. This one logs the error code only and answers in
// InfluxDB's error shape.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyBaseLogger } from 'fastify';

export const clientErrorHandler = (log: FastifyBaseLogger | undefined) => (err: ConnectionError, socket: Socket): void => {
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
  if (socket.writable) {
    const body = JSON.stringify({ error: message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Influxdb-Error: ${message}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
};
