/**
 * Issue 7 item 5: request bodies have size limits, and a client cannot hold the server by sending
 * slowly. Every route that takes a body (enumerated from discovery) answers 3 MiB + 1 byte with
 * the apiserver's 413 Status, declared or chunked; headers over 16 KiB get 431; a body, headers,
 * or nothing at all trickled over a connection (plain or TLS on the same port) is cut off after
 * the request timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateServingCert } from '../../src/cli/serving-cert.js';
import { REQUEST_LIMITS, startApiServer, type ApiServer } from '../../src/server/api-server.js';
import { MAX_BODY_BYTES } from '../../src/server/http-io.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { admitPod } from '../../src/api/admission.js';
import { FakeLogs, openStream, TOKEN as STREAM_TOKEN } from '../unit/server/harness.js';
import {
  discoverRoutes,
  send,
  startFullServer,
  TOKEN,
  UNAUTHORIZED_STATUS,
  type FullServer,
} from './full-server.js';

const TOO_LARGE_STATUS = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `Request entity too large: limit is ${MAX_BODY_BYTES}`,
  reason: 'RequestEntityTooLarge',
  code: 413,
};

/** A request whose body goes out chunked (no Content-Length), in 64 KiB writes. */
function sendChunked(
  base: string,
  method: string,
  path: string,
  body: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d+)[^]*?\r\n\r\n([^]*)$/.exec(answer);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`));
      const raw = m[2] ?? '';
      // The answer is small and not chunked (it has a Content-Length).
      resolve({ status: Number(m[1]), body: raw });
    });
    socket.write(
      `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: ${method === 'PATCH' ? 'application/merge-patch+json' : 'application/json'}\r\n` +
        'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    );
    for (let at = 0; at < body.length; at += 64 * 1024) {
      const piece = body.subarray(at, at + 64 * 1024);
      socket.write(`${piece.length.toString(16)}\r\n`);
      socket.write(piece);
      socket.write('\r\n');
    }
    socket.write('0\r\n\r\n');
  });
}

/** Milliseconds until the server closes `socket`, while `trickle` (if any) sends a byte every 100 ms. */
function timeUntilClosed(socket: Socket, trickle?: () => void): Promise<{ ms: number; answer: string }> {
  const started = Date.now();
  let answer = '';
  socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
  const timer = trickle ? setInterval(trickle, 100) : undefined;
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - started, answer });
    });
  });
}

const TIMEOUT_MS = 1500;

/**
 * The semantic bound: not before the timeout, and no later than the timeout plus Node's checking
 * interval; the margin is for a machine shared by many test processes.
 */
function assertCutAfterTimeout(ms: number, what: string): void {
  const margin = 4000;
  assert.ok(ms >= TIMEOUT_MS - 100, `${what}: closed after ${ms} ms, before the ${TIMEOUT_MS} ms timeout`);
  assert.ok(
    ms <= TIMEOUT_MS + REQUEST_LIMITS.checkIntervalMs + margin,
    `${what}: still open after ${ms} ms (timeout ${TIMEOUT_MS} ms + check interval ${REQUEST_LIMITS.checkIntervalMs} ms)`,
  );
}

describe('security: request size limits (issue 7 item 5)', { timeout: 120_000 }, () => {
  let fs: FullServer;
  let bodyRoutes: { method: string; path: string }[];
  before(async () => {
    fs = await startFullServer();
    const routes = await discoverRoutes(fs.server.url);
    // pods/portforward is listed with `create` but is served only as an upgrade: any other request
    // is refused before its body is read (asserted below).
    bodyRoutes = routes
      .filter((r) => !r.path.endsWith('/portforward'))
      .flatMap((r) =>
        r.methods
          .filter((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')
          .map((method) => ({ method, path: r.path })),
      );
  });
  after(() => fs.close());

  test('the body routes are all there (POST, PUT, PATCH, subresources, probehistories/run)', (t) => {
    t.diagnostic(`${bodyRoutes.length} body routes`);
    const has = (method: string, path: string): boolean =>
      bodyRoutes.some((r) => r.method === method && r.path === path);
    assert.ok(has('POST', '/api/v1/namespaces/default/pods'));
    assert.ok(has('PUT', '/api/v1/namespaces/default/pods/x'));
    assert.ok(has('PATCH', '/api/v1/namespaces/default/pods/x'));
    assert.ok(has('PUT', '/api/v1/namespaces/default/pods/x/status'));
    assert.ok(has('PATCH', '/apis/apps/v1/namespaces/default/deployments/x/scale'));
    assert.ok(has('POST', '/apis/podvisor.io/v1alpha1/namespaces/default/probehistories/x/run'));
    assert.ok(bodyRoutes.length >= 30, `${bodyRoutes.length} body routes`);
  });

  test('3 MiB + 1 byte with a Content-Length: 413 Status on every body route, refused by the declared length (nothing buffered)', async () => {
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    for (const { method, path } of bodyRoutes) {
      const res = await send(fs.server.url, method, path, {
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/merge-patch+json' },
        body,
      });
      assert.equal(res.status, 413, `${method} ${path}`);
      assert.deepEqual(JSON.parse(res.body), TOO_LARGE_STATUS, `${method} ${path}`);
      assert.equal(res.headers.connection, 'close', `${method} ${path}: the connection is not reused`);
    }
  });

  test('3 MiB + 1 byte chunked (no Content-Length): 413 Status on every body route', async () => {
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    for (const { method, path } of bodyRoutes) {
      const res = await sendChunked(fs.server.url, method, path, body);
      assert.equal(res.status, 413, `${method} ${path}`);
      assert.deepEqual(JSON.parse(res.body), TOO_LARGE_STATUS, `${method} ${path}`);
    }
  });

  test('pods/portforward without an upgrade: 400 "Upgrade request required", the body unread', async () => {
    const res = await send(fs.server.url, 'POST', '/api/v1/namespaces/default/pods/x/portforward', {
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20),
    });
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.body) as { message: string }).message, 'Upgrade request required');
  });

  test('exactly 3 MiB is within the limit (the body is decoded, not refused for its size)', async () => {
    const text = `{"kind":"Pod","metadata":{"name":"big"},"x":"${'a'.repeat(MAX_BODY_BYTES - 47)}"}`;
    assert.equal(Buffer.byteLength(text), MAX_BODY_BYTES);
    const res = await send(fs.server.url, 'POST', '/api/v1/namespaces/default/pods', {
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: text,
    });
    assert.notEqual(res.status, 413, res.body.slice(0, 300));
  });

  test('a big body without the token gets its 401 Status (not a connection reset)', async () => {
    const res = await send(fs.server.url, 'POST', '/api/v1/namespaces/default/pods', {
      body: Buffer.alloc(MAX_BODY_BYTES + 1, 0x20),
    });
    assert.equal(res.status, 401);
    assert.deepEqual(JSON.parse(res.body), UNAUTHORIZED_STATUS);
  });

  test('headers over 16 KiB: 431, the request is not served', async () => {
    const res = await send(fs.server.url, 'GET', '/api/v1/pods', {
      headers: { Authorization: `Bearer ${TOKEN}`, 'X-Padding': 'p'.repeat(REQUEST_LIMITS.maxHeaderBytes) },
    });
    assert.equal(res.status, 431);
  });
});

// These servers take the unit harness's token, which openStream (a watch client) sends.
describe('security: slow clients are cut off (issue 7 item 5)', { timeout: 120_000 }, () => {
  let plain: ApiServer;
  let plainStore: MemoryStore;
  let tls: ApiServer;
  const certDir = mkdtempSync(join(tmpdir(), 'podvisor-security-cert-'));
  before(async () => {
    const common = { logs: new FakeLogs(), token: STREAM_TOKEN, admitPod, requestTimeoutMs: TIMEOUT_MS };
    plainStore = new MemoryStore();
    plain = await startApiServer({ store: plainStore, ...common });
    const cert = await loadOrCreateServingCert(certDir, '127.0.0.1');
    tls = await startApiServer({ store: new MemoryStore(), ...common, tls: cert });
  });
  after(async () => {
    await plain.close();
    await tls.close();
    rmSync(certDir, { recursive: true, force: true });
  });

  const portOf = (s: ApiServer): number => s.port;

  test('a body trickled one byte every 100 ms is cut off after the request timeout (408)', async (t) => {
    const socket = connect(portOf(plain), '127.0.0.1');
    socket.write(
      `POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${STREAM_TOKEN}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
    );
    const { ms, answer } = await timeUntilClosed(socket, () => socket.write(' '));
    assertCutAfterTimeout(ms, 'trickled body');
    t.diagnostic(`closed after ${ms} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  test('headers trickled one byte every 100 ms are cut off after the header timeout', async (t) => {
    const socket = connect(portOf(plain), '127.0.0.1');
    socket.write('GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const { ms } = await timeUntilClosed(socket, () => socket.write('s'));
    assertCutAfterTimeout(ms, 'trickled headers');
    t.diagnostic(`closed after ${ms} ms`);
  });

  test('a connection that sends nothing is closed (plain port)', async (t) => {
    const { ms } = await timeUntilClosed(connect(portOf(plain), '127.0.0.1'));
    assertCutAfterTimeout(ms, 'silent connection');
    t.diagnostic(`closed after ${ms} ms`);
  });

  test('a connection that sends nothing is closed (TLS on the same port: before its first byte)', async (t) => {
    const { ms } = await timeUntilClosed(connect(portOf(tls), '127.0.0.1'));
    assertCutAfterTimeout(ms, 'silent connection on the TLS-capable port');
    t.diagnostic(`closed after ${ms} ms`);
  });

  test('the limits are on receiving: a watch stays open past them and still delivers events', async () => {
    const stream = await openStream(plain.url, '/api/v1/namespaces/default/pods?watch=true');
    assert.equal(stream.status, 200);
    // Past the request timeout and Node's next check, with margin: the watch must still be there.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + REQUEST_LIMITS.checkIntervalMs + 1000));
    assert.equal(stream.ended, false, 'the watch was cut');
    plainStore.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'after-timeout', namespace: 'default' },
    });
    const [line] = await stream.waitForLines(1);
    assert.match(line ?? '', /"after-timeout"/);
    stream.disconnect();
  });

  test('a TLS client that trickles its headers is cut off too', async (t) => {
    const socket = tlsConnect({ port: portOf(tls), host: '127.0.0.1', rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    socket.write('GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const { ms } = await timeUntilClosed(socket as unknown as Socket, () => socket.write('s'));
    assertCutAfterTimeout(ms, 'trickled headers over TLS');
    t.diagnostic(`closed after ${ms} ms`);
  });
});
