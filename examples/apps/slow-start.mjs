// An app that needs a while before it can serve (cache warm-up, migrations): it opens its port
// only after --delay-seconds. A startup probe holds liveness back until then.
// Flags: --port (PORT, default 8080), --host (HOST, default $POD_IP or 0.0.0.0),
// --delay-seconds (DELAY_SECONDS, default 20). Exits 0 on SIGTERM, also while still warming up.
import http from 'node:http';
import { exitOnStopSignal, listenHost, listenOrExit, log, numberOption, reply } from './common.mjs';

const APP = 'slow-start';
const port = numberOption('port', 'PORT', 8080);
const delaySeconds = numberOption('delay-seconds', 'DELAY_SECONDS', 20);

const server = http.createServer((_req, res) => reply(res, 200, 'ready\n'));
exitOnStopSignal(APP, [server]);

log(APP, `warming up for ${delaySeconds}s before listening`);
setTimeout(() => {
  void listenOrExit(APP, server, port, listenHost());
}, delaySeconds * 1000);
