// A sidecar proxy shaped like Envoy: it forwards its main port to the app container of the same
// pod (same pod IP) and has an admin port for health:
//
//   GET  /ready             200 "LIVE", or 503 "DRAINING" after POST /healthcheck/fail
//   POST /healthcheck/fail  start failing /ready (what an operator does before maintenance)
//   POST /healthcheck/ok    pass again
//
// Flags: --port (PORT, default 10000) main listener, --admin-port (ADMIN_PORT, default 9901),
// --upstream (UPSTREAM, default <pod IP or 127.0.0.1>:8080), --host (HOST, default $POD_IP or
// 0.0.0.0). Forwarding is plain TCP, so any protocol passes. Exits 0 on SIGTERM.
import http from 'node:http';
import net from 'node:net';
import { exitOnStopSignal, listenHost, listenOrExit, log, numberOption, option, reply } from './common.mjs';

const APP = 'envoy-like-proxy';
const host = listenHost();
const port = numberOption('port', 'PORT', 10000);
const adminPort = numberOption('admin-port', 'ADMIN_PORT', 9901);
const upstream = option('upstream', 'UPSTREAM', `${process.env.POD_IP || '127.0.0.1'}:8080`);
const separator = upstream.lastIndexOf(':');
const upstreamHost = upstream.slice(0, separator).replace(/^\[|\]$/g, '');
const upstreamPort = Number(upstream.slice(separator + 1));
if (separator <= 0 || !Number.isInteger(upstreamPort)) {
  process.stderr.write(`${APP}: invalid --upstream ${upstream} (expected host:port)\n`);
  process.exit(2);
}
let failingHealthChecks = false;

const admin = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  if (req.method === 'GET' && url.pathname === '/ready') {
    if (failingHealthChecks) reply(res, 503, 'DRAINING\n');
    else reply(res, 200, 'LIVE\n');
  } else if (req.method === 'POST' && url.pathname === '/healthcheck/fail') {
    failingHealthChecks = true;
    log(APP, 'health checks now fail (/ready → 503)');
    reply(res, 200, 'OK\n');
  } else if (req.method === 'POST' && url.pathname === '/healthcheck/ok') {
    failingHealthChecks = false;
    log(APP, 'health checks pass again (/ready → 200)');
    reply(res, 200, 'OK\n');
  } else {
    reply(res, 404, 'GET /ready, POST /healthcheck/fail, POST /healthcheck/ok\n');
  }
});

const proxy = net.createServer((client) => {
  const target = net.connect(upstreamPort, upstreamHost);
  client.pipe(target);
  target.pipe(client);
  const drop = () => {
    client.destroy();
    target.destroy();
  };
  client.on('error', drop);
  target.on('error', (err) => {
    log(APP, `upstream ${upstream}: ${err.message}`);
    drop();
  });
});

exitOnStopSignal(APP, [admin, { close: () => proxy.close() }]);
// The main port first: once /ready answers, the proxy is really forwarding.
await listenOrExit(`${APP} proxy to ${upstream}`, proxy, port, host);
await listenOrExit(`${APP} admin`, admin, adminPort, host);
