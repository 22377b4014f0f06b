// The app every subject supervises in S1/S2 (issue 6): a plain Node HTTP server on 127.0.0.1:PORT.
// Control endpoints change only this process (a fresh instance is healthy again):
//   /healthz  200 (500 once failing) with {"pid", "startupMs"}: the bench checks the pid to know a
//             *new* instance answered, and startupMs (process start → listening) for the floor
//   /crash    exits 1 at once (the request gets no answer)
//   /hang     answers once, then accepts connections but never answers anything again
//   /fail     answers once, then answers 500 to everything
// /hang and /fail answer {"pid", "sinceCheckMs"}: how long ago the supervisor's own check (exactly
// `/healthz`; the bench polls `/healthz?bench`) last arrived, which gives the check's tick phase.
// START_DELAY_MS pads start-up (a timer before listen) so the app needs ~65 ms from exec to listening.
// SIGTERM ends it at once, so a supervisor's kill is never what the bench measures.
// Plain .mjs with no dependencies: PM2, supervisord, monit, the bare loop and podvisor run the same file.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('http-app: set PORT to the TCP port to listen on (127.0.0.1)\n');
  process.exit(2);
}
let mode = 'healthy';
let lastCheckAt = NaN;
let startupMs = NaN;
const server = createServer((req, res) => {
  const now = performance.now();
  if (mode === 'hung') return; // keep the socket open, never answer
  if (req.url === '/crash') process.exit(1);
  if (req.url === '/healthz') lastCheckAt = now;
  if (req.url === '/hang' || req.url === '/fail') {
    mode = req.url === '/hang' ? 'hung' : 'failing';
    const body = { pid: process.pid, sinceCheckMs: now - lastCheckAt };
    res.writeHead(200, { connection: 'close' }).end(JSON.stringify(body));
    return;
  }
  res.writeHead(mode === 'failing' ? 500 : 200, { connection: 'close' });
  res.end(JSON.stringify({ pid: process.pid, startupMs }));
});
server.on('error', (err) => {
  process.stderr.write(`http-app: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(1);
});
const listen = () => server.listen(port, '127.0.0.1', () => (startupMs = performance.now()));
const delay = Number(process.env.START_DELAY_MS ?? 0);
if (delay > 0) setTimeout(listen, delay);
else listen();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
