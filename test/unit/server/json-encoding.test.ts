import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { encodeList, encodeObject, encodeWatchEvent } from '../../../src/server/json-encoding.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { openStream, podManifest, startHarness } from './harness.js';

function pod(name: string, label: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { v: label } } } as KubeObject;
}

describe('JSON encoding of stored objects (cached per frozen object)', () => {
  test('a list is byte for byte JSON.stringify of the same list, frozen items or not', () => {
    const store = new MemoryStore();
    store.create('pods', pod('a', '"quoted"\n'));
    store.create('pods', pod('b', 'ü'));
    const head = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '2' } };
    for (const shared of [true, false]) {
      const items = store.list('pods', { shared }).items;
      assert.equal(encodeList(head, items), JSON.stringify({ ...head, items }));
    }
    assert.equal(encodeList(head, []), JSON.stringify({ ...head, items: [] }));
  });

  test('a watch line is JSON.stringify({ type, object }) and a newline', () => {
    const obj = pod('a', 'x');
    assert.equal(encodeWatchEvent('MODIFIED', obj), `${JSON.stringify({ type: 'MODIFIED', object: obj })}\n`);
  });

  test('an unfrozen object is encoded afresh each time (a change shows)', () => {
    const obj = pod('a', '1');
    assert.match(encodeObject(obj), /"v":"1"/);
    (obj.metadata.labels as Record<string, string>).v = '2';
    assert.match(encodeObject(obj), /"v":"2"/);
  });

  test('over HTTP: a list and a watch show every update (no stale cached text)', async () => {
    const h = await startHarness();
    try {
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
      const first = await h.request('GET', '/api/v1/namespaces/default/pods');
      const rv = first.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
      const stream = await openStream(
        h.server.url,
        `/api/v1/namespaces/default/pods?watch=1&resourceVersion=${rv}`,
      );
      for (const v of ['1', '2']) {
        const patch = await h.request('PATCH', '/api/v1/namespaces/default/pods/web', {
          rawBody: JSON.stringify({ metadata: { labels: { v } } }),
          headers: { 'Content-Type': 'application/merge-patch+json' },
        });
        assert.equal(patch.status, 200);
        const list = await h.request('GET', '/api/v1/namespaces/default/pods');
        const items = list.json<{ items: KubeObject[] }>().items;
        assert.equal(items[0]?.metadata.labels?.v, v);
        assert.equal(list.text, JSON.stringify(list.json()), 'the body is plain JSON');
      }
      const lines = (await stream.waitForLines(2)).map(
        (l) => JSON.parse(l) as { type: string; object: KubeObject },
      );
      assert.deepEqual(
        lines.map((l) => `${l.type} ${l.object.metadata.labels?.v}`),
        ['MODIFIED 1', 'MODIFIED 2'],
      );
      stream.disconnect();
    } finally {
      await h.close();
    }
  });
});
