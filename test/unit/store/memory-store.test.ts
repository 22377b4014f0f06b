import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { StoreError, type WatchEvent } from '../../../src/store/types.js';
import { FakeClock, settle } from '../../../src/util/clock.js';

interface TestPod extends KubeObject {
  spec: { nodeName?: string; containers: { name: string }[] };
  status?: { phase?: string };
}

function pod(name: string, labels?: Record<string, string>, namespace?: string): TestPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}), ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'app' }] },
  };
}

function storeError(fn: () => unknown, code: number, reason: string, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected StoreError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.reason, reason);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

function collect(store: MemoryStore, opts: Parameters<MemoryStore['watch']>[1] = {}, resource = 'pods') {
  const events: WatchEvent<TestPod>[] = [];
  const w = store.watch<TestPod>(resource, opts, (ev) => events.push(ev));
  const summary = (): string[] =>
    events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
  return { events, watch: w, summary };
}

describe('MemoryStore objects', () => {
  test('create assigns uid, creationTimestamp, namespace default, generation and a monotonic resourceVersion', () => {
    const clock = new FakeClock(Date.UTC(2024, 5, 4, 10, 0, 0, 750));
    const store = new MemoryStore({ clock });
    assert.equal(store.currentResourceVersion(), '0');
    const a = store.create('pods', pod('a'));
    const b = store.create('pods', pod('b'));
    assert.equal(a.metadata.namespace, 'default');
    assert.match(
      a.metadata.uid ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.notEqual(a.metadata.uid, b.metadata.uid);
    assert.equal(a.metadata.creationTimestamp, '2024-06-04T10:00:00Z');
    assert.equal(a.metadata.generation, 1);
    assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
    assert.equal(store.currentResourceVersion(), b.metadata.resourceVersion);
    const updated = store.update('pods', { ...b, status: { phase: 'Running' } });
    assert.ok(Number(updated.metadata.resourceVersion) > Number(b.metadata.resourceVersion));
    const gone = store.delete('pods', 'default', 'a');
    assert.ok(Number(gone.metadata.resourceVersion) > Number(updated.metadata.resourceVersion));
    assert.equal(store.currentResourceVersion(), gone.metadata.resourceVersion);
    assert.deepEqual(Object.keys(a).slice(0, 3), ['apiVersion', 'kind', 'metadata']);
  });

  test('objects are deep copies on the way in and out', () => {
    const store = new MemoryStore();
    const input = pod('a', { app: 'web' });
    const created = store.create('pods', input);
    input.metadata.labels = { app: 'changed' };
    created.spec.containers[0]!.name = 'mutated';
    const got = store.get<TestPod>('pods', 'default', 'a');
    assert.deepEqual(got?.metadata.labels, { app: 'web' });
    assert.equal(got?.spec.containers[0]?.name, 'app');
    got!.metadata.labels!.app = 'again';
    assert.equal(store.list<TestPod>('pods').items[0]?.metadata.labels?.app, 'web');
    assert.equal(input.metadata.uid, undefined, 'create must not write into the caller object');
  });

  test('generateName gets 5 characters from the Kubernetes alphabet', () => {
    const store = new MemoryStore();
    const obj = pod('');
    obj.metadata.generateName = 'web-';
    const a = store.create('pods', obj);
    const b = store.create('pods', obj);
    assert.match(a.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(a.metadata.name, b.metadata.name);
    storeError(
      () => store.create('pods', pod('')),
      422,
      'Invalid',
      'Pod "" is invalid: metadata.name: Required value: name or generateName is required',
    );
  });

  test('cluster-scoped objects use namespace ""', () => {
    const store = new MemoryStore();
    const node = store.create('nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', namespace: '' },
    });
    assert.equal(node.metadata.namespace, undefined);
    const got = store.get('nodes', '', 'n1');
    assert.equal(got?.metadata.name, 'n1');
    // A read-modify-write of the object as handed out (no namespace field) finds it again.
    const labelled = store.update('nodes', { ...got!, metadata: { ...got!.metadata, labels: { a: 'b' } } });
    assert.deepEqual(labelled.metadata.labels, { a: 'b' });
    assert.equal(
      store.create<KubeObject>('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } }).metadata
        .namespace,
      undefined,
    );
    assert.equal(store.delete('nodes', '', 'n1').metadata.name, 'n1');
  });

  test('Kubernetes messages for not found, already exists and conflict', () => {
    const store = new MemoryStore();
    const web = store.create('pods', pod('web'));
    storeError(() => store.create('pods', pod('web')), 409, 'AlreadyExists', 'pods "web" already exists');
    storeError(() => store.delete('pods', 'default', 'nope'), 404, 'NotFound', 'pods "nope" not found');
    storeError(() => store.update('pods', pod('nope')), 404, 'NotFound', 'pods "nope" not found');
    store.update('pods', { ...web, status: { phase: 'Running' } });
    storeError(
      () => store.update('pods', { ...web, status: { phase: 'Failed' } }),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    storeError(
      () => store.create('deployments', pod('web')) && store.create('deployments', pod('web')),
      409,
      'AlreadyExists',
      'deployments.apps "web" already exists',
    );
    storeError(
      () => store.create('pods', { ...pod('x'), metadata: { name: 'x', resourceVersion: '3' } }),
      400,
      'BadRequest',
      /resourceVersion should not be set/,
    );
    assert.equal(store.get('pods', 'default', 'nope'), undefined);
  });

  test('update keeps identity, bumps generation on spec changes only', () => {
    const store = new MemoryStore();
    const web = store.create('pods', pod('web'));
    const status = store.update('pods', {
      ...web,
      metadata: { ...web.metadata, uid: undefined, creationTimestamp: 'x' },
      status: { phase: 'Running' },
    });
    assert.equal(status.metadata.uid, web.metadata.uid);
    assert.equal(status.metadata.creationTimestamp, web.metadata.creationTimestamp);
    assert.equal(status.metadata.generation, 1);
    const spec = store.update('pods', { ...status, spec: { ...status.spec, nodeName: 'node' } });
    assert.equal(spec.metadata.generation, 2);
  });

  test('an unchanged update or mutate writes nothing: no new resourceVersion, no watch event', async () => {
    const store = new MemoryStore();
    const web = store.create('pods', pod('web'));
    const w = collect(store, { resourceVersion: web.metadata.resourceVersion });
    const same = store.update('pods', web);
    assert.equal(same.metadata.resourceVersion, web.metadata.resourceVersion);
    assert.equal(
      store.mutate<TestPod>('pods', 'default', 'web', () => undefined)?.metadata.resourceVersion,
      web.metadata.resourceVersion,
    );
    assert.equal(
      store.mutate<TestPod>('pods', 'default', 'web', (cur) => cur)?.metadata.resourceVersion,
      web.metadata.resourceVersion,
    );
    assert.equal(store.currentResourceVersion(), web.metadata.resourceVersion);
    await settle();
    assert.deepEqual(w.events, []);
    const changed = store.mutate<TestPod>('pods', 'default', 'web', (cur) => ({
      ...cur,
      status: { phase: 'Running' },
    }));
    assert.equal(changed?.status?.phase, 'Running');
    assert.ok(Number(changed?.metadata.resourceVersion) > Number(web.metadata.resourceVersion));
    assert.equal(
      store.mutate('pods', 'default', 'absent', (cur) => cur),
      undefined,
    );
    await settle();
    assert.deepEqual(w.summary(), [`MODIFIED web ${changed?.metadata.resourceVersion}`]);
    w.watch.stop();
  });

  test('mutate ignores a stale resourceVersion (no conflicts for in-process writers)', () => {
    const store = new MemoryStore();
    const web = store.create('pods', pod('web'));
    store.update('pods', { ...web, status: { phase: 'Pending' } });
    const res = store.mutate<TestPod>('pods', 'default', 'web', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, resourceVersion: '1' },
      status: { phase: 'Running' },
    }));
    assert.equal(res?.status?.phase, 'Running');
  });

  test('list filters by namespace, labels and fields, sorted by namespace/name', () => {
    const store = new MemoryStore();
    store.create('pods', pod('b', { app: 'web' }));
    store.create('pods', pod('a', { app: 'db' }));
    store.create('pods', pod('c', { app: 'web' }, 'other'));
    const all = store.list('pods');
    assert.deepEqual(
      all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
      ['default/a', 'default/b', 'other/c'],
    );
    assert.equal(all.resourceVersion, store.currentResourceVersion());
    assert.deepEqual(
      store
        .list('pods', { namespace: 'default', labelSelector: 'app=web' })
        .items.map((p) => p.metadata.name),
      ['b'],
    );
    assert.deepEqual(
      store.list('pods', { fieldSelector: 'metadata.namespace=other' }).items.map((p) => p.metadata.name),
      ['c'],
    );
    assert.deepEqual(
      store.list('pods', { fieldSelector: 'metadata.name!=a', labelSelector: 'app in (web,db)' }).items
        .length,
      2,
    );
    storeError(
      () => store.list('pods', { labelSelector: 'app in web' }),
      400,
      'BadRequest',
      /^unable to parse requirement: /,
    );
  });
});

describe('MemoryStore watch', () => {
  test('without resourceVersion: synthetic ADDED for current objects, then live events, asynchronously', async () => {
    const store = new MemoryStore();
    store.create('pods', pod('a'));
    store.create('pods', pod('b'));
    const w = collect(store);
    assert.equal(w.events.length, 0, 'delivery must be asynchronous');
    const c = store.create('pods', pod('c'));
    store.delete('pods', 'default', 'a');
    await settle();
    assert.deepEqual(
      w.events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED a', 'ADDED b', 'ADDED c', 'DELETED a'],
    );
    assert.equal(w.events[2]?.object.metadata.resourceVersion, c.metadata.resourceVersion);
    w.watch.stop();
    store.create('pods', pod('d'));
    await settle();
    assert.equal(w.events.length, 4, 'no events after stop');
    assert.equal(store.openWatches(), 0);
  });

  test('resourceVersion "0" means "any": synthetic ADDED like no resourceVersion', async () => {
    const store = new MemoryStore();
    store.create('pods', pod('a'));
    const w = collect(store, { resourceVersion: '0' });
    await settle();
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['ADDED'],
    );
    w.watch.stop();
  });

  test('with resourceVersion: replays every change after it, including those between list and watch', async () => {
    const store = new MemoryStore();
    const a = store.create('pods', pod('a'));
    const listRv = store.list('pods').resourceVersion;
    const b = store.create('pods', pod('b'));
    const a2 = store.update('pods', { ...a, status: { phase: 'Running' } });
    const w = collect(store, { resourceVersion: listRv });
    store.delete('pods', 'default', 'b');
    await settle();
    assert.deepEqual(w.summary(), [
      `ADDED b ${b.metadata.resourceVersion}`,
      `MODIFIED a ${a2.metadata.resourceVersion}`,
      `DELETED b ${store.currentResourceVersion()}`,
    ]);
    w.watch.stop();
  });

  test('410 Expired when the resourceVersion is older than the history window', () => {
    const store = new MemoryStore({ historySize: 3 });
    for (let i = 0; i < 6; i++) store.create('pods', pod(`p${i}`));
    // rv 1..6 written; the ring holds 4,5,6 so anything before 3 is gone.
    storeError(
      () => store.watch('pods', { resourceVersion: '2' }, () => {}),
      410,
      'Expired',
      'too old resource version: 2 (3)',
    );
    const ok = store.watch('pods', { resourceVersion: '3' }, () => {});
    ok.stop();
    storeError(
      () => store.watch('pods', { resourceVersion: '99' }, () => {}),
      410,
      'Expired',
      /too large resource version: 99/,
    );
    storeError(
      () => store.watch('pods', { resourceVersion: 'abc' }, () => {}),
      400,
      'BadRequest',
      'invalid resource version "abc"',
    );
  });

  test('the history window is per resource: noisy events do not expire pod watches', async () => {
    const store = new MemoryStore({ historySize: 2 });
    const first = store.create('pods', pod('first')).metadata.resourceVersion;
    store.create('pods', pod('a'));
    for (let i = 0; i < 10; i++) store.create('events', pod(`e${i}`));
    const replay = collect(store, { resourceVersion: first });
    await settle();
    assert.deepEqual(
      replay.events.map((e) => e.object.metadata.name),
      ['a'],
    );
    replay.watch.stop();
  });

  test('filtered watch: DELETED when an object stops matching, ADDED when it starts', async () => {
    const store = new MemoryStore();
    const a = store.create('pods', pod('a', { app: 'web' }));
    const w = collect(store, { labelSelector: 'app=web' });
    const a2 = store.update('pods', { ...a, metadata: { ...a.metadata, labels: { app: 'db' } } });
    const a3 = store.update('pods', { ...a2, metadata: { ...a2.metadata, labels: { app: 'web' } } });
    store.update('pods', { ...a3, status: { phase: 'Running' } });
    store.create('pods', pod('other', { app: 'db' }));
    await settle();
    assert.deepEqual(
      w.events.map((e) => `${e.type} ${e.object.metadata.labels?.app}`),
      ['ADDED web', 'DELETED web', 'ADDED web', 'MODIFIED web'],
    );
    // The DELETED carries the last matching state at the resourceVersion of the change.
    assert.equal(w.events[1]?.object.metadata.resourceVersion, a2.metadata.resourceVersion);
    w.watch.stop();
  });

  test('field-selected watch by metadata.name (kubectl delete --wait, rollout status)', async () => {
    const store = new MemoryStore();
    store.create('pods', pod('a'));
    store.create('pods', pod('b'));
    const w = collect(store, { fieldSelector: 'metadata.name=b', namespace: 'default' });
    store.delete('pods', 'default', 'a');
    store.delete('pods', 'default', 'b');
    await settle();
    assert.deepEqual(
      w.events.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED b', 'DELETED b'],
    );
    w.watch.stop();
  });

  test('events written from inside a watch handler are delivered after the current one, in order', async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const w = store.watch<TestPod>('pods', {}, (ev) => {
      seen.push(`${ev.type} ${ev.object.metadata.name}`);
      if (ev.object.metadata.name === 'a' && ev.type === 'ADDED') store.create('pods', pod('from-handler'));
    });
    store.create('pods', pod('a'));
    store.create('pods', pod('b'));
    await settle();
    assert.deepEqual(seen, ['ADDED a', 'ADDED b', 'ADDED from-handler']);
    w.stop();
  });

  test('each watcher gets its own copy', async () => {
    const store = new MemoryStore();
    const got: TestPod[] = [];
    const w1 = store.watch<TestPod>('pods', {}, (ev) => {
      ev.object.metadata.name = 'mutated';
      got.push(ev.object);
    });
    const w2 = store.watch<TestPod>('pods', {}, (ev) => got.push(ev.object));
    store.create('pods', pod('a'));
    await settle();
    assert.equal(got[1]?.metadata.name, 'a');
    assert.equal(store.get('pods', 'default', 'a')?.metadata.name, 'a');
    w1.stop();
    w2.stop();
  });

  test('a bad selector fails the watch call itself with 400', () => {
    const store = new MemoryStore();
    storeError(
      () => store.watch('pods', { fieldSelector: 'nonsense' }, () => {}),
      400,
      'BadRequest',
      "invalid selector: 'nonsense'; can't understand 'nonsense'",
    );
    assert.equal(store.openWatches(), 0);
  });
});
