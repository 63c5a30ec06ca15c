// Issue 20, finding 7: a pipelined good write followed by a malformed request. The write was stored, but the
// client read `400 malformed HTTP request` as its answer (the error was written at once, ahead of the write's
// 204, and the connection closed). Now the answers of requests already read go out first, in order.
import t from 'tap';
import { connect } from 'node:net';
import { buildStubServer } from '../helpers/stub-server.js';

let submitted = 0;
const app = buildStubServer({}, {
  delivery: {
    // Delivery takes a while, as PutRecords does: the malformed request is read meanwhile.
    submit: async () => {
      await new Promise((r) => setTimeout(r, 300));
      submitted++;
    },
  },
});
await app.listen({ port: 0, host: '127.0.0.1' });
t.teardown(() => app.close());
const { port } = app.server.address() as { port: number };

function pipelined(raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(raw));
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString('latin1')));
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

const write = (body: string): string => `POST /write?db=metrics HTTP/1.1\r\nHost: k\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

t.test('a good write, then a malformed request: 204 first, then the 400', async (t) => {
  const got = await pipelined(write('m v=1i 1\n') + 'GARBAGE / HTTP/1.1\r\n\r\n');
  const statuses = [...got.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => Number(m[1]));
  t.same(statuses, [204, 400], got.replace(/\r\n/g, ' | ').slice(0, 400));
  t.equal(submitted, 1, 'the write was delivered');
});

t.test('two good writes, then a malformed request: both answers, in order, before the 400', async (t) => {
  submitted = 0;
  const got = await pipelined(write('m v=1i 1\n') + write('m v=2i 2\n') + 'POST /write HTTP/1.1\r\nContent-Length: x\r\n\r\n');
  const statuses = [...got.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => Number(m[1]));
  t.same(statuses, [204, 204, 400], got.replace(/\r\n/g, ' | ').slice(0, 400));
  t.equal(submitted, 2);
});

t.test('a malformed request alone still gets its 400 at once', async (t) => {
  const t0 = Date.now();
  const got = await pipelined('GARBAGE\r\n\r\n');
  t.match(got, /^HTTP\/1\.1 400 /);
  t.ok(Date.now() - t0 < 2000);
});
