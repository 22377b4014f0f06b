import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container } from '../../../src/api/types.js';
import type { ContainerRecord, InstanceRecord } from '../../../src/kubelet/container-record.js';
import { computePodActions, killGraceSeconds } from '../../../src/kubelet/pod-actions.js';
import { shouldContainerBeRestarted } from '../../../src/kubelet/restart-policy.js';
import { ResultsCache } from '../../../src/kubelet/results-cache.js';
import { containerSpecHash } from '../../../src/kubelet/spec-hash.js';
import type { StoredPod } from '../../../src/kubelet/types.js';
import { container, pod, withMeta } from './harness.js';

function inst(id: string, c: Container, exit?: { exitCode: number; finishedAt?: number }): InstanceRecord {
  const i: InstanceRecord = {
    id,
    startedAt: 0,
    specHash: containerSpecHash(c),
    env: {},
    workingDir: '/',
    exitRecorded: Promise.resolve(),
  };
  if (exit)
    i.exit = {
      exitCode: exit.exitCode,
      reason: exit.exitCode === 0 ? 'Completed' : 'Error',
      finishedAt: exit.finishedAt ?? 1000,
    };
  return i;
}

function withPolicy(policy: string, containers: Container[] = [container('app')]): StoredPod {
  return pod('web', { restartPolicy: policy, containers });
}

describe('restartPolicy (§4.1)', () => {
  const c = container('app');
  const cases: [string, ContainerRecord, Record<string, boolean>][] = [
    ['never created', { name: 'app', restartCount: 0 }, { Always: true, OnFailure: true, Never: true }],
    [
      'running',
      { name: 'app', restartCount: 0, current: inst('c1', c) },
      { Always: false, OnFailure: false, Never: false },
    ],
    [
      'exited 0',
      { name: 'app', restartCount: 0, current: inst('c1', c, { exitCode: 0 }) },
      { Always: true, OnFailure: false, Never: false },
    ],
    [
      'exited 1',
      { name: 'app', restartCount: 0, current: inst('c1', c, { exitCode: 1 }) },
      { Always: true, OnFailure: true, Never: false },
    ],
    [
      'exited 137',
      { name: 'app', restartCount: 0, current: inst('c1', c, { exitCode: 137 }) },
      { Always: true, OnFailure: true, Never: false },
    ],
  ];
  for (const [state, rec, expected] of cases) {
    for (const policy of ['Always', 'OnFailure', 'Never']) {
      test(`§4.1: ${state} under ${policy} → ${expected[policy] ? 'start' : 'no start'}`, () => {
        assert.equal(shouldContainerBeRestarted(withPolicy(policy), rec), expected[policy]);
      });
    }
  }

  test('§4.1: a pod being deleted never restarts anything', () => {
    const p = withMeta(withPolicy('Always'), { deletionTimestamp: '2024-06-04T10:00:00Z' });
    assert.equal(
      shouldContainerBeRestarted(p, {
        name: 'app',
        restartCount: 0,
        current: inst('c1', c, { exitCode: 1 }),
      }),
      false,
    );
  });
});

describe('computePodActions (§4.2)', () => {
  const c = container('app');
  const caches = () => ({ liveness: new ResultsCache('Liveness'), startup: new ResultsCache('Startup') });

  test('§4.2: liveness Failure → kill with "failed liveness probe, will be restarted" and restart (Always, OnFailure)', () => {
    for (const policy of ['Always', 'OnFailure']) {
      const { liveness, startup } = caches();
      liveness.set('c1', 'Failure', 'u');
      const recs = new Map([['app', { name: 'app', restartCount: 0, current: inst('c1', c) }]]);
      const a = computePodActions(withPolicy(policy), recs, liveness, startup);
      assert.equal(a.kills[0]?.message, 'Container app failed liveness probe, will be restarted');
      assert.equal(a.kills[0]?.reason, 'LivenessProbe');
      assert.equal(a.starts[0]?.container.name, 'app');
      assert.equal(a.killPod, false);
    }
  });

  test('§4.2: under Never the message has no suffix and nothing restarts', () => {
    const { liveness, startup } = caches();
    startup.set('c1', 'Failure', 'u');
    const recs = new Map([['app', { name: 'app', restartCount: 0, current: inst('c1', c) }]]);
    const a = computePodActions(withPolicy('Never'), recs, liveness, startup);
    assert.equal(a.kills[0]?.message, 'Container app failed startup probe');
    assert.equal(a.kills[0]?.reason, 'StartupProbe');
    assert.deepEqual(a.starts, []);
    assert.equal(a.killPod, true, 'nothing kept, nothing to start');
  });

  test('§4.2: order of checks: definition changed (always restarts) before liveness before startup', () => {
    const { liveness, startup } = caches();
    liveness.set('c1', 'Failure', 'u');
    startup.set('c1', 'Failure', 'u');
    const changed = { ...inst('c1', c), specHash: 'old' };
    const recs = new Map([['app', { name: 'app', restartCount: 0, current: changed }]]);
    const a = computePodActions(withPolicy('Never'), recs, liveness, startup);
    assert.equal(a.kills[0]?.message, 'Container app definition changed, will be restarted');
    assert.equal(a.starts.length, 1);

    const both = new Map([['app', { name: 'app', restartCount: 0, current: inst('c1', c) }]]);
    assert.equal(
      computePodActions(withPolicy('Always'), both, liveness, startup).kills[0]?.reason,
      'LivenessProbe',
    );
  });

  test('§4.5: the start after a kill counts back-off from the instance before the killed one', () => {
    const { liveness, startup } = caches();
    liveness.set('c2', 'Failure', 'u');
    const rec: ContainerRecord = {
      name: 'app',
      restartCount: 1,
      previous: inst('c1', c, { exitCode: 137, finishedAt: 5000 }),
      current: inst('c2', c),
    };
    const a = computePodActions(withPolicy('Always'), new Map([['app', rec]]), liveness, startup);
    assert.equal(a.starts[0]?.backoffFrom, 5000);
    const first: ContainerRecord = { name: 'app', restartCount: 0, current: inst('c1', c) };
    liveness.set('c1', 'Failure', 'u');
    assert.equal(
      computePodActions(withPolicy('Always'), new Map([['app', first]]), liveness, startup).starts[0]
        ?.backoffFrom,
      undefined,
    );
  });

  test('§4.2: KillPod once every container is done and none restarts (OnFailure, all exit 0)', () => {
    const { liveness, startup } = caches();
    const a = container('a');
    const b = container('b');
    const recs = new Map([
      ['a', { name: 'a', restartCount: 0, current: inst('c1', a, { exitCode: 0 }) }],
      ['b', { name: 'b', restartCount: 0, current: inst('c2', b) }],
    ]);
    const p = withPolicy('OnFailure', [a, b]);
    assert.equal(computePodActions(p, recs, liveness, startup).killPod, false, 'b still runs');
    recs.set('b', { name: 'b', restartCount: 0, current: inst('c2', b, { exitCode: 0 }) });
    assert.equal(computePodActions(p, recs, liveness, startup).killPod, true);
  });
});

describe('kill grace (§4.3)', () => {
  test('§4.3: the probe-level terminationGracePeriodSeconds wins for kills that probe caused', () => {
    const c = container('app', {
      livenessProbe: { exec: { command: ['x'] }, terminationGracePeriodSeconds: 5 },
      startupProbe: { exec: { command: ['y'] }, terminationGracePeriodSeconds: 7 },
    });
    const p = pod('web', { terminationGracePeriodSeconds: 500, containers: [c] });
    assert.equal(killGraceSeconds(p, c, 'LivenessProbe'), 5);
    assert.equal(killGraceSeconds(p, c, 'StartupProbe'), 7);
    assert.equal(killGraceSeconds(p, c, 'Other'), 500);
  });

  test('§4.3: without a probe-level value the pod TGPS is used (default 30)', () => {
    const c = container('app', { livenessProbe: { exec: { command: ['x'] } } });
    assert.equal(
      killGraceSeconds(
        pod('web', { terminationGracePeriodSeconds: 12, containers: [c] }),
        c,
        'LivenessProbe',
      ),
      12,
    );
    const noTgps = { ...pod('web', { containers: [c] }), spec: { containers: [c] } };
    assert.equal(killGraceSeconds(noTgps, c, 'LivenessProbe'), 30);
  });

  test('§4.3: a pod being deleted uses its deletionGracePeriodSeconds', () => {
    const c = container('app', {
      livenessProbe: { exec: { command: ['x'] }, terminationGracePeriodSeconds: 5 },
    });
    const p = withMeta(pod('web', { containers: [c] }), { deletionGracePeriodSeconds: 9 });
    assert.equal(killGraceSeconds(p, c, 'LivenessProbe'), 9);
  });
});
