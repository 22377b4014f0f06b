import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { GarbageCollector } from '../../../src/controllers/garbage-collector.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { ObjectStore } from '../../../src/store/types.js';
import { FakeClock, settle } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';

/** Garbage collector (pkg/controller/garbagecollector): the three propagation policies. */

function setup(): { clock: FakeClock; store: ObjectStore; gc: GarbageCollector } {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const gc = new GarbageCollector({ store, clock });
  gc.start();
  return { clock, store, gc };
}

function owner(store: ObjectStore, name = 'web'): KubeObject {
  return store.create('replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas: 1 },
  });
}

function dependent(store: ObjectStore, name: string, of: KubeObject, started = false): KubeObject {
  return store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: of.metadata.name,
          uid: of.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: [{ name: 'app' }],
      terminationGracePeriodSeconds: 30,
      ...(started ? { nodeName: 'node-1' } : {}),
    },
    ...(started ? { status: { phase: 'Running' } } : {}),
  });
}

/** What the REST layer stores for DELETE with Foreground/Orphan (server/workloads.ts beginWorkloadDelete). */
function markDeleting(store: ObjectStore, name: string, finalizer: string): void {
  store.mutate('replicasets', 'default', name, (cur) => ({
    ...cur,
    metadata: {
      ...cur.metadata,
      finalizers: [finalizer],
      deletionTimestamp: rfc3339(0),
      deletionGracePeriodSeconds: 0,
    },
  }));
}

describe('garbage collector', () => {
  test('Background: dependents of an owner that is gone are deleted', async () => {
    const { store, gc } = setup();
    const rs = owner(store);
    dependent(store, 'a', rs);
    dependent(store, 'b', rs);
    await settle();
    assert.equal(store.list('pods').items.length, 2, 'dependents of a live owner stay');
    store.delete('replicasets', 'default', 'web');
    await settle();
    assert.equal(store.list('pods').items.length, 0);
    gc.stop();
  });

  test('Background: an owner recreated under the same name (new uid) does not save the old dependents', async () => {
    const { store, gc } = setup();
    const rs = owner(store);
    store.delete('replicasets', 'default', 'web');
    owner(store);
    dependent(store, 'a', rs);
    await settle();
    assert.equal(store.list('pods').items.length, 0);
    gc.stop();
  });

  test('Background: a running pod is deleted gracefully (deletionTimestamp), not removed', async () => {
    const { store, clock, gc } = setup();
    const rs = owner(store);
    dependent(store, 'a', rs, true);
    store.delete('replicasets', 'default', 'web');
    await settle();
    const pod = store.get('pods', 'default', 'a');
    assert.equal(pod?.metadata.deletionTimestamp, rfc3339(clock.now() + 30_000));
    assert.equal(pod?.metadata.deletionGracePeriodSeconds, 30);
    gc.stop();
  });

  test('Foreground: the owner stays until its blocking dependents are gone, then goes', async () => {
    const { store, gc } = setup();
    const rs = owner(store);
    dependent(store, 'a', rs, true);
    await settle();
    markDeleting(store, 'web', 'foregroundDeletion');
    await settle();
    assert.ok(
      store.get('pods', 'default', 'a')?.metadata.deletionTimestamp,
      'the dependent is being deleted',
    );
    assert.ok(store.get('replicasets', 'default', 'web'), 'the owner waits');
    // The kubelet finishes the pod's deletion.
    store.delete('pods', 'default', 'a');
    await settle();
    assert.equal(store.get('replicasets', 'default', 'web'), undefined);
    gc.stop();
  });

  test('Orphan: ownerReferences are removed from the dependents, which stay; the owner goes', async () => {
    const { store, gc } = setup();
    const rs = owner(store);
    dependent(store, 'a', rs);
    await settle();
    markDeleting(store, 'web', 'orphan');
    await settle();
    assert.equal(store.get('replicasets', 'default', 'web'), undefined);
    const pod = store.get('pods', 'default', 'a');
    assert.ok(pod);
    assert.equal(pod.metadata.ownerReferences, undefined);
    gc.stop();
  });

  test('a dependent with one owner gone and one present only loses the dangling reference', async () => {
    const { store, gc } = setup();
    const live = owner(store, 'live');
    const gone = owner(store, 'gone');
    const pod = dependent(store, 'a', live);
    store.mutate('pods', 'default', 'a', (cur) => ({
      ...cur,
      metadata: {
        ...cur.metadata,
        ownerReferences: [
          ...(pod.metadata.ownerReferences ?? []),
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone', uid: gone.metadata.uid ?? '' },
        ],
      },
    }));
    store.delete('replicasets', 'default', 'gone');
    await settle();
    assert.deepEqual(
      store.get('pods', 'default', 'a')?.metadata.ownerReferences?.map((r) => r.name),
      ['live'],
    );
    gc.stop();
  });
});
