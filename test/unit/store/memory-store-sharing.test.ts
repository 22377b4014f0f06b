import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { KubeObject } from '../../../src/api/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function isDeepFrozen(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  return Object.isFrozen(v) && Object.values(v).every(isDeepFrozen);
}

function stored(store: MemoryStore, name: string): Obj {
  const found = store.list<Obj>('pods', { shared: true }).items.find((o) => o.metadata.name === name);
  assert.ok(found, `pod ${name} is stored`);
  return found;
}

function podWith(spec: Record<string, unknown>, status: Record<string, unknown>): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'web' } }, spec, status };
}

describe('MemoryStore: a new version shares the unchanged parts of the one before it (memory, issue 6 S3)', () => {
  test('a status update keeps the spec, labels and unchanged conditions of the previous version', () => {
    const store = new MemoryStore();
    const conditions = [
      { type: 'PodScheduled', status: 'True' },
      { type: 'Ready', status: 'False' },
    ];
    store.create(
      'pods',
      podWith({ containers: [{ name: 'app', command: ['sleep', '3600'] }] }, { conditions }),
    );
    const v1 = stored(store, 'p');
    store.mutate<Obj>('pods', 'default', 'p', (p) => {
      const ready = p.status?.conditions as { type: string; status: string }[];
      ready[1] = { type: 'Ready', status: 'True' };
      return p;
    });
    const v2 = stored(store, 'p');
    assert.notEqual(v2, v1);
    assert.equal(v2.spec, v1.spec, 'the spec is the same object');
    assert.equal(v2.metadata.labels, v1.metadata.labels, 'the labels are the same object');
    assert.notEqual(v2.metadata, v1.metadata, 'metadata carries the new resourceVersion');
    assert.equal(Number(v2.metadata.resourceVersion), Number(v1.metadata.resourceVersion) + 1);
    const c1 = v1.status?.conditions as object[];
    const c2 = v2.status?.conditions as object[];
    assert.notEqual(c2, c1, 'the changed list is new');
    assert.equal(c2[0], c1[0], 'its unchanged element is shared');
    assert.deepEqual(c2[1], { type: 'Ready', status: 'True' });
    assert.deepEqual(c1[1], { type: 'Ready', status: 'False' }, 'the old version is as it was');
    assert.ok(isDeepFrozen(v1) && isDeepFrozen(v2));
  });

  test('an update equal to the stored object (keys in another order) stores nothing new', () => {
    const store = new MemoryStore();
    store.create('pods', podWith({ a: 1, b: [1, 2] }, { phase: 'Running' }));
    const v1 = stored(store, 'p');
    const rv = store.currentResourceVersion();
    store.mutate<Obj>('pods', 'default', 'p', (p) => ({ ...p, spec: { b: [1, 2], a: 1 } }));
    assert.equal(stored(store, 'p'), v1);
    assert.equal(store.currentResourceVersion(), rv);
  });

  test('values that isDeepStrictEqual tells apart stay apart: 0 and -0, a key set to undefined and no key', () => {
    const store = new MemoryStore();
    store.create('pods', podWith({ n: 0, keep: { x: 1 } }, {}));
    const v1 = stored(store, 'p');
    store.mutate<Obj>('pods', 'default', 'p', (p) => ({ ...p, spec: { n: -0, keep: { x: 1 } } }));
    const v2 = stored(store, 'p');
    assert.notEqual(v2, v1);
    assert.ok(Object.is(v2.spec?.n, -0));
    assert.equal(v2.spec?.keep, v1.spec?.keep);
    store.mutate<Obj>('pods', 'default', 'p', (p) => ({ ...p, status: { gone: undefined } }));
    const v3 = stored(store, 'p');
    assert.notEqual(v3, v2);
    assert.ok(Object.hasOwn(v3.status ?? {}, 'gone'));
  });

  test('property: the stored version equals what was written, shares only what is equal, and the old one stays intact', () => {
    const leaf = fc.constantFrom<unknown>(0, -0, 1, 'x', 'y', null, undefined, true, Number.NaN);
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('tree'), { maxKeys: 3, noNullPrototype: true }),
      ),
    }));
    const part = fc.dictionary(fc.constantFrom('a', 'b', 'c'), tree, { maxKeys: 3, noNullPrototype: true });
    fc.assert(
      fc.property(part, part, part, part, (spec1, status1, spec2, status2) => {
        const store = new MemoryStore();
        store.create('pods', podWith(spec1, status1));
        const v1 = stored(store, 'p');
        store.mutate<Obj>('pods', 'default', 'p', (p) => ({ ...p, spec: spec2, status: status2 }));
        const v2 = stored(store, 'p');
        const equal = isDeepStrictEqual({ spec: spec1, status: status1 }, { spec: spec2, status: status2 });
        assert.equal(v2 === v1, equal, 'the stored object is kept exactly when the write is equal');
        assert.ok(isDeepStrictEqual(v2.spec, spec2) && isDeepStrictEqual(v2.status, status2));
        assert.ok(isDeepStrictEqual(v1.spec, spec1) && isDeepStrictEqual(v1.status, status1));
        assert.ok(isDeepFrozen(v2));
      }),
      { numRuns: 300 },
    );
  });
});
