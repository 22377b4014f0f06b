import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../src/api/types.js';
import { admitWorkload } from '../../../src/api/workloads/admission.js';
import { REPLICATION_CONTROLLER_KIND, ReplicaSetController } from '../../../src/controllers/replicaset.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { EventRecorder, ObjectStore } from '../../../src/store/types.js';
import { FakeClock, settle } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';

type StoredRs = ReplicaSet & KubeObject;
type StoredPod = Pod & KubeObject;

interface Recorded {
  reason: string;
  message: string;
}

function setup(burstReplicas?: number): {
  clock: FakeClock;
  store: ObjectStore;
  events: Recorded[];
  controller: ReplicaSetController;
} {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const events: Recorded[] = [];
  const recorder: EventRecorder = { record: (_o, _t, reason, message) => events.push({ reason, message }) };
  const controller = new ReplicaSetController({
    store,
    clock,
    recorder,
    ...(burstReplicas !== undefined ? { burstReplicas } : {}),
  });
  controller.start();
  return { clock, store, events, controller };
}

function createRs(
  store: ObjectStore,
  replicas: number,
  extra: Partial<NonNullable<ReplicaSet['spec']>> = {},
): StoredRs {
  const adm = admitWorkload('ReplicaSet', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1000'] }] },
      },
      ...extra,
    },
  });
  assert.deepEqual(adm.errors, []);
  return store.create('replicasets', adm.object as StoredRs);
}

function pods(store: ObjectStore): StoredPod[] {
  return store.list<StoredPod>('pods', { namespace: 'default' }).items;
}

function rs(store: ObjectStore): StoredRs {
  return store.get<StoredRs>('replicasets', 'default', 'web') as StoredRs;
}

function setPodStatus(store: ObjectStore, name: string, status: Pod['status']): void {
  store.mutate<StoredPod>('pods', 'default', name, (p) => ({ ...p, status }));
}

function readyStatus(at: number): Pod['status'] {
  return {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(at) }],
  };
}

function orphan(store: ObjectStore, name: string, labels: Record<string, string>): StoredPod {
  return store.create<StoredPod>('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1'] }] },
  });
}

describe('ReplicaSet controller (pkg/controller/replicaset)', () => {
  test('pods it creates go through PodPreset admission, as every pod creation does', async () => {
    const { store } = setup();
    store.create('podpresets', {
      apiVersion: 'settings.k8s.io/v1alpha1',
      kind: 'PodPreset',
      metadata: { name: 'db', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
    } as unknown as StoredPod);
    const owner = createRs(store, 2);
    await settle();
    const list = pods(store);
    assert.equal(list.length, 2);
    for (const p of list) {
      assert.deepEqual(p.spec?.containers[0]?.env, [{ name: 'DB_PORT', value: '6379' }]);
      assert.ok(p.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-db']);
    }
    // The template itself is never touched (presets apply to pods, not controllers' templates).
    assert.equal(rs(store).spec?.template?.spec?.containers[0]?.env, undefined);
    assert.equal(owner.spec?.template?.spec?.containers[0]?.env, undefined);
  });

  test('creates missing pods from the template, named <rs>-<5 chars>, owned by the ReplicaSet', async () => {
    const { store, events, controller } = setup();
    const owner = createRs(store, 3);
    await settle();
    const list = pods(store);
    assert.equal(list.length, 3);
    for (const p of list) {
      assert.match(p.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(p.metadata.generateName, 'web-');
      assert.deepEqual(p.metadata.labels, { app: 'web' });
      assert.deepEqual(p.metadata.ownerReferences, [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      // The template went through the Pod defaults and admission.
      assert.equal(p.spec?.restartPolicy, 'Always');
      assert.equal(p.status?.phase, 'Pending');
    }
    assert.deepEqual(
      events.map((e) => e.reason),
      ['SuccessfulCreate', 'SuccessfulCreate', 'SuccessfulCreate'],
    );
    assert.match(events[0]?.message ?? '', /^Created pod: web-[a-z0-9]{5}$/);
    const status = rs(store).status;
    assert.equal(status?.replicas, 3);
    assert.equal(status?.fullyLabeledReplicas, 3);
    assert.equal(status?.readyReplicas, 0);
    assert.equal(status?.observedGeneration, 1);
    controller.stop();
  });

  test('expectations: repeated syncs while creations are in flight never double-create', async () => {
    const { store, controller } = setup();
    createRs(store, 2);
    // Syncs before any pod watch event is delivered: the cache is empty, the expectations are not.
    controller.sync('default/web');
    controller.sync('default/web');
    controller.sync('default/web');
    await settle();
    assert.equal(pods(store).length, 2);
    controller.stop();
  });

  test('slow start: a failing creation stops the batch, and ReplicaFailure says why', async () => {
    const { store, events, controller } = setup();
    const adm = admitWorkload('ReplicaSet', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 5,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'x', command: ['x'] }] },
        },
      },
    });
    // A template that the pod validation refuses (written past admission, as a broken client could).
    const broken = structuredClone(adm.object as StoredRs);
    const brokenSpec = broken.spec as NonNullable<ReplicaSet['spec']>;
    brokenSpec.template = { ...brokenSpec.template, spec: { containers: [] } };
    // One sync, by hand: without its watches the controller does exactly what this sync decides.
    controller.stop();
    store.create('replicasets', broken);
    controller.sync('default/web');
    await settle();
    assert.equal(pods(store).length, 0);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['FailedCreate'],
    );
    const cond = rs(store).status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'FailedCreate');
    assert.match(cond?.message ?? '', /spec\.containers: Required value/);
    controller.stop();
  });

  test('burst: at most burstReplicas creations per sync, the rest on the next sync', async () => {
    const { store, controller } = setup(2);
    createRs(store, 5);
    await settle();
    assert.equal(pods(store).length, 5);
    controller.stop();
  });

  test('replaces a deleted pod and a pod that failed terminally', async () => {
    const { store, controller } = setup();
    createRs(store, 3);
    await settle();
    const [first, second] = pods(store);
    store.delete('pods', 'default', first?.metadata.name as string);
    setPodStatus(store, second?.metadata.name as string, { phase: 'Failed' });
    await settle();
    const active = pods(store).filter((p) => p.status?.phase !== 'Failed');
    assert.equal(active.length, 3);
    assert.equal(pods(store).length, 4, 'the Failed pod stays for inspection, as upstream leaves it');
    assert.equal(rs(store).status?.replicas, 3);
    controller.stop();
  });

  test('scale down deletes the surplus, not-ready and unscheduled pods first', async () => {
    const { store, clock, events, controller } = setup();
    createRs(store, 3);
    await settle();
    const names = pods(store).map((p) => p.metadata.name);
    setPodStatus(store, names[0] as string, readyStatus(clock.now()));
    setPodStatus(store, names[2] as string, readyStatus(clock.now()));
    await settle();
    store.mutate<StoredRs>('replicasets', 'default', 'web', (cur) => ({
      ...cur,
      spec: { ...(cur.spec as NonNullable<ReplicaSet['spec']>), replicas: 2 },
    }));
    await settle();
    const left = pods(store).map((p) => p.metadata.name);
    assert.deepEqual(left.sort(), [names[0], names[2]].sort());
    assert.equal(events.filter((e) => e.reason === 'SuccessfulDelete').length, 1);
    assert.equal(events.at(-1)?.message, `Deleted pod: ${names[1]}`);
    controller.stop();
  });

  test('adopts a matching orphan instead of creating, and releases a pod whose labels stop matching', async () => {
    const { store, controller } = setup();
    orphan(store, 'stray', { app: 'web' });
    orphan(store, 'other', { app: 'db' });
    const owner = createRs(store, 1);
    await settle();
    assert.equal(pods(store).length, 2, 'the orphan counts toward replicas');
    assert.equal(
      store.get<StoredPod>('pods', 'default', 'stray')?.metadata.ownerReferences?.[0]?.uid,
      owner.metadata.uid,
    );
    assert.equal(store.get<StoredPod>('pods', 'default', 'other')?.metadata.ownerReferences, undefined);
    store.mutate<StoredPod>('pods', 'default', 'stray', (p) => ({
      ...p,
      metadata: { ...p.metadata, labels: { app: 'away' } },
    }));
    await settle();
    assert.equal(store.get<StoredPod>('pods', 'default', 'stray')?.metadata.ownerReferences, undefined);
    const owned = pods(store).filter((p) => p.metadata.ownerReferences?.[0]?.uid === owner.metadata.uid);
    assert.equal(owned.length, 1, 'a replacement was created');
    assert.notEqual(owned[0]?.metadata.name, 'stray');
    controller.stop();
  });

  test('status: readyReplicas at once, availableReplicas only after minReadySeconds', async () => {
    const { store, clock, controller } = setup();
    createRs(store, 1, { minReadySeconds: 10 });
    await settle();
    const name = pods(store)[0]?.metadata.name as string;
    setPodStatus(store, name, readyStatus(clock.now()));
    await settle();
    assert.equal(rs(store).status?.readyReplicas, 1);
    assert.equal(rs(store).status?.availableReplicas, 0);
    await clock.advance(10_000);
    assert.equal(rs(store).status?.availableReplicas, 1);
    controller.stop();
  });

  test('observedGeneration follows metadata.generation', async () => {
    const { store, controller } = setup();
    createRs(store, 1);
    await settle();
    store.mutate<StoredRs>('replicasets', 'default', 'web', (cur) => ({
      ...cur,
      spec: { ...(cur.spec as NonNullable<ReplicaSet['spec']>), replicas: 2 },
    }));
    await settle();
    assert.equal(rs(store).metadata.generation, 2);
    assert.equal(rs(store).status?.observedGeneration, 2);
    controller.stop();
  });

  test('ReplicationController: the same controller with a map selector and a v1 owner reference', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const recorder: EventRecorder = { record: () => {} };
    const controller = new ReplicaSetController({
      store,
      clock,
      recorder,
      kind: REPLICATION_CONTROLLER_KIND,
    });
    controller.start();
    const adm = admitWorkload('ReplicationController', {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: 'default' },
      spec: {
        replicas: 2,
        template: {
          metadata: { labels: { app: 'legacy' } },
          spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '1'] }] },
        },
      },
    });
    assert.deepEqual(adm.errors, []);
    store.create('replicationcontrollers', adm.object as KubeObject);
    await settle();
    const list = pods(store);
    assert.equal(list.length, 2);
    assert.equal(list[0]?.metadata.ownerReferences?.[0]?.kind, 'ReplicationController');
    assert.equal(list[0]?.metadata.ownerReferences?.[0]?.apiVersion, 'v1');
    assert.match(list[0]?.metadata.name ?? '', /^legacy-[a-z0-9]{5}$/);
    const rc = store.get<KubeObject & { status?: { replicas?: number } }>(
      'replicationcontrollers',
      'default',
      'legacy',
    );
    assert.equal(rc?.status?.replicas, 2);
    controller.stop();
  });

  test('a ReplicaSet being deleted creates nothing', async () => {
    const { store, controller } = setup();
    const adm = createRs(store, 0);
    store.mutate<StoredRs>('replicasets', 'default', 'web', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, deletionTimestamp: rfc3339(0), finalizers: ['foregroundDeletion'] },
      spec: { ...(cur.spec as NonNullable<ReplicaSet['spec']>), replicas: 2 },
    }));
    await settle();
    assert.equal(pods(store).length, 0);
    assert.ok(adm);
    controller.stop();
  });
});
