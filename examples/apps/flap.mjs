// A readiness endpoint that flaps: `/ready` alternates between 200 and 503 every --period-seconds
// (a backend that is periodically overloaded). Readiness failures take the pod out of service;
// they never restart it. `/` always answers 200.
// Flags: --port (PORT, default 8080), --host (HOST, default $POD_IP or 0.0.0.0),
// --period-seconds (PERIOD_SECONDS, default 10). Exits 0 on SIGTERM.
import http from 'node:http';
import { exitOnStopSignal, listenHost, listenOrExit, log, numberOption, reply } from './common.mjs';

const APP = 'flap';
const port = numberOption('port', 'PORT', 8080);
const periodSeconds = numberOption('period-seconds', 'PERIOD_SECONDS', 10);
const started = Date.now();
let lastReported;

function isReady() {
  return Math.floor((Date.now() - started) / (periodSeconds * 1000)) % 2 === 0;
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  if (url.pathname === '/ready') {
    const ready = isReady();
    if (ready !== lastReported) {
      log(APP, ready ? 'accepting traffic again' : 'overloaded: reporting not ready');
      lastReported = ready;
    }
    if (ready) reply(res, 200, 'ready\n');
    else reply(res, 503, 'overloaded\n');
    return;
  }
  reply(res, 200, 'ok\n');
});

exitOnStopSignal(APP, [server]);
await listenOrExit(APP, server, port, listenHost());
