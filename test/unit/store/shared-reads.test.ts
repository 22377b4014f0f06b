import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { WatchEvent } from '../../../src/store/types.js';

type Labeled = KubeObject & { spec?: { x?: number } };

function pod(name: string, labels: Record<string, string> = {}): Labeled {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { x: 1 } } as Labeled;
}

function isDeepFrozen(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  return Object.isFrozen(v) && Object.values(v).every(isDeepFrozen);
}

const names = (items: readonly KubeObject[]): string[] => items.map((o) => o.metadata.name ?? '');

describe('shared reads: the stored, deep-frozen objects without a copy (ListOptions.shared)', () => {
  test('a shared list hands out the same frozen objects until they change; a plain list copies', () => {
    const store = new MemoryStore();
    store.create('pods', pod('a'));
    const first = store.list<Labeled>('pods', { shared: true }).items[0] as Labeled;
    const again = store.list<Labeled>('pods', { shared: true }).items[0];
    assert.equal(again, first, 'unchanged object: same identity');
    assert.ok(isDeepFrozen(first));
    assert.throws(() => {
      (first.metadata as { name: string }).name = 'b';
    }, TypeError);
    const copy = store.list<Labeled>('pods').items[0] as Labeled;
    assert.notEqual(copy, first);
    assert.equal(Object.isFrozen(copy), false);
    copy.metadata.labels = { changed: 'yes' };
    assert.deepEqual(store.get<Labeled>('pods', 'default', 'a')?.metadata.labels, {});
  });

  test('an update stores a new frozen object and leaves the one handed out as it was', () => {
    const store = new MemoryStore();
    store.create('pods', pod('a', { v: '1' }));
    const before = store.list<Labeled>('pods', { shared: true }).items[0] as Labeled;
    store.mutate<Labeled>('pods', 'default', 'a', (p) => ({
      ...p,
      metadata: { ...p.metadata, labels: { v: '2' } },
    }));
    const after = store.list<Labeled>('pods', { shared: true }).items[0] as Labeled;
    assert.notEqual(after, before);
    assert.deepEqual(before.metadata.labels, { v: '1' });
    assert.deepEqual(after.metadata.labels, { v: '2' });
    assert.ok(isDeepFrozen(after));
  });

  test('objects restored from persistence are frozen too', () => {
    const store = new MemoryStore({
      initial: {
        resourceVersion: 5,
        objects: [
          {
            resource: 'pods',
            object: { ...pod('r'), metadata: { name: 'r', namespace: 'default', resourceVersion: '5' } },
          },
        ],
      },
    });
    assert.ok(isDeepFrozen(store.list('pods', { shared: true }).items[0]));
  });

  test('list order (namespace, then name) follows creates and deletes', () => {
    const store = new MemoryStore();
    for (const n of ['c', 'a', 'b']) store.create('pods', pod(n));
    assert.deepEqual(names(store.list('pods', { shared: true }).items), ['a', 'b', 'c']);
    store.delete('pods', 'default', 'b');
    store.create('pods', { ...pod('aa'), metadata: { name: 'aa', namespace: 'other' } });
    store.create('pods', pod('0'));
    assert.deepEqual(names(store.list('pods').items), ['0', 'a', 'c', 'aa']);
    assert.deepEqual(names(store.list('pods', { namespace: 'default', shared: true }).items), [
      '0',
      'a',
      'c',
    ]);
  });

  test('a shared watch gets the stored objects (frozen, DELETED projections too); a plain watch gets copies', async () => {
    const store = new MemoryStore();
    store.create('pods', pod('a', { app: 'web' }));
    const shared: WatchEvent<Labeled>[] = [];
    const plain: WatchEvent<Labeled>[] = [];
    store.watch<Labeled>('pods', { labelSelector: 'app=web', shared: true }, (ev) => shared.push(ev));
    store.watch<Labeled>('pods', { labelSelector: 'app=web' }, (ev) => plain.push(ev));
    store.mutate<Labeled>('pods', 'default', 'a', (p) => ({
      ...p,
      metadata: { ...p.metadata, labels: { app: 'db' } },
    }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      shared.map((e) => e.type),
      ['ADDED', 'DELETED'],
    );
    assert.deepEqual(
      plain.map((e) => e.type),
      ['ADDED', 'DELETED'],
    );
    assert.ok(shared.every((e) => isDeepFrozen(e.object)));
    assert.ok(plain.every((e) => !Object.isFrozen(e.object)));
    // The DELETED of a watch whose selector stops matching carries the old state at the new version.
    assert.deepEqual(shared[1]?.object.metadata.labels, { app: 'web' });
    assert.equal(shared[1]?.object.metadata.resourceVersion, store.currentResourceVersion());
    const plainLabels = plain[0]?.object.metadata.labels;
    assert.ok(plainLabels);
    plainLabels.app = 'changed';
    assert.equal(shared[0]?.object.metadata.labels?.app, 'web', 'a plain watcher changes only its copy');
  });
});
