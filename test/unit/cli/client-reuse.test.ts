/**
 * The keep-alive race: a server closes an idle connection just as the client sends its next
 * request on it. Go's transport (kubectl's) sends a read-only request again on a new connection;
 * podvisor's CLI does the same, and reports a write instead of risking it twice. CI once failed
 * `describe node` with ECONNRESET this way on a loaded machine.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { ApiClient } from '../../../src/cli/client.js';

interface Seen {
  connections: number;
  requests: string[];
}

/**
 * Answers the first request of each connection with keep-alive, then resets the connection when
 * a second request arrives on it (the server timed the idle connection out just then).
 */
async function racingServer(): Promise<{ server: Server; url: string; seen: Seen }> {
  const seen: Seen = { connections: 0, requests: [] };
  const server = createServer((socket: Socket) => {
    seen.connections++;
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
  return { server, url: `http://127.0.0.1:${address.port}`, seen };
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

describe('CLI client: a kept-alive connection reset as it is reused', () => {
  test('a GET goes again once on a new connection and succeeds', async () => {
    const { server, url, seen } = await racingServer();
    servers.push(server);
    const client = new ApiClient({ server: url });
    await client.get('/api/v1/nodes');
    const second = await client.get<{ status: string }>('/api/v1/nodes/n1');
    assert.equal(second.status, 'Success');
    assert.deepEqual(seen.requests, [
      'GET /api/v1/nodes HTTP/1.1',
      'GET /api/v1/nodes/n1 HTTP/1.1',
      'GET /api/v1/nodes/n1 HTTP/1.1',
    ]);
    assert.equal(seen.connections, 2, 'the retry used a new connection');
  });

  test('a POST is not sent twice: the reset is reported', async () => {
    const { server, url, seen } = await racingServer();
    servers.push(server);
    const client = new ApiClient({ server: url });
    await client.get('/api/v1/nodes');
    await assert.rejects(
      client.request('POST', '/api/v1/namespaces/default/pods', { body: { kind: 'Pod' } }),
      /cannot reach the podvisor node at .*: ECONNRESET/,
    );
    assert.equal(seen.requests.filter((r) => r.startsWith('POST')).length, 1);
  });
});
