// bench:e2e's floor: the least a Fastify server can do per write. It receives the body as kinflux's
// write route does (Fastify, a Buffer body), counts its lines and answers 204. Its CPU per request is what
// receiving a write costs on this stack before anything is parsed or sent.
//
// startFloor() starts it as a child process (its CPU is the figure): { pid, url, stop() }.
import { spawn } from 'node:child_process';

async function serve() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  let lines = 0;
  app.post('/write', async (req, reply) => {
    const body = req.body;
    for (let at = body.indexOf(10); at >= 0; at = body.indexOf(10, at + 1)) lines++;
    reply.code(204).send();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send(app.server.address().port);
  process.on('disconnect', () => process.exit(lines >= 0 ? 0 : 1));
}

export async function startFloor() {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 'serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise((r, j) => {
    child.once('message', r);
    child.once('exit', (code) => j(new Error(`floor exited (${code})`)));
  });
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

if (process.argv[2] === 'serve') await serve();
