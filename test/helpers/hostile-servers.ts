/**
 * Hostile probe targets on 127.0.0.0/8 (issue 7, test/hostile): servers that accept and never
 * answer, trickle header bytes, stream a 1 GiB body, redirect in loops, speak something other than
 * HTTP, reset, keep a full listen backlog, and gRPC servers that never answer. Each records what
 * it did per connection, so a test can check that the prober let go (socket closed, bytes sent).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { HEALTH_SERVICE, type CheckRequest, type CheckResponse } from './grpc-health-server.js';
import { selfSignedCert } from './http-target.js';

/** What one accepted connection saw. */
export interface ConnectionRecord {
  /** Bytes handed to the kernel for this connection. */
  bytesWritten: number;
  /** performance.now() at accept and at close (undefined while open). */
  openedAt: number;
  closedAt: number | undefined;
}

export interface HostileTarget {
  host: string;
  port: number;
  connections: ConnectionRecord[];
  /** Connections not closed yet. */
  openConnections(): number;
  close(): Promise<void>;
}

type ConnectionBehaviour = (socket: Socket, record: ConnectionRecord) => void;

/** A plain TCP (or TLS) server whose every connection gets `behaviour`. */
async function startRawTarget(
  host: string,
  behaviour: ConnectionBehaviour,
  options: { tls?: boolean; onClose?: () => void } = {},
): Promise<HostileTarget> {
  const connections: ConnectionRecord[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    const record: ConnectionRecord = { bytesWritten: 0, openedAt: performance.now(), closedAt: undefined };
    connections.push(record);
    sockets.add(socket);
    socket.on('error', () => undefined); // resets by the prober are expected
    socket.on('close', () => {
      record.closedAt = performance.now();
      sockets.delete(socket);
    });
    behaviour(socket, record);
  };
  let server: net.Server;
  if (options.tls === true) {
    const cert = selfSignedCert();
    const tlsServer = tls.createServer({ key: cert.key, cert: cert.cert }, onConnection);
    // A client speaking plain HTTP fails the handshake; the raw socket still counts as a connection.
    tlsServer.on('connection', (raw: Socket) => {
      const record: ConnectionRecord = { bytesWritten: 0, openedAt: performance.now(), closedAt: undefined };
      connections.push(record);
      sockets.add(raw);
      raw.on('error', () => undefined);
      raw.on('close', () => {
        record.closedAt = performance.now();
        sockets.delete(raw);
      });
    });
    tlsServer.on('tlsClientError', () => undefined);
    server = tlsServer;
  } else {
    server = net.createServer(onConnection);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, backlog: 1024 }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host,
    port,
    connections,
    openConnections: () => sockets.size,
    close() {
      options.onClose?.();
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads whatever comes and never sends a byte. */
export function startSilentTarget(host: string): Promise<HostileTarget> {
  return startRawTarget(host, (socket) => socket.resume());
}

/** A status line, then one more header byte every `everyMs` forever: the head never ends. */
export function startHeaderTrickleTarget(host: string, everyMs = 20): Promise<HostileTarget> {
  const live = new Map<Socket, ConnectionRecord>();
  // One timer for all connections, so a thousand of them cost one wake-up per tick.
  const ticker = setInterval(() => {
    for (const [socket, record] of live) {
      if (socket.writable) {
        socket.write('a');
        record.bytesWritten++;
      }
    }
  }, everyMs);
  return startRawTarget(
    host,
    (socket, record) => {
      socket.resume();
      const start = 'HTTP/1.1 200 OK\r\nX-Trickle: ';
      socket.write(start);
      record.bytesWritten += start.length;
      live.set(socket, record);
      socket.on('close', () => live.delete(socket));
    },
    { onClose: () => clearInterval(ticker) },
  );
}

export const ONE_GIB = 1024 * 1024 * 1024;

/** 200 with `Content-Length: 1 GiB` and a body streamed as fast as the client takes it. */
export function startHugeBodyTarget(host: string, bodyBytes = ONE_GIB): Promise<HostileTarget> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  return startRawTarget(host, (socket, record) => {
    socket.once('data', () => {
      const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${bodyBytes}\r\n\r\n`;
      socket.write(head);
      let sent = 0;
      const pump = (): void => {
        while (sent < bodyBytes && !socket.destroyed) {
          const n = Math.min(chunk.length, bodyBytes - sent);
          sent += n;
          record.bytesWritten += n;
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            socket.once('drain', pump);
            return;
          }
        }
        if (sent >= bodyBytes) socket.end();
      };
      pump();
    });
    socket.resume();
  });
}

/** Sends `bytes` once the request arrives, then holds the connection open or closes it. */
export function startNotHttpTarget(
  host: string,
  bytes: Buffer,
  then: 'hold' | 'close',
): Promise<HostileTarget> {
  return startRawTarget(host, (socket, record) => {
    socket.once('data', () => {
      record.bytesWritten += bytes.length;
      if (then === 'close') socket.end(bytes);
      else socket.write(bytes);
    });
    socket.resume();
  });
}

/** Resets (RST) every connection as soon as its request has arrived. */
export function startResetTarget(host: string): Promise<HostileTarget> {
  return startRawTarget(host, (socket) => {
    socket.once('data', () => socket.resetAndDestroy());
  });
}

/** A TLS server (self-signed) that a plain-HTTP prober talks to. */
export function startTlsTarget(host: string): Promise<HostileTarget> {
  return startRawTarget(host, (socket) => socket.resume(), { tls: true });
}

/** A plain HTTP/1.1 server answering 200 "plain", for an HTTPS prober. */
export function startPlainHttpTarget(host: string): Promise<HostileTarget> {
  return startRawTarget(host, (socket, record) => {
    socket.once('data', () => {
      const answer = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nplain';
      record.bytesWritten += answer.length;
      socket.end(answer);
    });
    socket.resume();
  });
}

export interface RedirectTarget {
  host: string;
  port: number;
  /** Requests served. */
  requests: number;
  close(): Promise<void>;
}

/**
 * `/loop` answers 302 to itself (with a counter) forever; `/away` answers 302 to the same port on
 * `otherHost`, a different hostname.
 */
export async function startRedirectTarget(host: string, otherHost: string): Promise<RedirectTarget> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    const path = (req.url ?? '/').split('?')[0];
    const location = path === '/loop' ? `/loop?n=${state.requests}` : `http://${otherHost}:${port}/elsewhere`;
    res.writeHead(302, { Location: location, 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<a href="${location}">Found</a>.\n\n`);
  });
  server.keepAliveTimeout = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen({ host, port: 0, backlog: 1024 }, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host,
    port,
    get requests() {
      return state.requests;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface BacklogFullTarget {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A listening socket whose accept queue is full: a child process listens with backlog 1 and then
 * blocks its event loop, so it never accepts; this process fills the queue with connections it
 * holds. Linux then drops further SYNs, so a dial hangs until the prober's deadline.
 */
export async function startBacklogFullTarget(host: string): Promise<BacklogFullTarget> {
  const script = `
    const net = require('node:net');
    const server = net.createServer();
    server.listen({ host: ${JSON.stringify(host)}, port: 0, backlog: 1 }, () => {
      process.stdout.write(server.address().port + '\\n', () => {
        // Never return to the event loop: nothing is ever accepted.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      });
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, '--', 'podvisor-hostile-backlog'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`backlog child exited early (code ${code})`)));
  });
  // The accept queue holds backlog + 1 established connections; a few more only sit in SYN_SENT.
  const fillers: Socket[] = [];
  const established: Promise<void>[] = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect({ host, port });
    s.on('error', () => undefined);
    fillers.push(s);
    if (i < 2) established.push(new Promise((resolve) => s.once('connect', () => resolve())));
  }
  await Promise.all(established);
  return {
    host,
    port,
    async close() {
      for (const s of fillers) s.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface GrpcTarget {
  host: string;
  port: number;
  /** Check calls received. */
  calls(): number;
  close(): Promise<void>;
}

/** A gRPC server whose Health/Check handler never calls back. */
export async function startNeverAnsweringGrpcTarget(host: string): Promise<GrpcTarget> {
  let calls = 0;
  const server = new Server();
  server.addService(HEALTH_SERVICE, {
    check: (_call: ServerUnaryCall<CheckRequest, CheckResponse>, _reply: sendUnaryData<CheckResponse>) => {
      calls++; // and never reply: the client's deadline must end the call
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (err, bound) => {
      if (err !== null) reject(err);
      else resolve(bound);
    });
  });
  return {
    host,
    port,
    calls: () => calls,
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        server.forceShutdown(); // the hanging calls would hold tryShutdown open
      }),
  };
}
