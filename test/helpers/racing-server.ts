/**
 * A server that loses the keep-alive race on purpose: it answers the first request of each
 * connection with keep-alive, then resets the connection when a second request arrives on it (as
 * when a server times an idle connection out just as the client reuses it).
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';

export interface RacingServer {
  url: string;
  seen: Seen;
  /** Closes the server and the connections clients keep alive (else the test waits for them). */
  close(): void;
}

export interface Seen {
  connections: number;
  requests: string[];
}

/** Listens on 127.0.0.1 at a free port; `seen` lists each request line in order. */
export async function racingServer(): Promise<RacingServer> {
  const seen: Seen = { connections: 0, requests: [] };
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    seen.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let answered = false;
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.slice(end + 4 + length);
      seen.requests.push(head.split('\r\n')[0] ?? '');
      if (answered) {
        socket.resetAndDestroy();
        return;
      }
      answered = true;
      const body = '{"kind":"Status","status":"Success"}';
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`,
      );
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const close = (): void => {
    server.close();
    for (const socket of sockets) socket.destroy();
  };
  return { url: `http://127.0.0.1:${address.port}`, seen, close };
}

/**
 * Two GETs through `get` (a client made for the server's URL), the second meeting the reset:
 * asserts it was answered after going again, once, on a new connection.
 */
export async function assertReadReplayedOnce(
  makeGet: (url: string) => (path: string) => Promise<{ status?: string } | undefined>,
): Promise<void> {
  const racing = await racingServer();
  try {
    const get = makeGet(racing.url);
    await get('/api/v1/nodes');
    const second = await get('/api/v1/nodes/n1');
    assert.equal(second?.status, 'Success');
    assert.deepEqual(racing.seen.requests, [
      'GET /api/v1/nodes HTTP/1.1',
      'GET /api/v1/nodes/n1 HTTP/1.1',
      'GET /api/v1/nodes/n1 HTTP/1.1',
    ]);
    assert.equal(racing.seen.connections, 2, 'the retry used a new connection');
  } finally {
    racing.close();
  }
}
