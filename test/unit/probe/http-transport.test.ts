import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { probeHttp, type HttpProbeRequest } from '../../../src/probe/http.js';
import { PROBE_OUTPUT_LIMIT } from '../../../src/probe/types.js';
import { selfSignedCert, startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { activeResources, freePort, waitFor } from './helpers.js';

const HOST = '127.0.0.5';

describe('HTTP probe transport errors and limits (spec §3.1)', () => {
  let target: HttpTarget;
  let probe: (path: string, extra?: Partial<HttpProbeRequest>) => ReturnType<typeof probeHttp>;
  let base: string;

  before(async () => {
    target = await startHttpTarget({
      host: HOST,
      routes: {
        '/ok': { body: 'ok' },
        '/never': { headersDelayMs: 'never' },
        '/hang': { hangBody: true, body: 'partial' },
        '/reset': { abort: 'reset' },
        '/close': { abort: 'close' },
        '/reset-body': { abortAfterBody: 'reset', body: 'partial' },
        '/close-body': { abortAfterBody: 'close', body: 'partial' },
        '/huge': { streamBytes: 64 * 1024 * 1024 },
      },
    });
    base = `http://${HOST}:${target.port}`;
    probe = (path, extra = {}) =>
      probeHttp({
        scheme: 'HTTP',
        host: HOST,
        port: target.port,
        path,
        headers: [],
        timeoutMs: 2000,
        ...extra,
      });
  });
  after(() => target.close());

  test("§3.1: connection refused is a Failure with Go's dial error text", async () => {
    const port = await freePort(HOST);
    const res = await probeHttp({
      scheme: 'HTTP',
      host: HOST,
      port,
      path: '/healthz',
      headers: [],
      timeoutMs: 1000,
    });
    assert.deepEqual(res, {
      result: 'failure',
      output: `Get "http://${HOST}:${port}/healthz": dial tcp ${HOST}:${port}: connect: connection refused`,
    });
  });

  test('§3.1: no response headers within the timeout: "Client.Timeout exceeded while awaiting headers"', async () => {
    const started = Date.now();
    const res = await probe('/never', { timeoutMs: 300 });
    const elapsed = Date.now() - started;
    assert.deepEqual(res, {
      result: 'failure',
      output: `Get "${base}/never": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    assert.ok(elapsed >= 290 && elapsed < 1500, `took ${elapsed} ms`);
  });

  test('§3.1: a body that stalls past the timeout is a body-read error: (Failure, "", err)', async () => {
    const res = await probe('/hang', { timeoutMs: 300 });
    assert.deepEqual(res, {
      result: 'failure',
      output: '',
      error: 'context deadline exceeded (Client.Timeout or context cancellation while reading body)',
    });
  });

  test("§3.1: a reset before the response is Go's read error text", async () => {
    const res = await probe('/reset');
    assert.equal(res.result, 'failure');
    assert.match(
      res.output,
      new RegExp(
        `^Get "${base}/reset": read tcp 127\\.0\\.0\\.\\d+:\\d+->${HOST.replace(/\./g, '\\.')}:${target.port}: read: connection reset by peer$`,
      ),
    );
  });

  test('§3.1: the server closing before any response is "Get \\"<url>\\": EOF"', async () => {
    assert.deepEqual(await probe('/close'), { result: 'failure', output: `Get "${base}/close": EOF` });
  });

  test('§3.1: a reset while reading the body is a probe error with the read error text', async () => {
    const res = await probe('/reset-body');
    assert.equal(res.result, 'failure');
    assert.equal(res.output, '');
    assert.match(
      res.error ?? '',
      /^read tcp 127\.0\.0\.\d+:\d+->127\.0\.0\.5:\d+: read: connection reset by peer$/,
    );
  });

  test('§3.1: a body cut short by the server is a probe error "unexpected EOF"', async () => {
    assert.deepEqual(await probe('/close-body'), { result: 'failure', output: '', error: 'unexpected EOF' });
  });

  test('§3.1: of a 64 MiB body only 10 KiB is read, and the connection is dropped at the cap', async () => {
    target.streams.length = 0;
    const res = await probe('/huge');
    assert.equal(res.result, 'success');
    assert.equal(res.output.length, PROBE_OUTPUT_LIMIT);
    assert.equal(res.output, 'x'.repeat(PROBE_OUTPUT_LIMIT));
    const stream = target.streams[0];
    assert.ok(stream, 'the target did not stream');
    await waitFor(() => stream.closedEarly, 2000, 'server never saw the connection close');
    assert.equal(stream.completed, false);
    assert.ok(stream.bytesWritten < 64 * 1024 * 1024);
  });

  test('§3.1: a hostname that does not resolve is a dial error', async () => {
    const res = await probeHttp({
      scheme: 'HTTP',
      host: 'no-such-host.invalid',
      port: 80,
      path: '/',
      headers: [],
      timeoutMs: 3000,
    });
    assert.equal(res.result, 'failure');
    assert.match(
      res.output,
      /^Get "http:\/\/no-such-host\.invalid:80\/": dial tcp: lookup no-such-host\.invalid: /,
    );
  });

  test('§3.1: probes leave no sockets or timers behind', async () => {
    const before = activeResources();
    const refusedPort = await freePort(HOST);
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      runs.push(probe('/ok'));
      runs.push(probe('/never', { timeoutMs: 100 }));
      runs.push(probe('/huge', { timeoutMs: 2000 }));
      runs.push(
        probeHttp({ scheme: 'HTTP', host: HOST, port: refusedPort, path: '/', headers: [], timeoutMs: 500 }),
      );
    }
    await Promise.all(runs);
    // Both ends live in this process; once the prober closed its side the target's side follows.
    await waitFor(
      () => {
        const now = activeResources();
        return now.TCPSocketWrap <= before.TCPSocketWrap && now.Timeout <= before.Timeout;
      },
      3000,
      () => `resources left: ${JSON.stringify(activeResources())} vs before ${JSON.stringify(before)}`,
    );
  });
});

describe('HTTPS and IPv6 probes (spec §3.1)', () => {
  test('§3.1: HTTPS does not verify the certificate (self-signed accepted)', async () => {
    const target = await startHttpTarget({
      host: '127.0.0.1',
      tls: selfSignedCert(),
      routes: { '/ok': { body: 'tls ok' } },
    });
    try {
      const res = await probeHttp({
        scheme: 'HTTPS',
        host: '127.0.0.1',
        port: target.port,
        path: '/ok',
        headers: [],
        timeoutMs: 3000,
      });
      assert.deepEqual(res, { result: 'success', output: 'tls ok' });
    } finally {
      await target.close();
    }
  });

  test("§3.1: HTTPS against a plain HTTP server gives Go's text", async () => {
    const target = await startHttpTarget({ host: '127.0.0.1', routes: { '/ok': { body: 'plain' } } });
    try {
      const res = await probeHttp({
        scheme: 'HTTPS',
        host: '127.0.0.1',
        port: target.port,
        path: '/ok',
        headers: [],
        timeoutMs: 3000,
      });
      assert.deepEqual(res, {
        result: 'failure',
        output: `Get "https://127.0.0.1:${target.port}/ok": http: server gave HTTP response to HTTPS client`,
      });
    } finally {
      await target.close();
    }
  });

  test('§3.1: an IPv6 host is bracketed in the URL and the Host header', async () => {
    const target = await startHttpTarget({ host: '::1', routes: { '/v6': { body: 'six' } } });
    try {
      const res = await probeHttp({
        scheme: 'HTTP',
        host: '::1',
        port: target.port,
        path: '/v6',
        headers: [],
        timeoutMs: 3000,
      });
      assert.deepEqual(res, { result: 'success', output: 'six' });
      assert.deepEqual(target.requests[0]?.rawHeaders.slice(0, 2), ['Host', `[::1]:${target.port}`]);
      await target.close();
      const refused = await probeHttp({
        scheme: 'HTTP',
        host: '::1',
        port: target.port,
        path: '/v6',
        headers: [],
        timeoutMs: 3000,
      });
      assert.equal(
        refused.output,
        `Get "http://[::1]:${target.port}/v6": dial tcp [::1]:${target.port}: connect: connection refused`,
      );
    } finally {
      await target.close().catch(() => undefined);
    }
  });

  test('§3.1: a server speaking garbage is a transport Failure, not a crash', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end('NOT HTTP AT ALL\r\n\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const res = await probeHttp({
        scheme: 'HTTP',
        host: '127.0.0.1',
        port,
        path: '/',
        headers: [],
        timeoutMs: 2000,
      });
      assert.equal(res.result, 'failure');
      assert.match(res.output, new RegExp(`^Get "http://127\\.0\\.0\\.1:${port}/": `));
    } finally {
      server.close();
    }
  });
});
