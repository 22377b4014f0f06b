import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runCheck, type CheckContext } from '../../../../src/probe/checks/index.js';
import { startGrpcHealthServer, type GrpcHealthServer } from '../../../helpers/grpc-health-server.js';
import { freePort } from '../helpers.js';

const HOST = '127.0.0.1';
const ctx: CheckContext = { now: Date.now, timeoutMs: 2000, env: { PATH: process.env.PATH ?? '' }, cwd: '' };

describe('check http: the kubelet handler, optionally stricter', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 500);
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { Location: 'http://127.0.0.2:1/elsewhere' });
        return void res.end('moved');
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(`{"status":"${status === 200 ? 'UP' : 'DOWN'}"}`);
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    base = `http://${HOST}:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => server.close());

  test('default semantics: 2xx succeeds naming the status, other codes fail with the kubelet text', async () => {
    assert.deepEqual(await runCheck(['http', `${base}/healthz`], ctx), {
      ok: true,
      reason: 'HTTP probe succeeded (200)',
    });
    assert.deepEqual(await runCheck(['http', `${base}/healthz?status=503`], ctx), {
      ok: false,
      reason: 'HTTP probe failed with statuscode: 503',
    });
    assert.deepEqual(await runCheck(['http', `${base}/redirect`], ctx), {
      ok: true,
      reason: 'HTTP probe succeeded (302, redirect not followed)',
    });
  });

  test('transport errors and timeouts carry the kubelet message', async () => {
    const port = await freePort(HOST);
    assert.deepEqual(await runCheck(['http', `http://${HOST}:${port}/`], ctx), {
      ok: false,
      reason: `Get "http://${HOST}:${port}/": dial tcp ${HOST}:${port}: connect: connection refused`,
    });
    assert.deepEqual(await runCheck(['http', `${base}/slow`, '--timeout', '100ms'], ctx), {
      ok: false,
      reason: `Get "${base}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  test('--expect-status widens or narrows what succeeds', async () => {
    assert.deepEqual(await runCheck(['http', `${base}/?status=503`, '--expect-status', '500-599'], ctx), {
      ok: true,
      reason: 'HTTP probe succeeded (503)',
    });
    assert.deepEqual(await runCheck(['http', `${base}/?status=204`, '--expect-status', '200'], ctx), {
      ok: false,
      reason: 'HTTP probe failed with statuscode: 204 (expected 200)',
    });
    assert.equal(
      (await runCheck(['http', `${base}/?status=404`, '--expect-status', '200,4xx'], ctx)).ok,
      true,
    );
  });

  test('--expect-body matches the first 10 KiB of the body, which is never quoted', async () => {
    assert.deepEqual(await runCheck(['http', `${base}/`, '--expect-body', '"status":"UP"'], ctx), {
      ok: true,
      reason: 'HTTP probe succeeded (200, body matched /"status":"UP"/)',
    });
    const down = await runCheck(
      ['http', `${base}/?status=503`, '--expect-status', '5xx', '--expect-body', '"UP"'],
      ctx,
    );
    assert.deepEqual(down, {
      ok: false,
      reason: 'HTTP probe body (503, 17 bytes read) did not match /"UP"/',
    });
    assert.doesNotMatch(down.reason, /DOWN/);
  });

  test('-H headers are sent, with the kubelet User-Agent', async () => {
    seen.length = 0;
    await runCheck(['http', `${base}/`, '-H', 'X-Probe: yes', '--header', 'Accept: text/plain'], ctx);
    assert.equal(seen[0]?.['x-probe'], 'yes');
    assert.equal(seen[0]?.accept, 'text/plain');
    assert.match(seen[0]?.['user-agent'] ?? '', /^kube-probe\/1\.33/);
  });
});

describe('check tcp', () => {
  test('a listening port succeeds; a closed one fails with the kubelet dial error', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as net.AddressInfo).port;
    assert.deepEqual(await runCheck(['tcp', `${HOST}:${port}`], ctx), {
      ok: true,
      reason: `TCP probe succeeded: connected to ${HOST}:${port}`,
    });
    assert.equal((await runCheck(['tcp', '--port', String(port)], { ...ctx, podIP: HOST })).ok, true);
    assert.equal(
      (await runCheck(['tcp', `:${port}`], { ...ctx, podIP: '127.0.0.9' })).reason,
      `dial tcp 127.0.0.9:${port}: connect: connection refused`,
      ':PORT goes to the pod IP',
    );
    assert.equal((await runCheck(['tcp', `:${port}`], ctx)).ok, true, ':PORT without a pod IP is loopback');
    assert.match(
      (await runCheck(['tcp', '--port', String(port)], ctx)).reason,
      /--port needs the pod IP, which is unknown here: give HOST:PORT/,
    );
    server.close();
    const closed = await freePort(HOST);
    assert.deepEqual(await runCheck(['tcp', `${HOST}:${closed}`], ctx), {
      ok: false,
      reason: `dial tcp ${HOST}:${closed}: connect: connection refused`,
    });
  });
});

describe('check grpc', () => {
  let server: GrpcHealthServer;
  before(async () => {
    server = await startGrpcHealthServer({ host: HOST, service: 'app', status: 'SERVING' });
  });
  after(() => server.close());

  test('SERVING succeeds; any other status fails with the kubelet message', async () => {
    const target = `${HOST}:${server.port}`;
    assert.deepEqual(await runCheck(['grpc', target, '--service', 'app'], ctx), {
      ok: true,
      reason: `gRPC probe succeeded: ${target} (service "app") is SERVING`,
    });
    server.setStatus('NOT_SERVING', 'app');
    assert.deepEqual(await runCheck(['grpc', target, '--service', 'app'], ctx), {
      ok: false,
      reason: 'service unhealthy (responded with "NOT_SERVING")',
    });
  });
});

describe('check exec', () => {
  test('exit 0 succeeds; its output (one line) is the reason', async () => {
    assert.deepEqual(await runCheck(['exec', '--', 'sh', '-c', 'echo all good'], ctx), {
      ok: true,
      reason: 'all good',
    });
    assert.deepEqual(await runCheck(['exec', '--', 'true'], ctx), {
      ok: true,
      reason: 'command "true" succeeded',
    });
  });

  test('a non-zero exit fails; output lines are joined into one', async () => {
    assert.deepEqual(
      await runCheck(['exec', '--', 'sh', '-c', 'echo not ready; echo second >&2; exit 3'], ctx),
      {
        ok: false,
        reason: 'not ready second',
      },
    );
    assert.deepEqual(await runCheck(['exec', '--', 'false'], ctx), {
      ok: false,
      reason: 'command "false" failed with no output',
    });
  });

  test('the timeout and a missing binary carry the kubelet texts', async () => {
    assert.deepEqual(await runCheck(['exec', '--timeout', '100ms', '--', 'sleep', '5'], ctx), {
      ok: false,
      reason: 'command timed out: "sleep 5" timed out after 100ms',
    });
    assert.deepEqual(await runCheck(['exec', '--', 'no-such-binary-podvisor'], ctx), {
      ok: false,
      reason: 'exec: "no-such-binary-podvisor": executable file not found in $PATH',
    });
  });

  test("the container's environment reaches the command", async () => {
    const result = await runCheck(['exec', '--', 'sh', '-c', 'echo "$GREETING"'], {
      ...ctx,
      env: { ...ctx.env, GREETING: 'hello' },
    });
    assert.equal(result.reason, 'hello');
  });
});
