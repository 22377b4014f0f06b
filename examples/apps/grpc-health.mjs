// A clone of agnhost `grpc-health-checking`: the standard gRPC health service
// (grpc.health.v1.Health/Check) plus an HTTP port to flip it.
//
//   gRPC on --port (PORT, default 5000): Check(service = --service) → SERVING, or NOT_SERVING once
//     --delay-unhealthy-sec has passed (default -1: never) or after /make-not-serving;
//     any other service name → NOT_FOUND.
//   HTTP on --http-port (HTTP_PORT, default 8080): /make-not-serving, /make-serving.
//
// --host (HOST, default $POD_IP or 0.0.0.0) applies to both ports. Exits 0 on SIGTERM.
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { exitOnStopSignal, listenHost, listenOrExit, log, numberOption, option, reply } from './common.mjs';

const APP = 'grpc-health';
const port = numberOption('port', 'PORT', 5000);
const httpPort = numberOption('http-port', 'HTTP_PORT', 8080);
const service = option('service', 'SERVICE', '');
const delayUnhealthySec = numberOption('delay-unhealthy-sec', 'DELAY_UNHEALTHY_SEC', -1);
const host = listenHost();
const started = Date.now();
let forcedNotServing = false;

const health = new HealthImplementation({ [service]: 'SERVING' });

function delayElapsed() {
  return delayUnhealthySec >= 0 && Date.now() - started >= delayUnhealthySec * 1000;
}

function publish() {
  const status = forcedNotServing || delayElapsed() ? 'NOT_SERVING' : 'SERVING';
  health.setStatus(service, status);
  log(APP, `service ${JSON.stringify(service)} is ${status}`);
}

const grpcServer = new grpc.Server();
health.addToServer(grpcServer);

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  if (url.pathname === '/make-not-serving') {
    forcedNotServing = true;
    publish();
    reply(res, 200, 'NOT_SERVING\n');
  } else if (url.pathname === '/make-serving') {
    forcedNotServing = false;
    publish();
    reply(res, 200, 'SERVING\n');
  } else {
    reply(res, 404, 'use /make-not-serving or /make-serving\n');
  }
});

const grpcAsCloseable = {
  close: () => grpcServer.forceShutdown(),
};
exitOnStopSignal(APP, [httpServer, grpcAsCloseable]);

// Bracket IPv6 literals for grpc-js's address syntax.
const grpcAddress = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
grpcServer.bindAsync(grpcAddress, grpc.ServerCredentials.createInsecure(), (err, boundPort) => {
  if (err) {
    process.stderr.write(`${APP}: cannot listen on ${grpcAddress}: ${err.message}\n`);
    process.exit(1);
  }
  log(APP, `gRPC health service listening on ${host}:${boundPort} (service ${JSON.stringify(service)})`);
});
if (delayUnhealthySec >= 0) setTimeout(publish, delayUnhealthySec * 1000);
await listenOrExit(APP, httpServer, httpPort, host);
