// The walkthrough app: serves its first 5 requests with 200 and every later one with 500, the way
// an app with a leak or a wedged worker pool degrades. A liveness probe on `/` catches it; the
// restarted process is healthy again for its first 5 requests.
// Flags: --port (PORT, default 8080), --host (HOST, default $POD_IP or 0.0.0.0),
// --healthy-requests (HEALTHY_REQUESTS, default 5).
// It handles SIGTERM and exits 0, so after a liveness kill its last state is `Completed`, exit 0.
import http from 'node:http';
import { exitOnStopSignal, listenHost, listenOrExit, log, numberOption, reply } from './common.mjs';

const APP = 'flaky-http';
const port = numberOption('port', 'PORT', 8080);
const healthyRequests = numberOption('healthy-requests', 'HEALTHY_REQUESTS', 5);
let served = 0;

const server = http.createServer((req, res) => {
  served += 1;
  if (served <= healthyRequests) {
    log(APP, `request ${served} ${req.method} ${req.url} -> 200`);
    reply(res, 200, `ok (request ${served})\n`);
  } else {
    log(APP, `request ${served} ${req.method} ${req.url} -> 500 (worker pool wedged)`);
    reply(res, 500, `error: worker pool wedged after ${healthyRequests} requests (request ${served})\n`);
  }
});

exitOnStopSignal(APP, [server]);
await listenOrExit(APP, server, port, listenHost());
