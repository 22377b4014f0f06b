import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, createWebSocketStream } from 'ws';
import { PORT_FORWARD_PROTOCOL, WEBSOCKET_SPDY_PROTOCOL } from './upgrade.js';
import { SpdySession } from './spdy-session.js';

/**
 * The client half of port-forward, as kubectl does it (kubectl-surface §2.12): used by
 * `podvisor port-forward` and by tests. `websocket` carries the SPDY stream in binary messages;
 * `spdy` is the plain `Upgrade: SPDY/3.1`.
 */

export interface PortForwardDial {
  server: string;
  token?: string;
  namespace: string;
  pod: string;
  transport?: 'websocket' | 'spdy';
}

export class PortForwardDialError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'PortForwardDialError';
  }
}

function portForwardUrl(d: PortForwardDial): URL {
  const path = `/api/v1/namespaces/${encodeURIComponent(d.namespace)}/pods/${encodeURIComponent(d.pod)}/portforward`;
  return new URL(path, d.server);
}

async function refusal(res: IncomingMessage): Promise<PortForwardDialError> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  let message = text.trim() || `HTTP ${res.statusCode ?? 0}`;
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') message = status.message;
  } catch {
    // not a Status: the raw text is the message
  }
  return new PortForwardDialError(message, res.statusCode);
}

/** Upgrades a connection to the pod's portforward subresource and starts a client SPDY session. */
export function dialPortForward(d: PortForwardDial): Promise<SpdySession> {
  const url = portForwardUrl(d);
  const auth: Record<string, string> = d.token ? { Authorization: `Bearer ${d.token}` } : {};
  if ((d.transport ?? 'websocket') === 'websocket') {
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve, reject) => {
      // `ws` refuses subprotocols that are not RFC 7230 tokens ('/' in SPDY/3.1+…), so the offer
      // is set on the request by hand and the server's answer checked (and taken away) before
      // `ws` looks at it.
      const ws = new WebSocket(url, {
        headers: auth,
        perMessageDeflate: false,
        finishRequest: (req) => {
          req.setHeader('Sec-WebSocket-Protocol', WEBSOCKET_SPDY_PROTOCOL);
          req.prependOnceListener('upgrade', (res: IncomingMessage) => {
            const answered = res.headers['sec-websocket-protocol'];
            delete res.headers['sec-websocket-protocol'];
            if (answered !== WEBSOCKET_SPDY_PROTOCOL) {
              reject(
                new PortForwardDialError(
                  `unable to negotiate protocol: server returned ${JSON.stringify(answered ?? '')}`,
                ),
              );
              req.destroy();
            }
          });
          req.end();
        },
      });
      ws.once('unexpected-response', (_req, res) => {
        refusal(res).then(reject, reject);
      });
      ws.once('error', (err) => reject(new PortForwardDialError(err.message)));
      ws.once('open', () => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => undefined);
        resolve(new SpdySession(stream, { role: 'client' }));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        ...auth,
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        'X-Stream-Protocol-Version': PORT_FORWARD_PROTOCOL,
      },
    });
    req.once('upgrade', (res, socket: Duplex, head: Buffer) => {
      if (res.headers['x-stream-protocol-version'] !== PORT_FORWARD_PROTOCOL) {
        socket.destroy();
        reject(new PortForwardDialError('unable to negotiate protocol: server returned ""'));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(new SpdySession(socket, { role: 'client' }));
    });
    req.once('response', (res) => {
      refusal(res).then(reject, reject);
    });
    req.once('error', (err) => reject(new PortForwardDialError(err.message)));
    req.end();
  });
}

/**
 * Forwards one local connection through the session: an `error` and a `data` stream with the
 * same request id, as kubectl opens them. Resolves when the connection is over, with the text
 * the node wrote on the error stream (empty when all went well).
 */
export async function forwardConnection(
  session: SpdySession,
  local: Duplex,
  remotePort: number,
  requestId: number,
): Promise<string> {
  const headers = { port: String(remotePort), requestid: String(requestId) };
  const errorStream = await session.openStream({ streamtype: 'error', ...headers });
  errorStream.on('error', () => undefined);
  errorStream.end(); // kubectl never writes on the error stream
  const errorText = new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    errorStream.on('data', (c: Buffer) => chunks.push(c));
    errorStream.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const dataStream = await session.openStream({ streamtype: 'data', ...headers });
  dataStream.on('error', () => undefined);
  local.pipe(dataStream);
  dataStream.pipe(local);
  local.on('error', () => undefined);
  local.once('close', () => {
    if (!dataStream.writableEnded) dataStream.destroy();
  });
  const text = await errorText;
  if (text !== '') local.destroy();
  await new Promise<void>((resolve) => {
    if (dataStream.destroyed) resolve();
    else dataStream.once('close', () => resolve());
  });
  return text;
}

export interface ForwardHooks {
  /** kubectl prints `Handling connection for LOCAL`. */
  onConnection?: (localPort: number) => void;
  /** The node's error text for one connection (kubectl: `an error occurred forwarding L -> R: …`). */
  onError?: (localPort: number, remotePort: number, text: string) => void;
}

export interface LocalListener {
  localPort: number;
  remotePort: number;
}

/** Local listeners on 127.0.0.1 whose connections go through one session, with kubectl's request ids. */
export class PortForwarder {
  private nextRequestId = 0;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly session: SpdySession,
    private readonly hooks: ForwardHooks = {},
  ) {}

  /** Listens on 127.0.0.1:localPort (0: any free port). */
  async listen(localPort: number, remotePort: number): Promise<LocalListener> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket, remotePort));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(localPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return { localPort: (server.address() as AddressInfo).port, remotePort };
  }

  /** Stops listening, ends open connections and the session. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.session.close();
  }

  private accept(socket: Socket, remotePort: number): void {
    const localPort = socket.localPort ?? 0;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.hooks.onConnection?.(localPort);
    forwardConnection(this.session, socket, remotePort, this.nextRequestId++).then(
      (text) => {
        if (text !== '') this.hooks.onError?.(localPort, remotePort, text);
      },
      (err: Error) => {
        socket.destroy();
        this.hooks.onError?.(localPort, remotePort, err.message);
      },
    );
  }
}
