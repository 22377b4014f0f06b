import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HEALTHY_CONDITION } from '../../../src/api/podvisor-annotations.js';
import type { Container } from '../../../src/api/types.js';
import type { ContainerRecord, InstanceRecord } from '../../../src/kubelet/container-record.js';
import { PodKnobGate } from '../../../src/kubelet/knob-gate.js';
import { computePodActions } from '../../../src/kubelet/pod-actions.js';
import { LivenessRestartBudgets } from '../../../src/kubelet/restart-budget.js';
import { ResultsCache } from '../../../src/kubelet/results-cache.js';
import { containerSpecHash } from '../../../src/kubelet/spec-hash.js';
import type { StoredPod } from '../../../src/kubelet/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';
import { fail, FakeRecorder, ok } from './fakes.js';
import { container, harness, pod, withMeta } from './harness.js';

const PAUSED = 'podvisor.io/probes-paused-until';

const liveness = {
  httpGet: { path: '/healthz', port: 8080 },
  periodSeconds: 3,
  failureThreshold: 3,
};

describe('podvisor.io/liveness-action: report', () => {
  test('a liveness Failure never kills: Healthy=False + one LivenessFailureReported event; True again on Success', async () => {
    const h = harness();
    await h.create(
      withMeta(pod('web', { containers: [container('app', { livenessProbe: liveness })] }), {
        annotations: { 'podvisor.io/liveness-action': 'report' },
      }),
    );
    await h.advance(10_000);
    const first = h.condition('web', HEALTHY_CONDITION);
    assert.equal(first?.status, 'True');
    h.handlers.set('/healthz', fail());
    await h.advance(9_000);
    await h.advance(30_000);
    assert.deepEqual(h.runtime.stops, [], 'never killed');
    assert.equal(h.recorder.withReason('Killing').length, 0);
    const reported = h.recorder.withReason('LivenessFailureReported');
    assert.equal(reported.length, 1, 'one event per failure, not per sync');
    assert.equal(reported[0]?.type, 'Warning');
    assert.equal(
      reported[0]?.message,
      'Container app failed liveness probe; not restarted (podvisor.io/liveness-action: report)',
    );
    assert.equal(reported[0]?.involved.fieldPath, 'spec.containers{app}');
    const unhealthy = h.condition('web', HEALTHY_CONDITION);
    assert.equal(unhealthy?.status, 'False');
    assert.equal(unhealthy?.reason, 'LivenessProbeFailed');
    assert.equal(
      unhealthy?.message,
      'Container app failed liveness probe; not restarted (podvisor.io/liveness-action: report)',
    );
    assert.notEqual(unhealthy?.lastTransitionTime, first?.lastTransitionTime);
    const failedAt = unhealthy?.lastTransitionTime;
    await h.advance(6_000);
    assert.equal(h.condition('web', HEALTHY_CONDITION)?.lastTransitionTime, failedAt, 'only on change');

    h.handlers.set('/healthz', ok);
    const recoveredFrom = h.clock.now();
    await h.advance(3_000);
    const healthy = h.condition('web', HEALTHY_CONDITION);
    assert.equal(healthy?.status, 'True');
    assert.equal(healthy?.reason, undefined);
    const turned = Date.parse(healthy?.lastTransitionTime ?? '');
    assert.ok(turned >= recoveredFrom - 1000 && turned <= h.clock.now(), 'True at the next probe');
    assert.equal(h.cstatus('web').restartCount, 0);
    assert.equal(h.get('web')?.status?.phase, 'Running');
  });

  test('a startup probe Failure still restarts a report-mode pod (§4.2)', async () => {
    const h = harness();
    h.handlers.set('/started', fail());
    await h.create(
      withMeta(
        pod('web', {
          containers: [
            container('app', {
              livenessProbe: liveness,
              startupProbe: {
                httpGet: { path: '/started', port: 8080 },
                periodSeconds: 1,
                failureThreshold: 2,
              },
            }),
          ],
        }),
        { annotations: { 'podvisor.io/liveness-action': 'report' } },
      ),
    );
    await h.advance(5_000);
    assert.equal(
      h.recorder.withReason('Killing')[0]?.message,
      'Container app failed startup probe, will be restarted',
    );
  });

  test('switching a failing report-mode pod back to restart kills it at once and drops Healthy', async () => {
    const h = harness();
    await h.create(
      withMeta(pod('web', { containers: [container('app', { livenessProbe: liveness })] }), {
        annotations: { 'podvisor.io/liveness-action': 'report' },
      }),
    );
    await h.advance(10_000);
    h.handlers.set('/healthz', fail());
    await h.advance(9_000);
    assert.equal(h.condition('web', HEALTHY_CONDITION)?.status, 'False');
    assert.equal(h.recorder.withReason('Killing').length, 0);
    h.store.mutate<StoredPod>('pods', 'default', 'web', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: {} },
    }));
    await h.advance(0);
    assert.equal(
      h.recorder.withReason('Killing')[0]?.message,
      'Container app failed liveness probe, will be restarted',
    );
    assert.equal(h.condition('web', HEALTHY_CONDITION), undefined);
  });

  test('pods without the annotation carry no Healthy condition', async () => {
    const h = harness();
    await h.create(pod('web', { containers: [container('app', { livenessProbe: liveness })] }));
    await h.advance(5_000);
    assert.equal(h.condition('web', HEALTHY_CONDITION), undefined);
  });
});

describe('podvisor probes pause: podvisor.io/probes-paused-until', () => {
  test('ProbesPaused when it appears; a failing liveness probe does not restart; the pause ends by itself', async () => {
    const h = harness();
    const created = await h.create(
      pod('web', { containers: [container('app', { livenessProbe: { ...liveness, failureThreshold: 1 } })] }),
    );
    await h.advance(4_000);
    const until = h.clock.now() + 60_000;
    h.store.mutate<StoredPod>('pods', 'default', 'web', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: { [PAUSED]: rfc3339(until) } },
    }));
    await h.advance(0);
    const paused = h.recorder.withReason('ProbesPaused');
    assert.equal(paused.length, 1);
    assert.equal(paused[0]?.type, 'Normal');
    assert.equal(paused[0]?.message, `Liveness and startup probes paused until ${rfc3339(until)}`);
    assert.equal(paused[0]?.involved.uid, created.metadata.uid);

    h.handlers.set('/healthz', fail());
    await h.advance(59_000);
    assert.deepEqual(h.runtime.stops, [], 'no liveness kill during the pause');
    assert.equal(h.clock.pending() > 0, true);

    await h.advance(1_000);
    const resumed = h.recorder.withReason('ProbesResumed');
    assert.equal(resumed.length, 1);
    assert.equal(
      resumed[0]?.message,
      `Liveness and startup probes resumed: the pause until ${rfc3339(until)} ended`,
    );
    assert.equal(h.get('web')?.metadata.annotations?.[PAUSED], undefined, 'the annotation is removed');
    await h.advance(3_000);
    assert.equal(h.runtime.stops.length, 1, 'the failing probe acts again after the pause');
    assert.equal(h.recorder.withReason('ProbesResumed').length, 1, 'told once');
  });

  test('probes resume (the annotation removed) ends the pause at once with ProbesResumed', async () => {
    const h = harness();
    const until = h.clock.now() + 600_000;
    await h.create(
      withMeta(pod('web', { containers: [container('app', { livenessProbe: liveness })] }), {
        annotations: { [PAUSED]: rfc3339(until) },
      }),
    );
    assert.equal(h.recorder.withReason('ProbesPaused').length, 1);
    await h.advance(10_000);
    h.store.mutate<StoredPod>('pods', 'default', 'web', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: {} },
    }));
    await h.advance(0);
    assert.deepEqual(
      h.recorder.withReason('ProbesResumed').map((e) => e.message),
      ['Liveness and startup probes resumed'],
    );
    await h.advance(600_000);
    assert.equal(h.recorder.withReason('ProbesResumed').length, 1, 'the cancelled timer does not fire');
  });

  test('a liveness or startup Failure already cached when the pause starts does not kill during it', () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const app: Container = container('app', { livenessProbe: liveness });
    const side: Container = {
      ...container('side', { startupProbe: liveness }),
      restartPolicy: 'Always',
    };
    const p = withMeta(pod('web', { initContainers: [side], containers: [app] }), {
      uid: 'u1',
      annotations: { [PAUSED]: rfc3339(clock.now() + 60_000) },
    });
    const inst = (id: string, c: Container): InstanceRecord => ({
      id,
      startedAt: 0,
      specHash: containerSpecHash(c),
      env: {},
      workingDir: '/',
      exitRecorded: Promise.resolve(),
    });
    const records = new Map<string, ContainerRecord>([
      ['side', { name: 'side', restartCount: 0, current: inst('s1', side) }],
      ['app', { name: 'app', restartCount: 0, current: inst('a1', app) }],
    ]);
    const livenessCache = new ResultsCache('Liveness');
    const startupCache = new ResultsCache('Startup');
    livenessCache.set('a1', 'Failure', 'u1');
    startupCache.set('s1', 'Failure', 'u1');
    let current: StoredPod = p;
    const gate = new PodKnobGate(
      {
        clock,
        recorder: new FakeRecorder(clock),
        store,
        budgets: new LivenessRestartBudgets(clock),
        liveness: livenessCache,
      },
      { pod: () => current, status: () => undefined, records: () => records.values(), requestSync: () => {} },
    );
    const paused = computePodActions(current, records, livenessCache, startupCache, 0, gate.mayKill);
    assert.deepEqual(paused.kills, []);
    current = withMeta(p, { annotations: {} });
    const after = computePodActions(current, records, livenessCache, startupCache, 0, gate.mayKill);
    assert.deepEqual(
      after.kills.map((k) => k.message),
      ['Init container side failed startup probe', 'Container app failed liveness probe, will be restarted'],
    );
  });
});
