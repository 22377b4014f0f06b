import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import { NodeLifecycleController } from '../../../src/controllers/node-lifecycle.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';
import { FakeRecorder } from '../kubelet/fakes.js';

type StoredPod = Pod & KubeObject;
type StoredNode = Node & KubeObject;

const TYPES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];

function readyNode(name: string, now: number): StoredNode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, namespace: '' },
    spec: {},
    status: {
      conditions: TYPES.map((type) => ({
        type,
        status: type === 'Ready' ? 'True' : 'False',
        lastHeartbeatTime: rfc3339(now),
        lastTransitionTime: rfc3339(now),
      })),
    },
  };
}

function boundPod(name: string, nodeName: string, spec: Partial<Pod['spec']> = {}): StoredPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'app', image: 'app' }],
      ...spec,
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function setup(opts: { gracePeriodMs?: number; podEvictionTimeoutMs?: number } = {}) {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const nodeEvents = new FakeRecorder(clock);
  const evictions = new FakeRecorder(clock);
  store.create('nodes', readyNode('node-1', clock.now()));
  store.create('nodes', readyNode('node-2', clock.now()));
  const controller = new NodeLifecycleController({
    store,
    clock,
    nodeRecorder: nodeEvents,
    evictionRecorder: evictions,
    ...opts,
  });
  controller.start();
  /** The live kubelet of node-2 posts its status. */
  const heartbeat = (name = 'node-2'): void => {
    store.mutate<StoredNode>('nodes', '', name, (n) => ({
      ...n,
      status: {
        conditions: (n.status?.conditions ?? []).map((c) => ({
          ...c,
          status: c.type === 'Ready' ? 'True' : 'False',
          lastHeartbeatTime: rfc3339(clock.now()),
        })),
      },
    }));
  };
  const getNode = (name: string): StoredNode | undefined => store.get<StoredNode>('nodes', '', name);
  const getPod = (name: string): StoredPod | undefined => store.get<StoredPod>('pods', 'default', name);
  return { clock, store, nodeEvents, evictions, controller, heartbeat, getNode, getPod };
}

/** Advances fake time in 1 s steps, node-2's kubelet posting status every second while `alive`. */
async function run(h: ReturnType<typeof setup>, ms: number, alive: boolean): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    if (alive) h.heartbeat();
    await h.clock.advance(1000);
  }
}

const ready = (n: StoredNode | undefined): string | undefined =>
  n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('node lifecycle controller (issue 4 item 3, pkg/controller/nodelifecycle)', () => {
  test('default grace 50 s: a silent node stays Ready for 50 s, then every condition goes Unknown', async () => {
    const h = setup();
    await run(h, 50_000, false);
    assert.equal(ready(h.getNode('node-1')), 'True');
    await run(h, 6_000, false);
    const node = h.getNode('node-1');
    for (const type of TYPES) {
      const c = node?.status?.conditions?.find((x) => x.type === type);
      assert.equal(c?.status, 'Unknown', type);
      assert.equal(c?.reason, 'NodeStatusUnknown');
      assert.equal(c?.message, 'Kubelet stopped posting node status.');
    }
    assert.deepEqual(
      node?.spec?.taints?.map((t) => `${t.key}:${t.effect}`),
      ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute'],
    );
    assert.equal(
      h.nodeEvents.withReason('NodeNotReady')[0]?.message,
      'Node node-1 status is now: NodeNotReady',
    );
    h.controller.stop();
  });

  test('a node that keeps posting status stays Ready and untainted', async () => {
    const h = setup();
    await run(h, 120_000, true);
    assert.equal(ready(h.getNode('node-2')), 'True');
    assert.equal(h.getNode('node-2')?.spec?.taints, undefined);
    h.controller.stop();
  });

  test('pods of an unreachable node get Ready=False and a NodeNotReady event', async () => {
    const h = setup({ gracePeriodMs: 2000 });
    h.store.create('pods', boundPod('web', 'node-1'));
    h.store.create('pods', boundPod('api', 'node-2'));
    await run(h, 4000, true);
    assert.equal(h.getPod('web')?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal(h.getPod('api')?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(
      h.nodeEvents.withReason('NodeNotReady').map((e) => [e.involved.name, e.type, e.message]),
      [
        ['node-1', 'Normal', 'Node node-1 status is now: NodeNotReady'],
        ['web', 'Warning', 'Node is not ready'],
      ],
    );
    h.controller.stop();
  });

  test('taint eviction: after the eviction timeout (default 300 s) the pod is marked for deletion', async () => {
    const h = setup({ gracePeriodMs: 2000 });
    h.store.create('pods', boundPod('web', 'node-1'));
    await run(h, 5000, true);
    const taintedAt = Date.parse(
      h.getNode('node-1')?.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded ?? '',
    );
    await h.clock.advance(taintedAt + 299_000 - h.clock.now());
    assert.equal(h.getPod('web')?.metadata.deletionTimestamp, undefined);
    assert.equal(h.evictions.events.length, 0);
    await h.clock.advance(6000);
    const web = h.getPod('web');
    assert.ok(web?.metadata.deletionTimestamp, 'graceful deletion as for a bound pod');
    assert.equal(web?.metadata.deletionGracePeriodSeconds, 30);
    assert.deepEqual(
      h.evictions.events.map((e) => [e.reason, e.message]),
      [['TaintManagerEviction', 'Marking for deletion Pod default/web']],
    );
    h.controller.stop();
  });

  test("--pod-eviction-timeout sets the default; a pod's own tolerationSeconds win; tolerating forever never evicts", async () => {
    const h = setup({ gracePeriodMs: 2000, podEvictionTimeoutMs: 3000 });
    const unreachable = 'node.kubernetes.io/unreachable';
    h.store.create('pods', boundPod('default', 'node-1'));
    h.store.create(
      'pods',
      boundPod('patient', 'node-1', {
        tolerations: [{ key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
      }),
    );
    h.store.create(
      'pods',
      boundPod('forever', 'node-1', {
        tolerations: [{ key: unreachable, operator: 'Exists', effect: 'NoExecute' }],
      }),
    );
    h.store.create('pods', boundPod('quick', 'node-1', { terminationGracePeriodSeconds: 0 }));
    await run(h, 10_000, true);
    assert.ok(h.getPod('default')?.metadata.deletionTimestamp);
    assert.equal(h.getPod('quick'), undefined, 'grace 0: removed at once');
    assert.equal(h.getPod('patient')?.metadata.deletionTimestamp, undefined);
    await run(h, 60_000, true);
    assert.ok(h.getPod('patient')?.metadata.deletionTimestamp);
    await run(h, 600_000, true);
    assert.equal(h.getPod('forever')?.metadata.deletionTimestamp, undefined);
    h.controller.stop();
  });

  test('a node that posts status again is Ready and loses the unreachable taints', async () => {
    const h = setup({ gracePeriodMs: 2000 });
    await run(h, 5000, true);
    assert.equal(ready(h.getNode('node-1')), 'Unknown');
    h.heartbeat('node-1');
    await h.clock.advance(1000);
    assert.equal(ready(h.getNode('node-1')), 'True');
    assert.equal(h.getNode('node-1')?.spec?.taints, undefined);
    h.controller.stop();
  });
});

/** A clock whose timers fire only when told to: a suspended process sees them fire late. */
class SuspendableClock {
  current = Date.UTC(2024, 5, 4, 10, 0, 0);
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.current;
  }
  setTimer(delayMs: number, fn: () => void): { cancel(): void } {
    const t = { at: this.current + delayMs, fn };
    this.timers.push(t);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== t)) };
  }
  /** Time jumps by `ms` with nothing running, then the due timers fire. */
  wake(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => t.at <= this.current);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const t of due) t.fn();
  }
}

describe('node lifecycle controller: a suspended podvisor', () => {
  test('after the process slept past the grace period, nodes get a fresh grace period, not NotReady', async () => {
    const clock = new SuspendableClock();
    const store = new MemoryStore({ clock: new FakeClock(clock.current) });
    store.create('nodes', readyNode('node-1', clock.now()));
    const recorder = new FakeRecorder(new FakeClock());
    const controller = new NodeLifecycleController({
      store,
      clock,
      nodeRecorder: recorder,
      evictionRecorder: recorder,
    });
    controller.start();
    controller.monitor();
    clock.wake(10 * 60_000);
    assert.equal(ready(store.get<StoredNode>('nodes', '', 'node-1')), 'True');
    // Still silent a full grace period after waking: now it is the node that is gone.
    for (let i = 0; i < 11; i++) clock.wake(5000);
    assert.equal(ready(store.get<StoredNode>('nodes', '', 'node-1')), 'Unknown');
    controller.stop();
  });
});
