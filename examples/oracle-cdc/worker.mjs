// A change-data-capture worker with the bug that motivated `podvisor check`: it connects to the
// database listener, applies the change records it streams and sends heartbeats, but when the
// link breaks it logs ORA-12518 and carries on without a connection, forever. The process stays
// up, so nothing restarts it, unless a liveness probe looks at its log or its sockets.
//
//   start     connect; while refused, log `ORA-12541: TNS:no listener` and retry every --retry-ms
//   connected log `connected to oracle at HOST:PORT`, then one line per change record
//   link lost log `ORA-12518: TNS:listener could not hand off client connection` and idle
//
// Flags (env): --oracle-host (ORACLE_HOST, default 127.0.0.1), --oracle-port (ORACLE_PORT,
// default 1521), --retry-ms (RETRY_MS, default 1000), --heartbeat-ms (HEARTBEAT_MS, default 2000).
import net from 'node:net';
import { log, numberOption, option } from '../apps/common.mjs';

const APP = 'cdc-worker';
const oracleHost = option('oracle-host', 'ORACLE_HOST', '127.0.0.1');
const oraclePort = numberOption('oracle-port', 'ORACLE_PORT', 1521);
const retryMs = numberOption('retry-ms', 'RETRY_MS', 1000);
const heartbeatMs = numberOption('heartbeat-ms', 'HEARTBEAT_MS', 2000);
const address = `${oracleHost}:${oraclePort}`;

// The worker's main loop outlives its connection: this timer is what keeps a broken worker alive.
const mainLoop = setInterval(() => {}, 60_000);

function connect() {
  const socket = net.connect({ host: oracleHost, port: oraclePort });
  socket.setEncoding('utf8');
  let greeted = false;
  let heartbeat;
  let pending = '';
  let applied = 0;

  socket.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!greeted && line.startsWith('HELLO ')) {
        greeted = true;
        log(APP, `connected to oracle at ${address}`);
        let n = 0;
        heartbeat = setInterval(() => socket.write(`PING ${++n}\n`), heartbeatMs);
      } else if (line.startsWith('CHANGE ')) {
        const [, scn, table, op] = line.split(' ');
        applied += 1;
        log(APP, `applied change scn=${scn} ${op} ${table} (${applied} so far)`);
      }
    }
  });

  let failure = '';
  socket.on('error', (err) => {
    failure = err.code ?? err.message;
  });
  socket.on('close', () => {
    clearInterval(heartbeat);
    if (!greeted) {
      log(
        APP,
        `ORA-12541: TNS:no listener (${address}: ${failure || 'closed before the greeting'}); retrying in ${retryMs} ms`,
      );
      setTimeout(connect, retryMs);
      return;
    }
    // The bug: the link is gone and the worker neither reconnects nor exits.
    log(
      APP,
      `ORA-12518: TNS:listener could not hand off client connection (${address}: ${failure || 'closed'})`,
    );
    log(APP, 'change stream stopped; waiting for changes that will never come');
  });
}

function stop(signal) {
  log(APP, `received ${signal}, shutting down`);
  clearInterval(mainLoop);
  process.exit(0);
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));

connect();
