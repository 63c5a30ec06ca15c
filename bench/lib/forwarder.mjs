// The pacing table's calibration row: the least a Node gateway can do per write. A plain node:http server
// that reads the body, base64-encodes it into one JSON-sized request to a sink over keep-alive HTTP (as a
// PutRecords body would be) and answers 204. Its CPU per request at the paced rate and flat out shows what
// a low request rate costs any Node process on this machine, apart from anything kinflux does.
//
// startForwarder() starts the sink in this process and the forwarder as a child process (its CPU is the
// figure): { pid, url, stop() }.
import { createServer, request, Agent } from 'node:http';
import { spawn } from 'node:child_process';

function serve(sinkPort) {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const data = Buffer.concat(chunks).toString('base64');
      const out = Buffer.from(`{"StreamName":"metrics","Records":[{"Data":"${data}","PartitionKey":"k"}]}`);
      const fwd = request({ port: sinkPort, host: '127.0.0.1', method: 'POST', agent, headers: { 'content-length': out.length } }, (s) => {
        s.resume();
        s.on('end', () => {
          res.statusCode = 204;
          res.end();
        });
      });
      fwd.on('error', () => {
        res.statusCode = 503;
        res.end();
      });
      fwd.end(out);
    });
  }).listen(0, '127.0.0.1', function () {
    process.send(this.address().port);
  });
}

export async function startForwarder() {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"FailedRecordCount":0}'));
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, String(sink.address().port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise((r, j) => {
    child.once('message', r);
    child.once('exit', (code) => j(new Error(`forwarder exited (${code})`)));
  });
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      sink.closeAllConnections();
      await new Promise((r) => sink.close(r));
    },
  };
}

if (process.argv[1] === new URL(import.meta.url).pathname && process.send) serve(Number(process.argv[2]));
