import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { BOOKMARK_PERIOD_MS, nextBookmarkTime } from '../../../src/server/watch.js';
import { FakeClock } from '../../../src/util/clock.js';
import { openStream, podManifest, startHarness, waitUntil } from './harness.js';

interface Line {
  type: string;
  object: KubeObject;
}

const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

describe('watch bookmarks (kubectl-surface §1.5: only when asked)', () => {
  test('§1.5 allowWatchBookmarks=true: a BOOKMARK about once a minute, carrying only kind and the current resourceVersion', async () => {
    const clock = new FakeClock();
    const h = await startHarness({ clock });
    try {
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('a') });
      const rv = h.store.currentResourceVersion();
      const stream = await openStream(
        h.server.url,
        `/api/v1/namespaces/default/pods?allowWatchBookmarks=true&resourceVersion=${rv}&watch=true`,
      );
      await clock.advance(BOOKMARK_PERIOD_MS - 1_000);
      assert.deepEqual(stream.lines, [], 'nothing before the first minute');
      await clock.advance(1_000);
      await stream.waitForLines(1);
      assert.deepEqual(parse(stream.lines), [
        { type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: rv } } },
      ]);
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('b') });
      await clock.advance(BOOKMARK_PERIOD_MS);
      const lines = parse(await stream.waitForLines(3));
      assert.deepEqual(
        lines.map((l) => l.type),
        ['BOOKMARK', 'ADDED', 'BOOKMARK'],
      );
      assert.equal(lines[2]?.object.metadata.resourceVersion, h.store.currentResourceVersion());
      assert.equal(stream.ended, false, 'bookmarks never end the stream');
      stream.disconnect();
      await waitUntil(() => h.store.openWatches() === 0, 'the watch to be dropped');
      await waitUntil(() => clock.pending() === 0, 'the bookmark timer to be cancelled');
    } finally {
      await h.close();
    }
  });

  test('§1.5 without allowWatchBookmarks no BOOKMARK is ever sent (kubectl get -w would print <unknown>)', async () => {
    const clock = new FakeClock();
    const h = await startHarness({ clock });
    try {
      const stream = await openStream(h.server.url, '/api/v1/namespaces/default/pods?watch=true');
      await clock.advance(10 * BOOKMARK_PERIOD_MS);
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('a') });
      assert.deepEqual(
        parse(await stream.waitForLines(1)).map((l) => l.type),
        ['ADDED'],
      );
      assert.equal(clock.pending(), 0, 'no bookmark timer was armed');
      assert.ok(!stream.lines.some((l) => l.includes('BOOKMARK')));
      stream.disconnect();
    } finally {
      await h.close();
    }
  });

  test('§1.5 with timeoutSeconds a last bookmark goes out 2 s before the stream ends', async () => {
    const clock = new FakeClock();
    const h = await startHarness({ clock });
    try {
      const stream = await openStream(
        h.server.url,
        '/api/v1/pods?allowWatchBookmarks=true&timeoutSeconds=30&watch=true',
      );
      await clock.advance(27_999);
      assert.deepEqual(stream.lines, []);
      await clock.advance(1);
      assert.deepEqual(
        parse(await stream.waitForLines(1)).map((l) => l.type),
        ['BOOKMARK'],
      );
      assert.equal(stream.ended, false);
      await clock.advance(2_000);
      await stream.end;
      assert.equal(stream.lines.length, 1, 'exactly one bookmark, then the end');
      assert.equal(clock.pending(), 0);
    } finally {
      await h.close();
    }
  });

  test('§1.5 a bookmark follows the events committed before it, and its resourceVersion resumes a watch', async () => {
    const clock = new FakeClock();
    const h = await startHarness({ clock });
    try {
      const stream = await openStream(
        h.server.url,
        '/api/v1/namespaces/default/pods?allowWatchBookmarks=1&watch=true',
      );
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('a') });
      await clock.advance(BOOKMARK_PERIOD_MS);
      const [added, bookmark] = parse(await stream.waitForLines(2));
      assert.equal(added?.type, 'ADDED');
      assert.equal(bookmark?.type, 'BOOKMARK');
      const bookmarkRv = bookmark?.object.metadata.resourceVersion as string;
      assert.ok(Number(bookmarkRv) >= Number(added?.object.metadata.resourceVersion));
      stream.disconnect();

      // An informer reconnects from the bookmark: it gets what came after, not a 410.
      const resumed = await openStream(
        h.server.url,
        `/api/v1/namespaces/default/pods?resourceVersion=${bookmarkRv}&watch=true`,
      );
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('b') });
      assert.deepEqual(
        parse(await resumed.waitForLines(1)).map((l) => `${l.type} ${l.object.metadata.name}`),
        ['ADDED b'],
      );
      resumed.disconnect();
    } finally {
      await h.close();
    }
  });

  test('§1.5 an invalid allowWatchBookmarks value is a 400 Status', async () => {
    const h = await startHarness();
    try {
      const res = await h.request('GET', '/api/v1/pods?watch=true&allowWatchBookmarks=maybe');
      assert.equal(res.status, 400);
      assert.equal(res.json().kind, 'Status');
    } finally {
      await h.close();
    }
  });

  test('nextBookmarkTime: a minute from now, or 2 s before the deadline if sooner, none once past', () => {
    const now = 1_000_000;
    assert.equal(nextBookmarkTime(now, undefined), now + 60_000);
    assert.equal(nextBookmarkTime(now, now + 300_000), now + 60_000);
    assert.equal(nextBookmarkTime(now, now + 30_000), now + 28_000);
    assert.equal(nextBookmarkTime(now, now + 2_000), now);
    assert.equal(nextBookmarkTime(now, now + 1_000), undefined);
  });
});
