import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { startApiServer } from '../../../src/server/api-server.js';
import { FakeClock } from '../../../src/util/clock.js';
import {
  FakeLogs,
  openStream,
  podManifest,
  startHarness,
  stubAdmitPod,
  TOKEN,
  waitUntil,
  type Harness,
} from './harness.js';

interface Line {
  type: string;
  object: KubeObject & { status?: { phase?: string }; code?: number; reason?: string; message?: string };
}

const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

describe('watch streams (kubectl-surface §1.5)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    for (const p of h.store.list('pods').items)
      h.store.delete('pods', p.metadata.namespace ?? '', p.metadata.name);
  });

  test('list RV, then ?watch=true&resourceVersion: ADDED then MODIFIED lines, chunked, kept open, closed cleanly', async () => {
    const listed = await h.request('GET', '/api/v1/namespaces/default/pods?limit=500');
    const rv = listed.json<{ metadata: { resourceVersion: string } }>().metadata.resourceVersion;
    const stream = await openStream(
      h.server.url,
      `/api/v1/namespaces/default/pods?resourceVersion=${rv}&watch=true`,
    );
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['transfer-encoding'], 'chunked');
    assert.equal(stream.headers['content-length'], undefined);
    assert.match(stream.headers['content-type'] ?? '', /^application\/json/);
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
    h.store.mutate<KubeObject & { status?: unknown }>('pods', 'default', 'web', (p) => ({
      ...p,
      status: { phase: 'Running' },
    }));
    const lines = parse(await stream.waitForLines(2));
    assert.deepEqual(
      lines.map((l) => [l.type, l.object.kind, l.object.metadata.name]),
      [
        ['ADDED', 'Pod', 'web'],
        ['MODIFIED', 'Pod', 'web'],
      ],
    );
    assert.equal(lines[1]?.object.status?.phase, 'Running');
    assert.equal(lines[1]?.object.metadata.resourceVersion, h.store.currentResourceVersion());
    // Each line is exactly one JSON object with type and object.
    assert.deepEqual(Object.keys(JSON.parse(stream.lines[0] as string) as object), ['type', 'object']);
    assert.equal(stream.ended, false, 'a watch without timeoutSeconds stays open');
    assert.equal(h.store.openWatches(), 1);
    stream.disconnect();
    await waitUntil(() => h.store.openWatches() === 0, 'the server to drop the watch after the client left');
  });

  test('without resourceVersion (kubectl events -w): synthetic ADDED for existing objects first', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('a') });
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('b') });
    const stream = await openStream(h.server.url, '/api/v1/namespaces/default/pods?watch=1');
    await h.request('DELETE', '/api/v1/namespaces/default/pods/a');
    const lines = parse(await stream.waitForLines(3));
    assert.deepEqual(
      lines.map((l) => `${l.type} ${l.object.metadata.name}`),
      ['ADDED a', 'ADDED b', 'DELETED a'],
    );
    stream.disconnect();
    await waitUntil(() => h.store.openWatches() === 0, 'watch cleanup');
  });

  test('a resourceVersion older than the history: one ERROR line with a 410 Expired Status, then the end', async () => {
    const small = new MemoryStore({ historySize: 2 });
    const server = await startApiServer({
      store: small,
      logs: new FakeLogs(),
      token: TOKEN,
      admitPod: stubAdmitPod,
    });
    try {
      for (let i = 0; i < 5; i++)
        small.create('pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}` } });
      const stream = await openStream(server.url, '/api/v1/pods?watch=true&resourceVersion=1');
      await stream.end;
      assert.equal(stream.status, 200);
      assert.deepEqual(parse(stream.lines), [
        {
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: 'too old resource version: 1 (3)',
            reason: 'Expired',
            code: 410,
          },
        },
      ]);
      assert.equal(small.openWatches(), 0);
    } finally {
      await server.close();
    }
  });

  test('fieldSelector=metadata.name (kubectl delete --wait) and the legacy /watch/ item path', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('a') });
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('b') });
    const rv = h.store.currentResourceVersion();
    const bySelector = await openStream(
      h.server.url,
      `/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Db&resourceVersion=${rv}&watch=true&allowWatchBookmarks=true`,
    );
    const legacy = await openStream(h.server.url, '/api/v1/watch/namespaces/default/pods/b');
    await h.request('DELETE', '/api/v1/namespaces/default/pods/a');
    await h.request('DELETE', '/api/v1/namespaces/default/pods/b');
    assert.deepEqual(
      parse(await bySelector.waitForLines(1)).map((l) => `${l.type} ${l.object.metadata.name}`),
      ['DELETED b'],
    );
    assert.deepEqual(
      parse(await legacy.waitForLines(2)).map((l) => `${l.type} ${l.object.metadata.name}`),
      ['ADDED b', 'DELETED b'],
    );
    bySelector.disconnect();
    legacy.disconnect();
    await waitUntil(() => h.store.openWatches() === 0, 'watch cleanup');
    // No bookmark was ever sent, even though it was allowed.
    assert.ok(!bySelector.lines.some((l) => l.includes('BOOKMARK')));
  });

  test('label-filtered watch sees DELETED when a pod stops matching', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest('a', { labels: { app: 'web' } }),
    });
    const stream = await openStream(h.server.url, '/api/v1/pods?watch=true&labelSelector=app%3Dweb');
    h.store.mutate<KubeObject>('pods', 'default', 'a', (p) => ({
      ...p,
      metadata: { ...p.metadata, labels: { app: 'db' } },
    }));
    assert.deepEqual(
      parse(await stream.waitForLines(2)).map((l) => `${l.type} ${l.object.metadata.labels?.app}`),
      ['ADDED web', 'DELETED web'],
    );
    stream.disconnect();
    await waitUntil(() => h.store.openWatches() === 0, 'watch cleanup');
  });

  test('a bad selector on a watch is a plain 400 Status, not a stream', async () => {
    const res = await h.request('GET', '/api/v1/pods?watch=true&labelSelector=a%20in%20b');
    assert.equal(res.status, 400);
    assert.equal(res.json().kind, 'Status');
  });
});

describe('watch lifetime', () => {
  test('timeoutSeconds ends the stream (informers), on the injected clock', async () => {
    const clock = new FakeClock();
    const h = await startHarness({ clock });
    try {
      const stream = await openStream(h.server.url, '/api/v1/pods?watch=true&timeoutSeconds=300');
      await clock.advance(299_000);
      assert.equal(stream.ended, false);
      await clock.advance(1_000);
      await stream.end;
      assert.equal(h.store.openWatches(), 0);
      assert.equal(clock.pending(), 0);
    } finally {
      await h.close();
    }
  });

  test('close() ends open watches and releases them', async () => {
    const h = await startHarness();
    const stream = await openStream(h.server.url, '/api/v1/pods?watch=true');
    assert.equal(h.store.openWatches(), 1);
    await h.close();
    await stream.end;
    await waitUntil(() => h.store.openWatches() === 0, 'watch cleanup on close');
  });
});
