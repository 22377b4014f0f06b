import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { KubeObject, Pod } from '../../api/types.js';
import type { ObjectStore } from '../../store/types.js';
import { badRequest, failureStatus, type StatusObject } from '../status.js';
import { portForwardStreamHandler, type ForwardTarget } from './forwarder.js';
import { SpdySession } from './spdy-session.js';

/**
 * The pod `portforward` subresource, which only exists as an HTTP upgrade (kubectl-surface §2.12):
 * kubectl 1.33 first tries a WebSocket carrying the SPDY byte stream
 * (`Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io`), and falls back to a plain
 * `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`.
 * Every stream goes to the pod's own IP (status.podIP); the port is the client's only choice.
 */

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const WEBSOCKET_SPDY_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward\/?$/;

export interface PortForwardUpgradeOptions {
  store: ObjectStore;
  /** The API server's bearer-token check: kubectl sends the token on the upgrade request too. */
  authorized: (req: IncomingMessage) => boolean;
}

export interface PortForwardUpgrade {
  /** For the http server's 'upgrade' event (every upgrade request comes here). */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends every forwarding connection (upgraded sockets are not the http server's any more). */
  closeAll(): void;
}

type StoredPod = Pod & KubeObject;

function reject(socket: Duplex, status: StatusObject): void {
  const code = status.code ?? 500;
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      'Cache-Control: no-cache, private\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** podvisor's pod IPs are loopback addresses (DESIGN "Local mapping"); anything else is refused. */
function isLoopback(ip: string): boolean {
  return (isIP(ip) === 4 && ip.startsWith('127.')) || ip === '::1';
}

function headerList(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return all
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Why the pod cannot be forwarded to, or its IP. */
function podAddress(
  pod: StoredPod | undefined,
  name: string,
): { host: string; pod: StoredPod } | { error: StatusObject } {
  if (!pod)
    return { error: failureStatus(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }) };
  const phase = pod.status?.phase ?? 'Pending';
  const ip = pod.status?.podIP;
  if (phase !== 'Running' || !ip)
    return {
      error: failureStatus(
        400,
        'BadRequest',
        `unable to forward port because pod is not running. Current status=${phase}`,
      ),
    };
  if (!isLoopback(ip))
    return {
      error: failureStatus(400, 'BadRequest', `pod ${name} has no local pod IP (status.podIP=${ip})`),
    };
  return { host: ip, pod };
}

export function createPortForwardUpgrade(opts: PortForwardUpgradeOptions): PortForwardUpgrade {
  // `ws` only accepts RFC 7230 tokens as subprotocols, and kubectl's has a '/'. So the offer is
  // checked here, taken off the request before `ws` parses it, and the answer added back below.
  // The module (and its server) is loaded at the first WebSocket upgrade: most nodes never see one.
  let websockets: Promise<{ wss: WebSocketServer; mod: typeof import('ws') }> | undefined;
  let loadedWss: WebSocketServer | undefined;
  const websocketServer = (): Promise<{ wss: WebSocketServer; mod: typeof import('ws') }> =>
    (websockets ??= import('ws').then((mod) => {
      const wss = new mod.WebSocketServer({ noServer: true, perMessageDeflate: false });
      wss.on('headers', (headers: string[]) =>
        headers.push(`Sec-WebSocket-Protocol: ${WEBSOCKET_SPDY_PROTOCOL}`),
      );
      loadedWss = wss;
      return { wss, mod };
    }));
  const sessions = new Set<SpdySession>();

  const startSession = (transport: Duplex, ns: string, pod: StoredPod): void => {
    const name = pod.metadata.name;
    const target: ForwardTarget = {
      podFullName: `${name}_${ns}`,
      uid: pod.metadata.uid ?? '',
      resolveHost: () => {
        const now = opts.store.get<StoredPod>('pods', ns, name);
        // The same pod, not a new one that took its name.
        if (now && now.metadata.uid !== pod.metadata.uid) return { error: 'pod not found' };
        const found = podAddress(now, name);
        return 'host' in found ? { host: found.host } : { error: found.error.message ?? 'pod not reachable' };
      },
    };
    const session = new SpdySession(transport, {
      role: 'server',
      onStream: portForwardStreamHandler(target),
    });
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  };

  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    // The token first, whatever the path: an anonymous client learns nothing, not even what exists.
    if (!opts.authorized(req)) {
      reject(socket, failureStatus(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://podvisor.invalid');
    const match = PATH.exec(url.pathname);
    if (!match) {
      reject(socket, failureStatus(404, 'NotFound', 'the server could not find the requested resource', {}));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      reject(
        socket,
        failureStatus(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
          {},
        ),
      );
      return;
    }
    let ns: string;
    let name: string;
    try {
      ns = decodeURIComponent(match[1] ?? '');
      name = decodeURIComponent(match[2] ?? '');
    } catch {
      reject(socket, failureStatus(404, 'NotFound', 'the server could not find the requested resource', {}));
      return;
    }
    const pod = opts.store.get<StoredPod>('pods', ns, name);
    const address = podAddress(pod, name);
    if ('error' in address) {
      reject(socket, address.error);
      return;
    }
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') {
      const offered = headerList(req.headers['sec-websocket-protocol']);
      if (!offered.includes(WEBSOCKET_SPDY_PROTOCOL)) {
        // Any non-101 answer makes kubectl fall back to the plain SPDY upgrade (§2.12).
        reject(
          socket,
          failureStatus(
            400,
            'BadRequest',
            `unable to upgrade: the WebSocket subprotocol must be ${WEBSOCKET_SPDY_PROTOCOL}`,
          ),
        );
        return;
      }
      delete req.headers['sec-websocket-protocol'];
      websocketServer().then(
        ({ wss, mod }) =>
          wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
            const stream = mod.createWebSocketStream(ws);
            stream.on('error', () => undefined);
            startSession(stream, ns, address.pod);
          }),
        (err: unknown) =>
          reject(
            socket,
            failureStatus(500, 'InternalError', `WebSocket support unavailable: ${String(err)}`),
          ),
      );
      return;
    }
    if (upgrade === 'spdy/3.1') {
      const protocols = headerList(req.headers['x-stream-protocol-version']);
      if (!protocols.includes(PORT_FORWARD_PROTOCOL)) {
        // httpstream.Handshake's answer when no protocol matches.
        reject(
          socket,
          failureStatus(
            403,
            'Forbidden',
            `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(protocols)}, server accepts ["${PORT_FORWARD_PROTOCOL}"]`,
          ),
        );
        return;
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\n' +
          'Connection: Upgrade\r\n' +
          'Upgrade: SPDY/3.1\r\n' +
          `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
      );
      if (head.length > 0) socket.unshift(head);
      startSession(socket, ns, address.pod);
      return;
    }
    reject(socket, failureStatus(400, 'BadRequest', 'Upgrade request required'));
  };

  return {
    handle,
    closeAll() {
      for (const s of [...sessions]) s.destroy();
      for (const ws of loadedWss?.clients ?? []) ws.terminate();
    },
  };
}

/** pods/portforward without an upgrade: the apiserver's answer (the handler for the router). */
export function upgradeRequired(): never {
  throw badRequest('Upgrade request required');
}
