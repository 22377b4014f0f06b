// Stand-in for agnhost `test-webserver`: answers 200 on `/` (and on any path), stops cleanly on
// SIGTERM (exit code 0).
// Flags: --port (PORT, default 8080), --host (HOST, default $POD_IP or 0.0.0.0).
import http from 'node:http';
import { exitOnStopSignal, listenHost, listenOrExit, numberOption, reply } from './common.mjs';

const APP = 'webserver';
const port = numberOption('port', 'PORT', 8080);

const server = http.createServer((req, res) => {
  reply(res, 200, `hello from ${process.env.HOSTNAME || 'webserver'} (${req.method} ${req.url})\n`);
});

exitOnStopSignal(APP, [server]);
await listenOrExit(APP, server, port, listenHost());
