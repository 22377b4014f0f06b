/**
 * A small configurable HTTP(S) server for probe tests (unit and e2e): fixed or computed
 * responses per path, redirects with Go's body, slow or missing headers, hanging or huge
 * streamed bodies, and connections that are reset or closed instead of answered. It records
 * every request (raw headers included) so tests can check what a prober sent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RESET_AFTER_BODY_MS = 100;

export interface TargetResponse {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Streams this many bytes after `body`, in 16 KiB chunks, honouring back-pressure. */
  streamBytes?: number;
  /** Delay before the status line; 'never' keeps the client waiting forever. */
  headersDelayMs?: number | 'never';
  /** Sends headers (and `body`) but never ends the response. */
  hangBody?: boolean;
  /** Instead of answering: 'reset' sends RST, 'close' a plain FIN. */
  abort?: 'reset' | 'close';
  /** After headers and `body` (announced with a larger Content-Length): RST or FIN. */
  abortAfterBody?: 'reset' | 'close';
}

export type TargetHandler = TargetResponse | ((req: RecordedRequest) => TargetResponse);

export interface RecordedRequest {
  method: string;
  /** Request-target as received, e.g. "/healthz?x=1". */
  url: string;
  /** Alternating names and values, exactly as received. */
  rawHeaders: string[];
  localPort: number;
}

export interface StreamRecord {
  bytesWritten: number;
  /** The whole `streamBytes` was handed to the socket. */
  completed: boolean;
  /** The connection closed before completion. */
  closedEarly: boolean;
}

export interface HttpTargetOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS with this key and certificate (see selfSignedCert). */
  tls?: { key: string; cert: string };
  /** By path without query; '*' is the fallback. Unknown paths get 404. */
  routes?: Record<string, TargetHandler>;
}

export interface HttpTarget {
  host: string;
  port: number;
  requests: RecordedRequest[];
  streams: StreamRecord[];
  setRoute(path: string, handler: TargetHandler): void;
  close(): Promise<void>;
}

/** Go's http.Redirect for a GET: status, Location and `<a href="...">Found</a>.\n\n`. */
export function redirectTo(location: string, status = 302): TargetResponse {
  const escaped = location
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
  return {
    status,
    headers: { Location: location, 'Content-Type': 'text/html; charset=utf-8' },
    body: `<a href="${escaped}">${http.STATUS_CODES[status] ?? ''}</a>.\n\n`,
  };
}

export async function startHttpTarget(options: HttpTargetOptions = {}): Promise<HttpTarget> {
  const host = options.host ?? '127.0.0.1';
  const routes = new Map(Object.entries(options.routes ?? {}));
  const requests: RecordedRequest[] = [];
  const streams: StreamRecord[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      rawHeaders: [...req.rawHeaders],
      localPort: req.socket.localPort ?? 0,
    };
    requests.push(recorded);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handler = routes.get(path) ?? routes.get('*');
    const spec: TargetResponse =
      handler === undefined
        ? { status: 404, body: 'not found' }
        : typeof handler === 'function'
          ? handler(recorded)
          : handler;
    if (spec.headersDelayMs === 'never') return;
    if (spec.headersDelayMs !== undefined && spec.headersDelayMs > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        respond(res, spec, streams);
      }, spec.headersDelayMs);
      timers.add(t);
      return;
    }
    respond(res, spec, streams);
  };

  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handle)
    : http.createServer(handle);
  server.keepAliveTimeout = 0;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  server.on('connection', track);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    host,
    port,
    requests,
    streams,
    setRoute(path, handler) {
      routes.set(path, handler);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function respond(res: ServerResponse, spec: TargetResponse, streams: StreamRecord[]): void {
  const socket = res.socket;
  if (spec.abort !== undefined && socket !== null) {
    if (spec.abort === 'reset') socket.resetAndDestroy();
    else socket.end();
    return;
  }
  const body = typeof spec.body === 'string' ? Buffer.from(spec.body) : (spec.body ?? Buffer.alloc(0));
  res.statusCode = spec.status ?? 200;
  for (const [name, value] of Object.entries(spec.headers ?? {})) res.setHeader(name, value);
  if (spec.abortAfterBody !== undefined) {
    res.setHeader('Content-Length', body.length + 1000);
    res.write(body, () => {
      if (socket === null) return;
      if (spec.abortAfterBody === 'close') {
        socket.end();
        return;
      }
      // An RST right behind the data reaches the client in the same poll as the data, and
      // libuv then reports plain EOF; give the client time to read the data first.
      setTimeout(() => socket.resetAndDestroy(), RESET_AFTER_BODY_MS).unref();
    });
    return;
  }
  if (spec.hangBody === true) {
    res.setHeader('Content-Length', body.length + 1000);
    res.write(body);
    return;
  }
  if (spec.streamBytes === undefined) {
    res.end(body);
    return;
  }
  res.setHeader('Content-Length', body.length + spec.streamBytes);
  res.write(body);
  const record: StreamRecord = { bytesWritten: 0, completed: false, closedEarly: false };
  streams.push(record);
  const chunk = Buffer.alloc(16 * 1024, 'x');
  const pump = (): void => {
    while (record.bytesWritten < (spec.streamBytes ?? 0)) {
      const n = Math.min(chunk.length, (spec.streamBytes ?? 0) - record.bytesWritten);
      record.bytesWritten += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    record.completed = true;
    res.end();
  };
  res.on('close', () => {
    if (!record.completed) record.closedEarly = true;
  });
  pump();
}

/**
 * A throw-away self-signed certificate made with openssl (present on the dev machine and CI).
 * Fails loudly rather than skipping TLS tests when openssl is missing.
 */
export function selfSignedCert(commonName = 'localhost'): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          keyPath,
          '-out',
          certPath,
          '-days',
          '1',
          '-subj',
          `/CN=${commonName}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`selfSignedCert: running openssl failed (is openssl installed?): ${why}`);
    }
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
