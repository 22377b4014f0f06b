import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import {
  dialPortForward,
  forwardConnection,
  PortForwarder,
  PortForwardDialError,
} from '../../../src/server/portforward/client.js';
import { startHarness, TOKEN, type Harness } from './harness.js';

/** The pod's "container": an HTTP server on the pod IP, and a TCP echo server. */
interface Upstream {
  httpPort: number;
  echoPort: number;
  close(): void;
}

async function listen(server: http.Server | Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function startUpstream(): Promise<Upstream> {
  const web = http.createServer((req, res) => res.end(`hello from the pod (${req.method} ${req.url})`));
  const echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  const httpPort = await listen(web);
  const echoPort = await listen(echo);
  return {
    httpPort,
    echoPort,
    close: () => {
      web.closeAllConnections();
      web.close();
      echo.close();
    },
  };
}

/** A port with nothing listening: bound, then released. */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function getText(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
      .on('error', reject);
  });
}

function pod(name: string, status: Pod['status']): Pod & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'x' }] },
    status,
  } as Pod & KubeObject;
}

describe('pods/portforward (kubectl-surface §2.12)', () => {
  let h: Harness;
  let upstream: Upstream;

  before(async () => {
    h = await startHarness();
    upstream = await startUpstream();
    h.store.create('pods', pod('web', { phase: 'Running', podIP: '127.0.0.1' }));
    h.store.create('pods', pod('pending', { phase: 'Pending' }));
    h.store.create('pods', pod('elsewhere', { phase: 'Running', podIP: '10.1.2.3' }));
  });
  after(async () => {
    upstream.close();
    await h.close();
  });

  for (const transport of ['websocket', 'spdy'] as const) {
    test(`§2.12: over ${transport}, a local connection reaches the pod's port and gets its answer`, async () => {
      const session = await dialPortForward({
        server: h.server.url,
        token: TOKEN,
        namespace: 'default',
        pod: 'web',
        transport,
      });
      const handled: number[] = [];
      const forwarder = new PortForwarder(session, { onConnection: (p) => handled.push(p) });
      const local = await forwarder.listen(0, upstream.httpPort);
      assert.equal(await getText(local.localPort, '/a'), 'hello from the pod (GET /a)');
      assert.equal(await getText(local.localPort, '/b'), 'hello from the pod (GET /b)');
      assert.deepEqual(handled, [local.localPort, local.localPort]);
      await forwarder.close();
    });
  }

  test('§2.12 step 6: a 300 KB upload is relayed both ways, and the client FIN half-closes upstream', async () => {
    const session = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'web',
      transport: 'spdy',
    });
    const forwarder = new PortForwarder(session);
    const local = await forwarder.listen(0, upstream.echoPort);
    const payload = Buffer.alloc(300 * 1024, 'podvisor-');
    const sock = connect({ host: '127.0.0.1', port: local.localPort, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.end(payload);
    await once(sock, 'end');
    assert.ok(Buffer.concat(chunks).equals(payload));
    await forwarder.close();
  });

  test('§2.12 step 6: a refused connection is reported on the error stream, and the data stream closes', async () => {
    const port = await freePort();
    const session = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'web',
    });
    const errors: string[] = [];
    const forwarder = new PortForwarder(session, { onError: (_l, _r, text) => errors.push(text) });
    const local = await forwarder.listen(0, port);
    const sock = connect({ host: '127.0.0.1', port: local.localPort });
    sock.on('error', () => undefined);
    await once(sock, 'close');
    // onError runs when forwardConnection settles, just after the socket is closed.
    while (errors.length === 0) await new Promise((r) => setImmediate(r));
    assert.match(
      errors[0] ?? '',
      new RegExp(
        `^error forwarding port ${port} to pod web_default, uid [0-9a-f-]+: dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused$`,
      ),
    );
    await forwarder.close();
  });

  test('port-forward paths cannot escape their pod: only ports 1-65535 of the pod IP', async () => {
    const session = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'web',
    });
    for (const [id, port] of [
      ['0', '0'],
      ['1', '65536'],
      ['2', '80/../../etc'],
      ['3', '-1'],
    ] as const) {
      const errorStream = await session.openStream({ streamtype: 'error', port, requestid: id });
      errorStream.end();
      const chunks: Buffer[] = [];
      errorStream.on('data', (c: Buffer) => chunks.push(c));
      const errorEnded = once(errorStream, 'end');
      const data = await session.openStream({ streamtype: 'data', port, requestid: id });
      const dataEnded = once(data, 'end');
      data.resume();
      await errorEnded;
      assert.match(Buffer.concat(chunks).toString(), /invalid port .*: must be 1-65535$/);
      await dataEnded;
    }
    session.close();
  });

  test('port-forward paths cannot escape their pod: a pod IP that is not local is refused', async () => {
    const err = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'elsewhere',
    }).catch((e: unknown) => e);
    assert.ok(err instanceof PortForwardDialError);
    assert.equal(err.statusCode, 400);
  });

  test('§2.12: the request id ties the error and data streams of one connection together', async () => {
    const session = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'web',
      transport: 'spdy',
    });
    // Any duplex can be the local end: here two in-memory pipes stand in for a socket.
    const toPod = new PassThrough();
    const fromPod = new PassThrough();
    const local = Duplex.from({ readable: toPod, writable: fromPod });
    const done = forwardConnection(session, local, upstream.echoPort, 42);
    toPod.end('echo me');
    const chunks: Buffer[] = [];
    fromPod.on('data', (c: Buffer) => chunks.push(c));
    await once(fromPod, 'finish');
    assert.equal(await done, '');
    assert.equal(Buffer.concat(chunks).toString(), 'echo me');
    session.close();
  });

  test('Requests without the token get 401 with a Status body, on both transports', async () => {
    for (const transport of ['websocket', 'spdy'] as const) {
      for (const token of [undefined, 'wrong-token']) {
        const err = await dialPortForward({
          server: h.server.url,
          namespace: 'default',
          pod: 'web',
          transport,
          ...(token ? { token } : {}),
        }).catch((e: unknown) => e);
        assert.ok(err instanceof PortForwardDialError, `${transport} ${token}`);
        assert.equal(err.statusCode, 401);
        assert.equal(err.message, 'Unauthorized');
      }
    }
  });

  test('a missing pod is 404 NotFound and a pod that is not running is 400, as kubectl expects', async () => {
    const missing = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'nope',
    }).catch((e: unknown) => e);
    assert.ok(missing instanceof PortForwardDialError);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.message, 'pods "nope" not found');
    const pending = await dialPortForward({
      server: h.server.url,
      token: TOKEN,
      namespace: 'default',
      pod: 'pending',
      transport: 'spdy',
    }).catch((e: unknown) => e);
    assert.ok(pending instanceof PortForwardDialError);
    assert.equal(pending.statusCode, 400);
    assert.equal(
      pending.message,
      'unable to forward port because pod is not running. Current status=Pending',
    );
  });

  test('§2.12 step 1: the plain upgrade needs X-Stream-Protocol-Version: portforward.k8s.io', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${h.server.url}/api/v1/namespaces/default/pods/web/portforward`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, Connection: 'Upgrade', Upgrade: 'SPDY/3.1' },
      });
      req.once('response', resolve);
      req.once('upgrade', () => reject(new Error('upgraded without a protocol')));
      req.once('error', reject);
      req.end();
    });
    assert.equal(res.statusCode, 403);
    res.resume();
  });

  test('§2.12 step 1: a WebSocket without the SPDY subprotocol gets a non-101 answer (kubectl falls back)', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${h.server.url}/api/v1/namespaces/default/pods/web/portforward`, {
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Protocol': 'v4.channel.k8s.io',
        },
      });
      req.once('response', resolve);
      req.once('upgrade', () => reject(new Error('upgraded')));
      req.once('error', reject);
      req.end();
    });
    assert.equal(res.statusCode, 400);
    res.resume();
  });

  test('pods/portforward without an upgrade is 400 "Upgrade request required"', async () => {
    const res = await h.request('POST', '/api/v1/namespaces/default/pods/web/portforward');
    assert.equal(res.status, 400);
    assert.equal(res.json().message, 'Upgrade request required');
  });
});
