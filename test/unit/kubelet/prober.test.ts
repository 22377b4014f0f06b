import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container, Probe, ProbeType } from '../../../src/api/types.js';
import { Prober, type ProbeTarget } from '../../../src/kubelet/prober.js';
import type {
  ExecProbeRequest,
  GrpcProbeRequest,
  HttpProbeRequest,
  TcpProbeRequest,
} from '../../../src/kubelet/types.js';
import { FakeClock } from '../../../src/util/clock.js';
import { FakeHandlers, FakeRecorder, fail, ok } from './fakes.js';
import { pod, withMeta } from './harness.js';

function rig(probe: Probe, type: ProbeType = 'Liveness', extra: Partial<Container> = {}) {
  const clock = new FakeClock();
  const handlers = new FakeHandlers(clock);
  const recorder = new FakeRecorder(clock);
  const container: Container = {
    name: 'app',
    image: 'x',
    ports: [{ name: 'http', containerPort: 8080 }],
    ...extra,
    [type === 'Liveness' ? 'livenessProbe' : type === 'Readiness' ? 'readinessProbe' : 'startupProbe']: probe,
  };
  const p = withMeta(pod('web', { containers: [container] }), { uid: 'uid-1' });
  const target: ProbeTarget = {
    pod: p,
    podIP: '127.0.1.7',
    container,
    containerId: 'podvisor://c1',
    exec: { env: { PATH: '/bin', POD_NAME: 'web' }, cwd: '/tmp/pods/uid-1' },
  };
  const prober = new Prober(handlers, recorder);
  // The cache verdict only (the run's history details are tested in probe-history.test.ts).
  const run = async (): Promise<{ result: string; error?: string }> => {
    const { result, error } = await prober.probe(type, target);
    return error === undefined ? { result } : { result, error };
  };
  return { handlers, recorder, prober, run };
}

describe('prober: target resolution (§3.0)', () => {
  test('§3.0: httpGet without host goes to the pod IP; named port resolved from container ports', async () => {
    const r = rig({
      httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-A', value: '1' }] },
      timeoutSeconds: 2,
    });
    assert.deepEqual(await r.run(), { result: 'Success' });
    const req = r.handlers.calls[0]?.req as HttpProbeRequest;
    assert.deepEqual(req, {
      scheme: 'HTTP',
      host: '127.0.1.7',
      port: 8080,
      path: '/healthz',
      headers: [{ name: 'X-A', value: '1' }],
      timeoutMs: 2000,
    });
  });

  test('§3.0: an explicit host and HTTPS scheme are kept; timeout defaults to 1 s', async () => {
    const r = rig({ httpGet: { host: '127.0.0.9', scheme: 'HTTPS', path: '/r', port: 8443 } });
    await r.run();
    const req = r.handlers.calls[0]?.req as HttpProbeRequest;
    assert.equal(req.host, '127.0.0.9');
    assert.equal(req.scheme, 'HTTPS');
    assert.equal(req.timeoutMs, 1000);
  });

  test('§3.0: tcpSocket uses host or pod IP and resolves named ports', async () => {
    const r = rig({ tcpSocket: { port: 'http' } });
    await r.run();
    assert.deepEqual(r.handlers.calls[0]?.req as TcpProbeRequest, {
      host: '127.0.1.7',
      port: 8080,
      timeoutMs: 1000,
    });
  });

  test('§3.0: gRPC always targets the pod IP with its numeric port and service ("" by default)', async () => {
    const r = rig({ grpc: { port: 9090 } });
    await r.run();
    assert.deepEqual(r.handlers.calls[0]?.req as GrpcProbeRequest, {
      host: '127.0.1.7',
      port: 9090,
      service: '',
      timeoutMs: 1000,
    });
  });

  test('§3.0: exec runs the argv with the instance env and working dir; $(VAR) only from static env values', async () => {
    const r = rig(
      { exec: { command: ['check', '$(MODE)', '$(POD_NAME)', '$(MISSING)', '$$(MODE)'] }, timeoutSeconds: 5 },
      'Liveness',
      {
        env: [
          { name: 'MODE', value: 'deep' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      },
    );
    await r.run();
    const req = r.handlers.calls[0]?.req as ExecProbeRequest;
    assert.deepEqual(req.argv, ['check', 'deep', '', '$(MISSING)', '$(MODE)']);
    assert.deepEqual(req.env, { PATH: '/bin', POD_NAME: 'web' });
    assert.equal(req.cwd, '/tmp/pods/uid-1');
    assert.equal(req.timeoutMs, 5000);
  });
});

describe('prober: results, retries and events (§2.6, §3.5)', () => {
  test('§2.6: an unresolvable named port is an error, tried 3 times, then "errored and resulted in unknown state"', async () => {
    const r = rig({ httpGet: { path: '/', port: 'htpp' } }, 'Liveness');
    const res = await r.run();
    assert.deepEqual(res, { result: 'Failure', error: 'strconv.Atoi: parsing "htpp": invalid syntax' });
    assert.equal(r.handlers.calls.length, 0, 'the handler is never reached');
    assert.deepEqual(r.recorder.lines(), [
      'Unhealthy: Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "htpp": invalid syntax',
    ]);
    const ev = r.recorder.events[0];
    assert.equal(ev?.type, 'Warning');
    assert.deepEqual(ev?.involved, {
      kind: 'Pod',
      apiVersion: 'v1',
      name: 'web',
      namespace: 'default',
      uid: 'uid-1',
      fieldPath: 'spec.containers{app}',
    });
  });

  test('§2.6: handler errors are retried up to 3 times in the same run; a later non-error answer is final', async () => {
    const r = rig({ exec: { command: ['c'] } }, 'Readiness');
    let n = 0;
    r.handlers.set('c', () => (++n < 3 ? { result: 'unknown', output: '', error: 'exec failed' } : ok));
    assert.deepEqual(await r.run(), { result: 'Success' });
    assert.equal(r.handlers.calls.length, 3);
    assert.deepEqual(r.recorder.events, []);

    const always = rig({ exec: { command: ['c'] } }, 'Readiness');
    always.handlers.set('c', { result: 'failure', output: '', error: 'read error' });
    assert.deepEqual(await always.run(), { result: 'Failure', error: 'read error' });
    assert.equal(always.handlers.calls.length, 3);
    assert.deepEqual(always.recorder.lines(), [
      'Unhealthy: Readiness probe errored and resulted in failure state: read error',
    ]);
  });

  test('§3.5: a failure is final at once (no retry) and emits "<Type> probe failed: <output>"', async () => {
    const r = rig({ httpGet: { path: '/healthz', port: 8080 } }, 'Liveness');
    r.handlers.set('/healthz', fail());
    assert.deepEqual(await r.run(), { result: 'Failure' });
    assert.equal(r.handlers.calls.length, 1);
    assert.deepEqual(r.recorder.lines(), [
      'Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500',
    ]);
  });

  test('§3.5: exec output goes to the event unchanged, even empty', async () => {
    const r = rig({ exec: { command: ['cat', '/tmp/healthy'] } }, 'Startup');
    r.handlers.set('cat /tmp/healthy', { result: 'failure', output: '' });
    await r.run();
    assert.deepEqual(r.recorder.lines(), ['Unhealthy: Startup probe failed: ']);
  });

  test('§3.5: a warning counts as Success and emits ProbeWarning', async () => {
    const r = rig({ httpGet: { path: '/r', port: 8080 } }, 'Readiness');
    r.handlers.set('/r', { result: 'warning', output: 'Probe terminated redirects, Response body: ' });
    assert.deepEqual(await r.run(), { result: 'Success' });
    assert.deepEqual(r.recorder.lines(), [
      'ProbeWarning: Readiness probe warning: Probe terminated redirects, Response body: ',
    ]);
    assert.equal(r.recorder.events[0]?.type, 'Warning');
  });

  test('§3.5 [≥1.33]: unknown without an error is a Failure with no event', async () => {
    const r = rig({ tcpSocket: { port: 80 } }, 'Liveness');
    r.handlers.set('tcp:80', { result: 'unknown', output: '' });
    assert.deepEqual(await r.run(), { result: 'Failure' });
    assert.equal(r.handlers.calls.length, 1);
    assert.deepEqual(r.recorder.events, []);
  });

  test('§3.5: a handler that throws counts as an error', async () => {
    const r = rig({ grpc: { port: 9 } }, 'Liveness');
    r.handlers.set('grpc:9', () => {
      throw new Error('boom');
    });
    assert.deepEqual(await r.run(), { result: 'Failure', error: 'boom' });
    assert.equal(r.handlers.calls.length, 3);
  });

  test('§3.5: a probe with no handler errors with "missing probe handler"', async () => {
    const r = rig({ periodSeconds: 10 }, 'Liveness');
    const res = await r.run();
    assert.equal(res.error, 'missing probe handler for web_default(uid-1):app');
  });
});
