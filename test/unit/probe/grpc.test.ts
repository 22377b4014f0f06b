import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { probeGrpc } from '../../../src/probe/grpc.js';
import {
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  servingStatusName,
} from '../../../src/probe/grpc-health-codec.js';
import { startGrpcHealthServer, type GrpcHealthServer } from '../../helpers/grpc-health-server.js';
import { activeResources, freePort, waitFor } from './helpers.js';

const HOST = '127.0.0.5';

describe('gRPC probe (spec §3.4)', () => {
  let server: GrpcHealthServer;
  const probe = (service: string, port = server.port, timeoutMs = 2000): ReturnType<typeof probeGrpc> =>
    probeGrpc({ host: HOST, port, service, timeoutMs });

  before(async () => {
    server = await startGrpcHealthServer({ host: HOST, service: 'app', status: 'SERVING' });
  });
  after(() => server.close());

  test('§3.4: SERVING is Success "service healthy", for "" and for a named service', async () => {
    assert.deepEqual(await probe(''), { result: 'success', output: 'service healthy' });
    assert.deepEqual(await probe('app'), { result: 'success', output: 'service healthy' });
  });

  test('§3.4: any other status is Failure "service unhealthy (responded with \\"<STATUS>\\")"', async () => {
    for (const status of ['NOT_SERVING', 'SERVICE_UNKNOWN', 'UNKNOWN'] as const) {
      server.setStatus(status, 'app');
      assert.deepEqual(await probe('app'), {
        result: 'failure',
        output: `service unhealthy (responded with "${status}")`,
      });
    }
    server.setStatus('SERVING', 'app');
    assert.equal((await probe('app')).result, 'success');
  });

  test('§3.4: an unknown service is "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service"', async () => {
    assert.deepEqual(await probe('nope'), {
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  test('§3.4: the probe identifies itself as kube-probe/1.33', async () => {
    await probe('');
    assert.match(server.checks.userAgent, /^kube-probe\/1\.33( |$)/);
  });

  test('§3.4: a server without the health service: "does not implement the grpc health protocol"', async () => {
    const bare = await startGrpcHealthServer({ host: HOST, health: false });
    try {
      const res = await probe('', bare.port);
      assert.equal(res.result, 'failure');
      assert.equal(
        res.output,
        'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ' +
          'The server does not implement the method /grpc.health.v1.Health/Check',
      );
    } finally {
      await bare.close();
    }
  });

  test('§3.4: nothing listening: the blocking dial runs into the deadline', async () => {
    const closed = await freePort(HOST);
    const started = Date.now();
    const res = await probe('', closed, 1000);
    const elapsed = Date.now() - started;
    assert.deepEqual(res, {
      result: 'failure',
      output: `timeout: failed to connect service "${HOST}:${closed}" within 1s: context deadline exceeded`,
    });
    assert.ok(elapsed >= 950 && elapsed < 2000, `took ${elapsed} ms`);
  });

  test('§3.4: an RPC that outlives the deadline: "timeout: health rpc did not complete within <t>"', async () => {
    const slow = await startGrpcHealthServer({ host: HOST, checkDelayMs: 3000 });
    try {
      assert.deepEqual(await probe('', slow.port, 500), {
        result: 'failure',
        output: 'timeout: health rpc did not complete within 500ms',
      });
    } finally {
      await slow.close();
    }
  });

  test('§3.4: probes close their channels (no sockets or timers left)', async () => {
    const before = activeResources();
    const closed = await freePort(HOST);
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      runs.push(probe(''));
      runs.push(probe('nope'));
      runs.push(probe('', closed, 200));
    }
    await Promise.all(runs);
    await waitFor(
      () => {
        const now = activeResources();
        return now.TCPSocketWrap <= before.TCPSocketWrap && now.Timeout <= before.Timeout;
      },
      5000,
      () => `resources left: ${JSON.stringify(activeResources())} vs before ${JSON.stringify(before)}`,
    );
  });
});

describe('grpc.health.v1 message codec', () => {
  test('HealthCheckRequest round-trips; "" is the empty message', () => {
    assert.equal(encodeHealthCheckRequest('').length, 0);
    assert.deepEqual([...encodeHealthCheckRequest('ab')], [0x0a, 2, 0x61, 0x62]);
    assert.deepEqual(decodeHealthCheckRequest(encodeHealthCheckRequest('my.Service')), {
      service: 'my.Service',
    });
    const long = 's'.repeat(300);
    assert.deepEqual(decodeHealthCheckRequest(encodeHealthCheckRequest(long)), { service: long });
  });

  test('HealthCheckResponse decodes status, skips unknown fields, defaults to UNKNOWN', () => {
    assert.deepEqual(decodeHealthCheckResponse(encodeHealthCheckResponse(1)), { status: 1 });
    assert.deepEqual(decodeHealthCheckResponse(Buffer.alloc(0)), { status: 0 });
    // field 2 (string "x"), field 3 (fixed32), then status = 2
    const withUnknown = Buffer.from([0x12, 1, 0x78, 0x1d, 0, 0, 0, 0, 0x08, 2]);
    assert.deepEqual(decodeHealthCheckResponse(withUnknown), { status: 2 });
    assert.throws(() => decodeHealthCheckResponse(Buffer.from([0x08])), /malformed/);
  });

  test('status names are Go enum names, unknown values print as numbers', () => {
    assert.equal(servingStatusName(1), 'SERVING');
    assert.equal(servingStatusName(3), 'SERVICE_UNKNOWN');
    assert.equal(servingStatusName(7), '7');
    assert.deepEqual(decodeHealthCheckResponse(encodeHealthCheckResponse(-1)), { status: -1 });
  });
});
