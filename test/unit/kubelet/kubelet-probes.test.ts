import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fail, ok } from './fakes.js';
import { container, harness, pod } from './harness.js';

const liveness = (extra = {}) => ({
  httpGet: { path: '/healthz', port: 8080 },
  periodSeconds: 3,
  failureThreshold: 3,
  ...extra,
});

describe('kubelet: liveness (§8.A, §4.2, §4.3)', () => {
  test('§8.A: 500s from t=10 → Unhealthy at 12/15/18, Killing first, SIGTERM, restart in the same sync, restartCount 1', async () => {
    const h = harness();
    const t0 = h.clock.now();
    let eventsAtSignal: string[] = [];
    h.runtime.onStop = () => (eventsAtSignal = h.recorder.lines());
    await h.create(pod('web', { containers: [container('app', { livenessProbe: liveness() })] }));
    const first = h.runtime.latest('app');
    await h.advance(10_000);
    h.handlers.set('/healthz', fail());
    await h.advance(8_000);
    const unhealthy = h.recorder.withReason('Unhealthy');
    assert.deepEqual(
      unhealthy.map((e) => (e.at - t0) / 1000),
      [12, 15, 18],
    );
    assert.equal(unhealthy[0]?.message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    assert.deepEqual(h.recorder.lines().slice(-4), [
      'Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500',
      'Killing: Container app failed liveness probe, will be restarted',
      'Created: Created container: app',
      'Started: Started container app',
    ]);
    assert.equal(
      eventsAtSignal[eventsAtSignal.length - 1],
      'Killing: Container app failed liveness probe, will be restarted',
      'Killing is recorded before the stop signal',
    );
    assert.deepEqual(
      h.runtime.stops.map((s) => [s.id, s.graceMs, (s.at - t0) / 1000]),
      [[first.id, 30_000, 18]],
    );
    const second = h.runtime.latest('app');
    assert.notEqual(second.id, first.id);
    assert.equal((second.startedAt - t0) / 1000, 18, 'the first restart is immediate');
    const s = h.cstatus('web');
    assert.equal(s.restartCount, 1);
    assert.deepEqual(
      s.lastState?.terminated && [s.lastState.terminated.exitCode, s.lastState.terminated.reason],
      [143, 'Error'],
    );
    assert.equal(s.containerID, second.id);
    assert.equal(h.kubelet.probeStats().workers, 1);
    h.handlers.set('/healthz', ok);
    await h.advance(60_000);
    assert.equal(h.runtime.of('app').length, 2, 'the new instance starts with liveness Success and stays');
  });

  test('§4.3: the probe-level terminationGracePeriodSeconds bounds the kill; SIGKILL gives 137', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'ignore' });
    h.handlers.set('/healthz', fail('dial tcp 127.0.1.1:8080: connect: connection refused'));
    await h.create(
      pod('web', {
        terminationGracePeriodSeconds: 500,
        containers: [
          container('app', {
            livenessProbe: liveness({
              failureThreshold: 1,
              periodSeconds: 10,
              terminationGracePeriodSeconds: 5,
            }),
          }),
        ],
      }),
    );
    // The first probe runs as soon as the container is up (jitter 0 right after the kubelet started).
    await h.advance(4999);
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [5000],
    );
    assert.equal(h.runtime.of('app').length, 1, 'the sync waits for the kill');
    await h.advance(1);
    assert.equal(h.runtime.of('app').length, 2);
    assert.equal((h.runtime.latest('app').startedAt - h.runtime.of('app')[0]!.startedAt) / 1000, 5);
    assert.equal(h.cstatus('web').lastState?.terminated?.exitCode, 137);
    assert.equal(h.cstatus('web').lastState?.terminated?.reason, 'Error');
  });

  test('§4.3: a grace below 2 s is raised to the 2 s minimum', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'ignore' });
    h.handlers.set('/healthz', fail());
    await h.create(
      pod('web', {
        terminationGracePeriodSeconds: 0,
        containers: [container('app', { livenessProbe: liveness({ failureThreshold: 1 }) })],
      }),
    );
    await h.advance(0);
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [2000],
    );
  });

  test('§4.2: under Never the container is killed, not restarted, and the message has no suffix', async () => {
    const h = harness();
    h.handlers.set('/healthz', fail());
    await h.create(
      pod('web', {
        restartPolicy: 'Never',
        containers: [
          container('app', { livenessProbe: liveness({ failureThreshold: 1 }) }),
          container('sidecar'),
        ],
      }),
    );
    await h.advance(30_000);
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Container app failed liveness probe'],
    );
    assert.equal(h.runtime.of('app').length, 1);
    assert.equal(h.cstatus('web', 'app').state?.terminated?.exitCode, 143);
    assert.equal(h.get('web')?.status?.phase, 'Running', 'the sidecar keeps the pod running');
  });

  test('§4.2: a lone container under Never is stopped through KillPod ("Stopping container", pod grace) and the pod fails', async () => {
    const h = harness();
    h.handlers.set('/healthz', fail());
    await h.create(
      pod('web', {
        restartPolicy: 'Never',
        containers: [
          container('app', {
            livenessProbe: liveness({ failureThreshold: 1, terminationGracePeriodSeconds: 5 }),
          }),
        ],
      }),
    );
    await h.advance(30_000);
    // computePodActions keeps nothing and starts nothing → KillPod → killPodWithSyncResult.
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Stopping container app'],
    );
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [30_000],
    );
    assert.equal(h.runtime.of('app').length, 1);
    assert.equal(h.get('web')?.status?.phase, 'Failed');
    assert.equal(h.cstatus('web').state?.terminated?.exitCode, 143);
  });

  test('§4.2/§9.8: under OnFailure a liveness kill restarts even if the process exits 0 on SIGTERM', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'exit0' });
    h.handlers.set('/healthz', fail());
    await h.create(
      pod('web', {
        restartPolicy: 'OnFailure',
        containers: [container('app', { livenessProbe: liveness({ failureThreshold: 1 }) })],
      }),
    );
    await h.advance(0);
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Container app failed liveness probe, will be restarted'],
    );
    assert.equal(h.runtime.of('app').length, 2);
    assert.equal(h.cstatus('web').lastState?.terminated?.exitCode, 0);
    assert.equal(h.cstatus('web').lastState?.terminated?.reason, 'Completed');
    assert.equal(h.get('web')?.status?.phase, 'Running');
  });

  test('§4.5 (inferred): liveness restarts start immediate and escalate into CrashLoopBackOff', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.handlers.set('/healthz', fail());
    await h.create(
      pod('web', {
        containers: [
          container('app', { livenessProbe: liveness({ failureThreshold: 1, periodSeconds: 1 }) }),
        ],
      }),
    );
    await h.advance(120_000);
    const starts = h.runtime.of('app').map((i) => (i.startedAt - t0) / 1000);
    // Probes start with the container (t=0). Kill 1 at 0: the snapshot shows no exited instance →
    // no back-off, restart at once. Kill 2 at 1: the snapshot's newest exit is kill 1 → entry
    // created (10 s), restart at once. Kill 3 at 2: 10 s counted from the kill at 1 → blocked;
    // then counted from its own exit at 2 → 12; then 20 s → 32; 40 s → 72.
    assert.deepEqual(starts, [0, 0, 1, 12, 32, 72]);
    const backoffs = h.recorder.withReason('BackOff').map((e) => (e.at - t0) / 1000);
    assert.deepEqual(
      backoffs.slice(0, 3),
      [2, 2, 11],
      'one per blocked sync: the kill sync, the exit sync, the retry',
    );
  });
});

describe('kubelet: startup and readiness (§2.3, §8.C, A17)', () => {
  test('§8.C: no liveness/readiness probes and started=false until startup succeeds; 30 failures → killed', async () => {
    const h = harness();
    h.handlers.set('check startup', fail('not yet'));
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            startupProbe: {
              exec: { command: ['check', 'startup'] },
              periodSeconds: 10,
              failureThreshold: 30,
            },
            livenessProbe: { exec: { command: ['check', 'live'] }, periodSeconds: 10 },
            readinessProbe: { exec: { command: ['check', 'ready'] }, periodSeconds: 10 },
          }),
        ],
      }),
    );
    await h.advance(280_000); // 29 failed attempts: 0, 10, …, 280
    assert.equal(h.cstatus('web').started, false);
    assert.equal(h.cstatus('web').ready, false);
    assert.equal(h.handlers.callsTo('check live').length, 0);
    assert.equal(h.handlers.callsTo('check ready').length, 0);
    assert.deepEqual(h.recorder.withReason('Killing'), []);
    await h.advance(10_000);
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Container app failed startup probe, will be restarted'],
    );
    assert.equal(h.recorder.withReason('Unhealthy').length, 30);
    assert.equal(h.recorder.withReason('Unhealthy')[0]?.message, 'Startup probe failed: not yet');
    assert.equal(h.cstatus('web').restartCount, 1);
    assert.equal(h.cstatus('web').started, false, 'the new instance starts over');
  });

  test('A17/§2.1: readiness is probed at once when startup succeeds (ready long before the 30 s readiness period)', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.handlers.set('cat /tmp/startup', fail(''));
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            startupProbe: {
              exec: { command: ['cat', '/tmp/startup'] },
              periodSeconds: 5,
              failureThreshold: 120,
            },
            readinessProbe: { exec: { command: ['cat', '/tmp/health'] }, periodSeconds: 30 },
          }),
        ],
      }),
    );
    await h.advance(32_000);
    h.handlers.set('cat /tmp/startup', ok);
    const startedAfter = await h.until(() => h.cstatus('web').started === true);
    const startedAt = h.clock.now() - t0;
    assert.equal(startedAt, 35_000, 'startup succeeds at the first 5 s tick after 32 s');
    assert.ok(startedAfter > 0);
    assert.equal(h.condition('web', 'Ready')?.status, 'True', 'Ready in the same instant, not 30 s later');
    assert.deepEqual(h.handlers.times('cat /tmp/health', t0), [35]);
    assert.equal(h.condition('web', 'Ready')?.lastTransitionTime, '2024-06-04T10:00:35Z');
  });

  test('§2.2/§9.5: a new container is NotReady until readiness succeeds; failing readiness never restarts', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.handlers.set('/ready', fail('HTTP probe failed with statuscode: 503'));
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            readinessProbe: {
              httpGet: { path: '/ready', port: 8080 },
              periodSeconds: 5,
              failureThreshold: 1,
            },
          }),
        ],
      }),
    );
    assert.equal(h.cstatus('web').ready, false);
    assert.equal(h.condition('web', 'Ready')?.message, 'containers with unready status: [app]');
    await h.advance(20_000);
    assert.equal(h.cstatus('web').ready, false);
    assert.ok(h.recorder.withReason('Unhealthy').length >= 4, 'an Unhealthy event per failed attempt');
    assert.equal(
      h.recorder.withReason('Unhealthy')[0]?.message,
      'Readiness probe failed: HTTP probe failed with statuscode: 503',
    );
    h.handlers.set('/ready', ok);
    await h.until(() => h.cstatus('web').ready);
    const readyAt = h.clock.now();
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
    assert.equal(h.condition('web', 'ContainersReady')?.status, 'True');
    const transition = h.condition('web', 'Ready')?.lastTransitionTime;
    await h.advance(30_000);
    assert.equal(
      h.condition('web', 'Ready')?.lastTransitionTime,
      transition,
      'unchanged while Ready stays True',
    );
    assert.equal(transition, h.t(readyAt));
    assert.equal(h.runtime.of('app').length, 1);
    assert.ok(t0 < readyAt);
  });

  test('§2.6/§9.1: a bad named port errors forever: events pile up, no kill, never Ready', async () => {
    const h = harness();
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            livenessProbe: { httpGet: { path: '/', port: 'htpp' }, periodSeconds: 10, failureThreshold: 1 },
            readinessProbe: { tcpSocket: { port: 'htpp' }, periodSeconds: 10 },
          }),
        ],
      }),
    );
    await h.advance(60_000);
    assert.deepEqual(h.recorder.withReason('Killing'), []);
    assert.equal(h.cstatus('web').ready, false);
    const errored = h.recorder.withReason('Unhealthy').map((e) => e.message);
    assert.ok(
      errored.includes(
        'Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "htpp": invalid syntax',
      ),
    );
    assert.ok(
      errored.includes(
        'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "htpp": invalid syntax',
      ),
    );
    assert.equal(h.handlers.calls.length, 0);
  });

  test('§2.1/§4.2: multi-container: app and proxy probes are independent; only the failing one restarts', async () => {
    const h = harness();
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/app-ready', port: 'http' }, periodSeconds: 2 },
            livenessProbe: { httpGet: { path: '/app-live', port: 'http' }, periodSeconds: 2 },
          }),
          container('proxy', {
            readinessProbe: { tcpSocket: { port: 15001 }, periodSeconds: 2 },
            livenessProbe: { exec: { command: ['proxy-health'] }, periodSeconds: 2, failureThreshold: 2 },
          }),
        ],
      }),
    );
    await h.advance(4_000);
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
    h.handlers.set('proxy-health', fail('proxy down\n'));
    h.handlers.set('tcp:15001', fail('dial tcp 127.0.1.1:15001: connect: connection refused'));
    await h.advance(4_000);
    assert.equal(h.runtime.of('proxy').length, 2);
    assert.equal(h.runtime.of('app').length, 1);
    assert.equal(h.cstatus('web', 'app').ready, true);
    assert.equal(h.cstatus('web', 'proxy').ready, false);
    assert.equal(h.condition('web', 'Ready')?.message, 'containers with unready status: [proxy]');
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => [e.message, e.involved.fieldPath]),
      [['Container proxy failed liveness probe, will be restarted', 'spec.containers{proxy}']],
    );
    assert.equal(
      h.recorder.withReason('Unhealthy').find((e) => e.message.startsWith('Liveness'))?.message,
      'Liveness probe failed: proxy down\n',
    );
  });
});
