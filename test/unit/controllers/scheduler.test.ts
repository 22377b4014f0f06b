import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import { placePod, Scheduler } from '../../../src/controllers/scheduler.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, settle } from '../../../src/util/clock.js';
import { FakeRecorder } from '../kubelet/fakes.js';
import { container, harness, pod as kpod } from '../kubelet/harness.js';

type StoredPod = Pod & KubeObject;
type StoredNode = Node & KubeObject;

function node(
  name: string,
  opts: { ready?: string; labels?: Record<string, string>; taints?: Node['spec'] } = {},
): StoredNode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, namespace: '', labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: opts.taints ?? {},
    status: { conditions: [{ type: 'Ready', status: opts.ready ?? 'True' }] },
  };
}

function pod(name: string, spec: Partial<Pod['spec']> = {}): StoredPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'app' }], ...spec },
  };
}

function setup(nodes: StoredNode[]): {
  store: MemoryStore;
  recorder: FakeRecorder;
  clock: FakeClock;
  scheduler: Scheduler;
} {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  for (const n of nodes) store.create('nodes', n);
  const recorder = new FakeRecorder(clock);
  const scheduler = new Scheduler({ store, recorder, clock });
  scheduler.start();
  return { store, recorder, clock, scheduler };
}

const boundTo = (store: MemoryStore, name: string): string | undefined =>
  store.get<StoredPod>('pods', 'default', name)?.spec?.nodeName;

describe('scheduler: placement (issue 4 item 3)', () => {
  test('placePod: fewest active pods wins, ties broken by node name', () => {
    const nodes = [node('node-1'), node('node-2'), node('node-3')];
    assert.deepEqual(placePod(pod('a'), nodes, new Map()), { node: 'node-1' });
    assert.deepEqual(
      placePod(
        pod('a'),
        nodes,
        new Map([
          ['node-1', 2],
          ['node-2', 1],
          ['node-3', 1],
        ]),
      ),
      {
        node: 'node-2',
      },
    );
  });

  test('placePod: nodeSelector must match the node labels', () => {
    const nodes = [node('node-1'), node('node-2', { labels: { disk: 'ssd' } })];
    assert.deepEqual(placePod(pod('a', { nodeSelector: { disk: 'ssd' } }), nodes, new Map()), {
      node: 'node-2',
    });
  });

  test('placePod: FailedScheduling message counts the reasons per node, sorted, with the preemption verdict', () => {
    const nodes = [
      node('node-1'),
      node('node-2', {
        labels: { disk: 'ssd' },
        taints: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
      }),
      node('node-3'),
    ];
    assert.deepEqual(placePod(pod('a', { nodeSelector: { disk: 'ssd' } }), nodes, new Map()), {
      message:
        "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    });
    assert.deepEqual(placePod(pod('a'), [], new Map()), { message: 'no nodes available to schedule pods' });
  });

  test('placePod: a node not Ready counts as tainted not-ready; a tolerating pod may still go there', () => {
    const nodes = [node('node-1', { ready: 'False' })];
    const placed = placePod(pod('a'), nodes, new Map());
    assert.match(
      placed.node === undefined ? placed.message : '',
      /1 node\(s\) had untolerated taint \{node.kubernetes.io\/not-ready: \}/,
    );
    const tolerant = pod('b', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] });
    assert.deepEqual(placePod(tolerant, nodes, new Map()), { node: 'node-1' });
  });
});

describe('scheduler: binding through the store', () => {
  test('binds unbound pods spread over the nodes, PodScheduled=True and "Successfully assigned" events', async () => {
    const { store, recorder, scheduler } = setup([node('node-1'), node('node-2'), node('node-3')]);
    for (const n of ['a', 'b', 'c']) store.create('pods', pod(n));
    await settle();
    assert.deepEqual(['a', 'b', 'c'].map((n) => boundTo(store, n)).sort(), ['node-1', 'node-2', 'node-3']);
    const a = store.get<StoredPod>('pods', 'default', 'a');
    assert.equal(a?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    assert.deepEqual(
      recorder
        .withReason('Scheduled')
        .map((e) => e.message)
        .sort(),
      ['a', 'b', 'c'].map((n) => `Successfully assigned default/${n} to ${boundTo(store, n)}`).sort(),
    );
    scheduler.stop();
  });

  test('a nodeName set by the user wins: the pod is left alone, even on a node that does not exist', async () => {
    const { store, recorder, scheduler } = setup([node('node-1')]);
    store.create('pods', pod('pinned', { nodeName: 'node-9' }));
    await settle();
    assert.equal(boundTo(store, 'pinned'), 'node-9');
    assert.deepEqual(recorder.events, []);
    scheduler.stop();
  });

  test('pinned pods count for spreading', async () => {
    const { store, scheduler } = setup([node('node-1'), node('node-2')]);
    store.create('pods', pod('pinned', { nodeName: 'node-1' }));
    await settle();
    store.create('pods', pod('free'));
    await settle();
    assert.equal(boundTo(store, 'free'), 'node-2');
    scheduler.stop();
  });

  test('no fit: PodScheduled=False/Unschedulable + one FailedScheduling; retried when a node changes', async () => {
    const { store, recorder, scheduler } = setup([node('node-1'), node('node-2')]);
    store.create('pods', pod('picky', { nodeSelector: { disk: 'ssd' } }));
    await settle();
    assert.equal(boundTo(store, 'picky'), undefined);
    const cond = store.get<StoredPod>('pods', 'default', 'picky')?.status?.conditions?.[0];
    assert.equal(cond?.reason, 'Unschedulable');
    assert.equal(recorder.withReason('FailedScheduling').length, 1);
    assert.equal(recorder.withReason('FailedScheduling')[0]?.type, 'Warning');

    // A heartbeat-like change (nothing the scheduler looks at) does not retry.
    store.mutate<StoredNode>('nodes', '', 'node-1', (n) => ({
      ...n,
      status: { ...n.status, phase: 'Running' },
    }));
    await settle();
    assert.equal(recorder.withReason('FailedScheduling').length, 1);

    store.mutate<StoredNode>('nodes', '', 'node-2', (n) => ({
      ...n,
      metadata: { ...n.metadata, labels: { ...n.metadata.labels, disk: 'ssd' } },
    }));
    await settle();
    assert.equal(boundTo(store, 'picky'), 'node-2');
    assert.equal(
      recorder.withReason('Scheduled')[0]?.message,
      'Successfully assigned default/picky to node-2',
    );
    scheduler.stop();
  });

  test('terminating and finished pods are not scheduled', async () => {
    const { store, recorder, scheduler } = setup([node('node-1')]);
    store.create('pods', { ...pod('done'), status: { phase: 'Succeeded' } });
    await settle();
    assert.equal(boundTo(store, 'done'), undefined);
    assert.deepEqual(recorder.events, []);
    scheduler.stop();
  });
});

describe('scheduler + kubelets: binding moved out of the kubelet', () => {
  test('a kubelet with bindUnboundPods=false runs only pods the scheduler bound to its node', async () => {
    const h = harness({ bindUnboundPods: false });
    h.store.create('nodes', node('node-1'));
    h.store.create('nodes', node('node-2', { labels: { zone: 'b' } }));
    await h.create(kpod('elsewhere', { nodeSelector: { zone: 'b' }, containers: [container('app')] }));
    await h.create(kpod('unbound', { containers: [container('app')] }));
    assert.equal(h.get('unbound')?.spec?.nodeName, undefined, 'the kubelet no longer binds');
    assert.equal(h.runtime.instances.length, 0);

    const scheduler = new Scheduler({ store: h.store, recorder: h.recorder, clock: h.clock });
    scheduler.start();
    await h.advance(0);
    assert.equal(h.get('elsewhere')?.spec?.nodeName, 'node-2');
    assert.equal(h.get('unbound')?.spec?.nodeName, 'node-1');
    assert.deepEqual(
      h.runtime.instances.map((i) => i.launch.podName),
      ['unbound'],
      'node-1 runs its own pod only',
    );
    scheduler.stop();
    await h.kubelet.stop(0);
  });
});
