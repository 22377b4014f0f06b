// A stand-in for an Oracle database listener, just enough to break a change-data-capture worker
// the way a real outage does. Clients get a greeting, answer heartbeats and receive a stream of
// change records. An admin HTTP port switches an outage on and off:
//
//   POST /outage    drop every client connection (TCP reset) and stop listening: new connections
//                   are refused, as while the database is down
//   POST /recover   listen again
//   GET  /status    {"state":"up"|"outage","clients":N,"port":P}
//
// Line protocol (one line per message, "\n"-terminated):
//   listener → client  HELLO oracle-listener 1          once, on connect
//   client → listener  PING <n>                         heartbeat
//   listener → client  PONG <n>
//   listener → client  CHANGE <scn> <table> <op>        every --change-ms
//
// Flags (env): --port (PORT, default 1521), --admin-port (ADMIN_PORT, default 1580),
// --host (HOST, default $POD_IP or 0.0.0.0), --change-ms (CHANGE_MS, default 2000).
import http from 'node:http';
import net from 'node:net';
import { exitOnStopSignal, listenHost, listenOrExit, log, numberOption, reply } from '../apps/common.mjs';

const APP = 'oracle-listener';
const host = listenHost();
const port = numberOption('port', 'PORT', 1521);
const adminPort = numberOption('admin-port', 'ADMIN_PORT', 1580);
const changeMs = numberOption('change-ms', 'CHANGE_MS', 2000);

const TABLES = ['ORDERS', 'ORDER_LINES', 'CUSTOMERS'];
const OPS = ['INSERT', 'UPDATE', 'DELETE'];
const clients = new Set();
let scn = 1_000_000;
let state = 'up';

function handleClient(socket) {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  clients.add(socket);
  log(APP, `client connected from ${peer}`);
  socket.setEncoding('utf8');
  socket.write('HELLO oracle-listener 1\n');
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      const ping = /^PING (\S+)$/.exec(line);
      if (ping) socket.write(`PONG ${ping[1]}\n`);
      else if (line !== '') socket.write(`ERROR unknown command: ${line}\n`);
    }
  });
  // A client that goes away (or is reset by an outage) is simply forgotten.
  socket.on('error', () => {});
  socket.on('close', () => {
    clients.delete(socket);
    log(APP, `client ${peer} disconnected`);
  });
}

const tns = net.createServer(handleClient);

setInterval(() => {
  if (clients.size === 0) return;
  scn += 1;
  const record = `CHANGE ${scn} ${TABLES[scn % TABLES.length]} ${OPS[scn % OPS.length]}\n`;
  for (const socket of clients) socket.write(record);
}, changeMs);

function startOutage() {
  if (state === 'outage') return 'outage already in progress';
  state = 'outage';
  const dropped = clients.size;
  // A reset, not a polite FIN: the client sees its link die, as when the database host goes away.
  for (const socket of clients) socket.resetAndDestroy();
  clients.clear();
  tns.close();
  log(APP, `OUTAGE: dropped ${dropped} connection(s), refusing new ones on ${host}:${port}`);
  return `outage: dropped ${dropped} connection(s), refusing new ones`;
}

function recover() {
  return new Promise((resolve) => {
    if (state === 'up') {
      resolve('already up');
      return;
    }
    tns.once('error', (err) => resolve(`cannot listen on ${host}:${port} again: ${err.message}`));
    tns.listen(port, host, () => {
      state = 'up';
      log(APP, `recovered: listening on ${host}:${port}`);
      resolve(`recovered: listening on ${host}:${port}`);
    });
  });
}

const admin = http.createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://placeholder').pathname;
  if (req.method === 'POST' && path === '/outage') return reply(res, 200, `${startOutage()}\n`);
  if (req.method === 'POST' && path === '/recover') {
    const message = await recover();
    return reply(res, state === 'up' ? 200 : 500, `${message}\n`);
  }
  if (req.method === 'GET' && path === '/status') {
    return reply(res, 200, JSON.stringify({ state, clients: clients.size, port }), {
      'Content-Type': 'application/json',
    });
  }
  reply(res, 404, 'try POST /outage, POST /recover or GET /status\n');
});

exitOnStopSignal(APP, [tns, admin]);
await listenOrExit(APP, tns, port, host);
await listenOrExit(`${APP} admin`, admin, adminPort, host);
