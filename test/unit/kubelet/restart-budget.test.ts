import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ContainerRecord } from '../../../src/kubelet/container-record.js';
import { budgetGroupOf } from '../../../src/kubelet/knob-gate.js';
import { Kubelet } from '../../../src/kubelet/kubelet.js';
import { computePodActions } from '../../../src/kubelet/pod-actions.js';
import { LivenessRestartBudgets, type BudgetGroup } from '../../../src/kubelet/restart-budget.js';
import { ResultsCache } from '../../../src/kubelet/results-cache.js';
import { containerSpecHash } from '../../../src/kubelet/spec-hash.js';
import type { StoredPod } from '../../../src/kubelet/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock } from '../../../src/util/clock.js';
import { fail, FakeHandlers, FakeRecorder, FakeRuntime, ok } from './fakes.js';
import { container, harness, pod, withMeta } from './harness.js';

const BUDGET = 'podvisor.io/liveness-restart-budget';

describe('LivenessRestartBudgets (the registry every kubelet of a process shares)', () => {
  const group: BudgetGroup = { key: 'rs-uid', label: 'ReplicaSet web-7d9c', limit: 1 };

  test('at most `limit` pods hold a slot; a holder asking again keeps its slot', () => {
    const clock = new FakeClock();
    const b = new LivenessRestartBudgets(clock);
    assert.equal(b.tryAcquire(group, 'p1', 'web-a'), true);
    assert.equal(b.tryAcquire(group, 'p1', 'web-a'), true, 'idempotent for the holder');
    assert.equal(b.tryAcquire(group, 'p2', 'web-b'), false);
    assert.equal(b.tryAcquire({ ...group, key: 'other' }, 'p3', 'db-a'), true, 'groups are separate');
    assert.deepEqual(
      b.holders('rs-uid').map((h) => [h.podName, h.since]),
      [['web-a', clock.now()]],
    );
    assert.equal(
      b.tryAcquire({ ...group, limit: 2 }, 'p2', 'web-b'),
      true,
      'a raised limit lets one more in',
    );
    assert.equal(b.peak('rs-uid'), 2);
  });

  test('a freed slot tells every waiter of its group once; the first to ask again wins', async () => {
    const clock = new FakeClock();
    const b = new LivenessRestartBudgets(clock);
    b.tryAcquire(group, 'p1', 'web-a');
    const told: string[] = [];
    const retry = (uid: string) => () => {
      told.push(uid);
      if (!b.tryAcquire(group, uid, uid)) b.waitForSlot(group.key, uid, retry(uid));
    };
    b.waitForSlot(group.key, 'p2', retry('p2'));
    b.waitForSlot(group.key, 'p3', retry('p3'));
    b.waitForSlot(group.key, 'p3', retry('p3')); // replaces, not duplicates
    assert.equal(b.waiting(group.key), 2);
    await clock.advance(5_000);
    assert.deepEqual(told, [], 'no polling: nothing happens while the slot is held');
    b.release('p1');
    assert.deepEqual(told, ['p2', 'p3']);
    assert.equal(b.holds('p2'), true);
    assert.equal(b.holds('p3'), false);
    assert.equal(b.waiting(group.key), 1, 'the loser waits again');
    b.release('p2');
    assert.equal(b.holds('p3'), true);
    assert.equal(b.peak(group.key), 1);
  });

  test('cancelWait: a deleted pod is not told', () => {
    const b = new LivenessRestartBudgets(new FakeClock());
    b.tryAcquire(group, 'p1', 'a');
    let told = false;
    b.waitForSlot(group.key, 'p2', () => (told = true));
    b.cancelWait('p2');
    b.release('p1');
    assert.equal(told, false);
    b.release('p1'); // releasing twice is harmless
  });
});

function owned(name: string, rs: KubeObject, path: string, ready = '/ready'): StoredPod {
  return withMeta(
    pod(name, {
      containers: [
        container('app', {
          livenessProbe: { httpGet: { path, port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
          readinessProbe: { httpGet: { path: ready, port: 8080 }, periodSeconds: 1 },
        }),
      ],
    }),
    {
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid ?? '',
          controller: true,
        },
      ],
    },
  );
}

function replicaSet(store: MemoryStore, annotations: Record<string, string>): KubeObject {
  return store.create<KubeObject>('replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-7d9c', namespace: 'default', annotations },
  });
}

/** Three running pods of one ReplicaSet with `liveness-restart-budget: 1`, each probed on its own paths. */
async function threeReplicasWithBudgetOne(): Promise<{
  budgets: LivenessRestartBudgets;
  h: ReturnType<typeof harness>;
  rs: KubeObject;
  names: string[];
}> {
  const budgets = new LivenessRestartBudgets(new FakeClock());
  const h = harness({ livenessRestartBudgets: budgets });
  const rs = replicaSet(h.store, { [BUDGET]: '1' });
  const names = ['web-7d9c-a', 'web-7d9c-b', 'web-7d9c-c'];
  for (const n of names) await h.create(owned(n, rs, `/healthz-${n}`, `/ready-${n}`));
  await h.advance(5_000);
  return { budgets, h, rs, names };
}

describe('liveness restart budget: the gating in computePodActions / the pod worker', () => {
  test('budgetGroupOf: the ReplicaSet annotation, else its Deployment; none for a bare pod', () => {
    const store = new MemoryStore({ clock: new FakeClock() });
    const d = store.create<KubeObject>('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', annotations: { [BUDGET]: '2' } },
    });
    const rs = store.create<KubeObject>('replicasets', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7d9c',
        namespace: 'default',
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'web',
            uid: d.metadata.uid ?? '',
            controller: true,
          },
        ],
      },
    });
    const p = owned('web-7d9c-a', rs, '/h');
    assert.deepEqual(budgetGroupOf(store, p), {
      key: rs.metadata.uid,
      label: 'ReplicaSet web-7d9c',
      limit: 2,
    });
    assert.equal(budgetGroupOf(store, pod('bare', { containers: [container('app')] })), undefined);
  });

  test('3 replicas, budget 1, liveness failing together: restarted one at a time, the others deferred with an event', async () => {
    const { budgets, h, rs, names } = await threeReplicasWithBudgetOne();
    assert.equal(h.recorder.withReason('Killing').length, 0);
    // Once killed, a pod's new instance is healthy, and Ready 2 s later (handlers keyed by path).
    h.runtime.onStop = (id) => {
      const inst = h.runtime.instances.find((i) => i.id === id);
      const name = inst?.launch.podName ?? '';
      h.handlers.set(`/healthz-${name}`, ok);
      h.handlers.set(`/ready-${name}`, fail());
      h.clock.setTimer(2_000, () => h.handlers.set(`/ready-${name}`, ok));
      assert.ok(budgets.holders(rs.metadata.uid ?? '').length <= 1, 'never two being restarted');
    };
    const t0 = h.clock.now();
    for (const n of names) h.handlers.set(`/healthz-${n}`, fail());
    await h.advance(1_000);
    assert.equal(h.recorder.withReason('Killing').length, 1, 'one restart at first');
    const deferred = h.recorder.withReason('LivenessRestartDeferred');
    assert.equal(deferred.length, 2);
    assert.equal(deferred[0]?.type, 'Warning');
    assert.match(
      deferred[0]?.message ?? '',
      /^Liveness restart of container app deferred: 1 of 1 pods of ReplicaSet web-7d9c are being restarted \(podvisor\.io\/liveness-restart-budget: 1\)$/,
    );
    await h.advance(10_000);
    const kills = h.recorder.withReason('Killing');
    assert.equal(kills.length, 3, 'each restarted once its turn came');
    // The next kill comes as the previous pod turns Ready (event-driven, no polling delay).
    assert.deepEqual(
      kills.map((k) => (k.at - t0) / 1000),
      [1, 3, 5],
    );
    assert.deepEqual(new Set(kills.map((k) => k.involved.name)), new Set(names));
    assert.equal(budgets.peak(rs.metadata.uid ?? ''), 1);
    assert.equal(budgets.holders(rs.metadata.uid ?? '').length, 0, 'every slot given back once ready');
    assert.equal(h.recorder.withReason('LivenessRestartDeferred').length, 2, 'one event per deferral');
    for (const n of names) assert.equal(h.cstatus(n).restartCount, 1);
  });

  test('raising the budget on the ReplicaSet lets the deferred restarts go at once, without waiting for a slot', async () => {
    const { budgets, h, rs, names } = await threeReplicasWithBudgetOne();
    // A killed pod comes back healthy but never Ready, so it keeps its slot.
    h.runtime.onStop = (id) => {
      const name = h.runtime.instances.find((i) => i.id === id)?.launch.podName ?? '';
      h.handlers.set(`/healthz-${name}`, ok);
      h.handlers.set(`/ready-${name}`, fail());
    };
    for (const n of names) h.handlers.set(`/healthz-${n}`, fail());
    await h.advance(1_000);
    assert.equal(h.recorder.withReason('Killing').length, 1);
    await h.advance(10_000);
    assert.equal(h.recorder.withReason('Killing').length, 1, 'the others wait: the slot is never freed');
    assert.equal(budgets.waiting(rs.metadata.uid ?? ''), 2);
    h.store.mutate<KubeObject>('replicasets', 'default', rs.metadata.name, (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: { [BUDGET]: '3' } },
    }));
    await h.advance(0);
    assert.equal(h.recorder.withReason('Killing').length, 3, 'both deferred restarts went with the raise');
    assert.equal(budgets.holders(rs.metadata.uid ?? '').length, 3);
    assert.equal(budgets.waiting(rs.metadata.uid ?? ''), 0);
  });

  test("the ReplicaSet's other updates (status, replicas) wake nobody", async () => {
    const budgets = new LivenessRestartBudgets(new FakeClock());
    let woken = 0;
    budgets.waitForSlot('rs-uid', 'p', () => woken++);
    const h = harness({ livenessRestartBudgets: budgets });
    const rs = replicaSet(h.store, { [BUDGET]: '1' });
    await h.advance(0);
    h.store.mutate<KubeObject>('replicasets', 'default', rs.metadata.name, (cur) => ({
      ...cur,
      status: { replicas: 3 },
    }));
    await h.advance(0);
    assert.equal(woken, 0);
    h.store.mutate<KubeObject>('replicasets', 'default', rs.metadata.name, (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: {} },
    }));
    await h.advance(0);
    assert.equal(woken, 1, 'removing the budget wakes the waiters: nothing holds them back any more');
  });

  test('a slot is held until the restarted container is Ready, and freed when the pod is deleted', async () => {
    const budgets = new LivenessRestartBudgets(new FakeClock());
    const h = harness({ livenessRestartBudgets: budgets });
    const rs = replicaSet(h.store, { [BUDGET]: '1' });
    await h.create(owned('web-a', rs, '/healthz-a'));
    await h.create(owned('web-b', rs, '/healthz-b'));
    await h.advance(3_000);
    h.handlers.set('/ready', fail());
    h.handlers.set('/healthz-a', fail());
    await h.advance(1_000);
    assert.equal(h.recorder.withReason('Killing').length, 1);
    h.handlers.set('/healthz-a', ok);
    h.handlers.set('/healthz-b', fail());
    await h.advance(5_000);
    assert.equal(h.recorder.withReason('Killing').length, 1, 'web-a is not Ready yet: web-b waits');
    assert.equal(h.recorder.withReason('LivenessRestartDeferred').length, 1);
    h.deleteGracefully('web-a', 0);
    await h.advance(1_000);
    const kills = h.recorder.withReason('Killing').filter((e) => e.involved.name === 'web-b');
    assert.equal(kills[0]?.message, 'Container app failed liveness probe, will be restarted');
  });

  test('without the annotation the budget is off: every pod is restarted at once (the kubelet)', async () => {
    const h = harness();
    const rs = replicaSet(h.store, {});
    for (const n of ['a', 'b', 'c']) await h.create(owned(`web-${n}`, rs, '/healthz'));
    await h.advance(3_000);
    h.handlers.set('/healthz', fail());
    await h.advance(1_000);
    assert.equal(h.recorder.withReason('Killing').length, 3);
  });
  test('two kubelets in one process share the registry: the budget holds across their nodes', async () => {
    const budgets = new LivenessRestartBudgets(new FakeClock());
    const h = harness({ livenessRestartBudgets: budgets });
    const recorder2 = new FakeRecorder(h.clock);
    const handlers2 = new FakeHandlers(h.clock);
    const node2 = new Kubelet({
      nodeName: 'node-2',
      store: h.store,
      recorder: recorder2,
      runtime: new FakeRuntime(h.clock),
      clock: h.clock,
      handlers: handlers2,
      random: () => 0,
      bindUnboundPods: false,
      livenessRestartBudgets: budgets,
    });
    node2.start();
    const rs = replicaSet(h.store, { [BUDGET]: '1' });
    const on = (p: StoredPod, nodeName: string): StoredPod => ({ ...p, spec: { ...p.spec!, nodeName } });
    await h.create(on(owned('web-a', rs, '/healthz', '/ready-a'), 'node-1'));
    await h.create(on(owned('web-b', rs, '/healthz', '/ready-b'), 'node-2'));
    await h.advance(3_000);
    h.handlers.set('/ready-a', fail()); // web-a will not be Ready again after its restart
    h.handlers.set('/healthz', fail());
    handlers2.set('/healthz', fail());
    await h.advance(1_000);
    const kills = [...h.recorder.withReason('Killing'), ...recorder2.withReason('Killing')];
    const deferred = [
      ...h.recorder.withReason('LivenessRestartDeferred'),
      ...recorder2.withReason('LivenessRestartDeferred'),
    ];
    assert.equal(kills.length, 1, 'one pod restarted across both nodes');
    assert.equal(deferred.length, 1);
    await node2.stop(0);
  });
});

describe('computePodActions with a ProbeKillGate', () => {
  const app = container('app', { livenessProbe: { httpGet: { path: '/h', port: 8080 } } });
  const record = (specHash: string): Map<string, ContainerRecord> =>
    new Map([
      [
        'app',
        {
          name: 'app',
          restartCount: 0,
          current: {
            id: 'c1',
            startedAt: 0,
            specHash,
            env: {},
            workingDir: '/',
            exitRecorded: Promise.resolve(),
          },
        },
      ],
    ]);
  const p = pod('web', { containers: [app] });

  test('a held liveness Failure keeps the container; the gate is asked with the instance and reason', () => {
    const liveness = new ResultsCache('Liveness');
    liveness.set('c1', 'Failure', 'u');
    const asked: string[] = [];
    const held = computePodActions(
      p,
      record(containerSpecHash(app)),
      liveness,
      new ResultsCache('Startup'),
      0,
      (c, i, r) => {
        asked.push(`${c.name} ${i.id} ${r}`);
        return false;
      },
    );
    assert.deepEqual(asked, ['app c1 LivenessProbe']);
    assert.deepEqual(held.kills, []);
    assert.equal(held.killPod, false);
    const allowed = computePodActions(
      p,
      record(containerSpecHash(app)),
      liveness,
      new ResultsCache('Startup'),
      0,
      () => true,
    );
    assert.equal(allowed.kills[0]?.reason, 'LivenessProbe');
  });

  test('not asked when there is nothing to gate: a Success, or a definition change (always restarts)', () => {
    const liveness = new ResultsCache('Liveness');
    liveness.set('c1', 'Failure', 'u');
    let asked = 0;
    const gate = (): boolean => {
      asked++;
      return false;
    };
    const changed = computePodActions(p, record('old-hash'), liveness, new ResultsCache('Startup'), 0, gate);
    assert.equal(changed.kills[0]?.message, 'Container app definition changed, will be restarted');
    liveness.set('c1', 'Success', 'u');
    computePodActions(p, record(containerSpecHash(app)), liveness, new ResultsCache('Startup'), 0, gate);
    assert.equal(asked, 0);
  });
});
