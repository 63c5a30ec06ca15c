// No secret reaches the log at any level: raw malformed requests (which Fastify used to log with `rawPacket`,
// the bytes as received) and well-formed refused ones carry a token in the Authorization header, in u/p and in
// the body; the log at trace, debug and info never holds it, in any encoding.
import t from 'tap';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { startKinesisLocal } from '../../src/emulator/kinesis-local.js';
import { emulatorEnv, startKinflux } from '../helpers/kinflux.js';

const TOKEN = 'S3cr3t-t0ken-9f8e7d6c5b4a';
const emulator = await startKinesisLocal({ streams: { metrics: 1 } });
t.teardown(() => emulator.stop());

/** Writes raw bytes and returns what came back before the server closed (or 10 s passed: CI may be slow). */
function raw(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => sock.destroy(), 10_000);
    sock.on('data', (b: Buffer) => (got += b.toString('latin1')));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    sock.on('error', () => undefined);
    sock.write(bytes);
  });
}

const basic = Buffer.from(`telegraf:${TOKEN}`).toString('base64');
const head = (requestLine: string, headers: string[]): string => `${requestLine}\r\nHost: k\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
const body = `m,tok=${TOKEN} v=1 1\n`;
const requests: Array<[string, Buffer | string, RegExp]> = [
  ['bad Content-Length', head(`POST /write?db=telegraf&u=u&p=${TOKEN} HTTP/1.1`, [`Authorization: Token ${TOKEN}`, 'Content-Length: 12x']) + body, /^HTTP\/1\.1 400/],
  ['control byte in a header', head(`POST /write?db=telegraf&p=${TOKEN} HTTP/1.1`, [`Authorization: Basic ${basic}`, 'X-Bad: a\x01b', `Content-Length: ${body.length}`]) + body, /^HTTP\/1\.1 400/],
  ['bad request line', `POST /write?db=telegraf&p=${TOKEN} HTTP/9.x\r\nAuthorization: Token ${TOKEN}\r\n\r\n${body}`, /^HTTP\/1\.1 400/],
  ['head too large', head(`POST /write?db=telegraf&p=${TOKEN} HTTP/1.1`, [`Authorization: Token ${TOKEN}`, `X-Pad: ${'a'.repeat(20_000)}`]), /^HTTP\/1\.1 431/],
  ['bad chunk size', head(`POST /write?db=telegraf&p=${TOKEN} HTTP/1.1`, [`Authorization: Token ${TOKEN}`, 'Transfer-Encoding: chunked']) + `zz\r\n${body}\r\n0\r\n\r\n`, /^HTTP\/1\.1 (400|204)|^$/],
  ['repeated query parameter', head(`POST /write?db=a&db=b&u=u&p=${TOKEN} HTTP/1.1`, [`Authorization: Token ${TOKEN}`, `Content-Length: ${body.length}`, 'Connection: close']) + body, /^HTTP\/1\.1 400/],
  ['invalid line', head(`POST /write?db=telegraf&p=${TOKEN} HTTP/1.1`, [`Content-Length: ${`bad ${TOKEN}`.length}`, 'Connection: close']) + `bad ${TOKEN}`, /^HTTP\/1\.1 400/],
  ['wrong token in u/p, token in body', head(`POST /write?db=telegraf&u=${TOKEN}&p=wrong-${TOKEN} HTTP/1.1`, [`Content-Length: ${body.length}`, 'Connection: close']) + body, /^HTTP\/1\.1 401/],
  [
    'broken gzip',
    Buffer.concat([
      Buffer.from(head(`POST /api/v2/write?bucket=b&org=o HTTP/1.1`, [`Authorization: Token ${TOKEN}`, 'Content-Encoding: gzip', 'Content-Length: 40', 'Connection: close'])),
      gzipSync(body).subarray(0, 40),
    ]),
    /^HTTP\/1\.1 400/,
  ],
  ['accepted write', head(`POST /write?db=telegraf&u=u&p=${TOKEN} HTTP/1.1`, [`Authorization: Token ${TOKEN}`, `Content-Length: ${body.length}`, 'Connection: close']) + body, /^HTTP\/1\.1 204/],
];

// The token as text, as base64 inside Basic, and as the byte array a serialised Buffer becomes.
const encodings = [TOKEN, basic, Buffer.from(TOKEN).subarray(0, 12).join(','), encodeURIComponent(TOKEN), 'S3cr3t'];

for (const level of ['trace', 'debug', 'info']) {
  t.test(`KINFLUX_LOG_LEVEL=${level}: malformed and refused requests leave no token in the log`, async (t) => {
    const k = await startKinflux(emulatorEnv(emulator.endpoint, 'metrics', { KINFLUX_AUTH_TOKENS: TOKEN, KINFLUX_LOG_LEVEL: level }));
    t.teardown(() => k.stop('SIGKILL'));
    for (const [name, bytes, answer] of requests) {
      const reply = await raw(k.port, bytes);
      t.match(reply, answer, `${name} is answered`);
    }
    await k.stop('SIGTERM');
    const log = k.output();
    if (level !== 'info') t.match(log, /malformed HTTP request refused/, 'the refusals are logged, by code');
    for (const e of encodings) t.notOk(log.includes(e), `no ${JSON.stringify(e.slice(0, 12))}… in the ${level} log`);
  });
}
