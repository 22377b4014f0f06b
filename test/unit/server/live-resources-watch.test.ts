import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProbeHistory, ProbeRunReport } from '../../../src/api/probe-history.js';
import type { ServiceTraffic } from '../../../src/api/service-traffic.js';
import type { Container, Probe } from '../../../src/api/types.js';
import { PodProbeHistory, type PodIdentity } from '../../../src/kubelet/probe-history.js';
import { ProbeRunError } from '../../../src/kubelet/probe-run.js';
import { ProxyStats } from '../../../src/proxy/stats.js';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import type { ProbeHistorySource } from '../../../src/server/probe-histories.js';
import { startServiceTraffic, type ServiceTrafficSource } from '../../../src/server/service-traffic.js';
import { COALESCE_MS } from '../../../src/server/virtual-watch.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ChangeFeed, TOMBSTONE_LIMIT } from '../../../src/util/change-feed.js';
import { FakeClock } from '../../../src/util/clock.js';
import { FakeLogs, openStream, request, stubAdmitPod, waitUntil, type Stream } from './harness.js';

/**
 * Issue 8 contract 4: watches of probehistories and servicetraffics on a fake clock. Events are
 * the CURRENT object, at most one per object per COALESCE_MS (trailing edge), and a watch from a
 * list's resourceVersion first sends what changed since. "Nothing was sent" is proven by ordering:
 * a change of ANOTHER object (never held back) is written after it, so its line arriving first
 * means the held-back one was not written.
 */

const BASE = '/apis/podvisor.io/v1alpha1';
const APP: Container = { name: 'app', image: 'busybox' };
const LIVENESS: Probe = { httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 1 };

interface Event<T> {
  type: string;
  object: T;
}

/** The kubelet side, with the real history classes and one feed. */
class Histories implements ProbeHistorySource {
  readonly changes = new ChangeFeed<PodIdentity>();
  readonly pods = new Map<string, PodProbeHistory>();
  constructor(private readonly clock: FakeClock) {}
  add(namespace: string, name: string): PodProbeHistory {
    const h = new PodProbeHistory({ name, namespace, uid: `uid-${namespace}-${name}` }, this.changes);
    this.pods.set(h.pod.uid, h);
    return h;
  }
  /** One liveness failure recorded, as a probe worker does. */
  fail(h: PodProbeHistory, consecutive: number): void {
    h.ring(APP, 'Liveness', LIVENESS).push(
      this.clock.now(),
      'c1',
      'failure',
      2,
      `fail #${consecutive}`,
      consecutive,
      undefined,
      false,
    );
  }
  remove(h: PodProbeHistory): void {
    this.pods.delete(h.pod.uid);
    h.forget();
  }
  probeHistory(namespace: string, name: string): ProbeHistory | undefined {
    return this.probeHistories(namespace).find((h) => h.metadata.name === name);
  }
  probeHistories(namespace?: string): ProbeHistory[] {
    return [...this.pods.values()]
      .filter((h) => namespace === undefined || h.pod.namespace === namespace)
      .map((h) => h.toObject());
  }
  probeHistoryOfUid(uid: string): ProbeHistory | undefined {
    return this.pods.get(uid)?.toObject();
  }
  runProbeNow(): Promise<ProbeRunReport> {
    return Promise.reject(new ProbeRunError(404, 'not in this test'));
  }
}

const events = <T>(lines: string[]): Event<T>[] => lines.map((l) => JSON.parse(l) as Event<T>);
const messages = (h: ProbeHistory): string[] => h.probes.flatMap((p) => p.results.map((r) => r.message));

describe('live resources: probehistories and servicetraffics watches (issue 8, contract 4)', () => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const histories = new Histories(clock);
  const stats = new ProxyStats();
  let traffic: ServiceTrafficSource;
  let server: ApiServer;
  const get = <T>(path: string, headers: Record<string, string> = {}): Promise<T> =>
    request(server.url, 'GET', path, { headers }).then((r) => {
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      return r.json<T>();
    });
  const open = async (path: string): Promise<Stream> => {
    const s = await openStream(server.url, path);
    assert.equal(s.status, 200, path);
    return s;
  };
  const closeAndCheckFree = async (stream: Stream): Promise<void> => {
    stream.disconnect();
    await waitUntil(
      () => histories.changes.listenerCount === 0 && traffic.changes.listenerCount === 0,
      'the watch to unsubscribe',
    );
    await clock.advance(COALESCE_MS);
    assert.equal(clock.pending(), 0, 'no timer is left behind by a closed watch');
  };

  before(async () => {
    traffic = startServiceTraffic(store, stats);
    server = await startApiServer({
      store,
      logs: new FakeLogs(),
      token: 'test-token-0123456789',
      admitPod: stubAdmitPod,
      clock,
      probeHistories: histories,
      serviceTraffic: traffic,
    });
  });
  after(async () => {
    traffic.stop();
    await server.close();
  });

  test('discovery lists watch for both resources (kubectl get -w needs it)', async () => {
    const list = await get<{ resources: { name: string; verbs: string[] }[] }>(BASE);
    const verbs = Object.fromEntries(list.resources.map((r) => [r.name, r.verbs]));
    assert.deepEqual(verbs.probehistories, ['get', 'list', 'watch']);
    assert.deepEqual(verbs.servicetraffics, ['get', 'list', 'watch']);
  });

  test('probehistories: a burst of 20 probe runs in 200 ms reaches a watcher as 2 events, the last one the final state', async () => {
    const web = histories.add('default', 'web');
    const list = await get<{ metadata: { resourceVersion: string }; items: ProbeHistory[] }>(
      `${BASE}/namespaces/default/probehistories`,
    );
    const rv = list.metadata.resourceVersion;
    assert.equal(list.items.find((h) => h.metadata.name === 'web')?.metadata.resourceVersion, rv);
    const stream = await open(`${BASE}/namespaces/default/probehistories?watch=1&resourceVersion=${rv}`);
    const marker = histories.add('default', 'marker');
    await clock.advance(0);
    assert.deepEqual(
      events<ProbeHistory>(await stream.waitForLines(1)).map((e) => [e.type, e.object.metadata.name]),
      [['ADDED', 'marker']],
      'nothing changed in web since the list: only the new object',
    );
    await clock.advance(COALESCE_MS); // the marker's own window ends
    // Leading edge: the first run goes out at once; the next 19 (10 ms apart) are held back.
    for (let i = 1; i <= 20; i++) {
      histories.fail(web, i);
      await clock.advance(i === 20 ? 0 : 10);
    }
    histories.fail(marker, 1);
    await clock.advance(0);
    const firstTwo = events<ProbeHistory>(await stream.waitForLines(3)).slice(1);
    assert.deepEqual(
      firstTwo.map((e) => [e.type, e.object.metadata.name]),
      [
        ['MODIFIED', 'web'],
        ['MODIFIED', 'marker'],
      ],
      'within the window only the first run of web was sent (the marker overtook the rest)',
    );
    assert.deepEqual(messages(firstTwo[0]?.object as ProbeHistory), ['fail #1']);
    // The trailing edge: the window of web ends 250 ms after its first event, with all 20 runs.
    await clock.advance(COALESCE_MS);
    const last = events<ProbeHistory>(await stream.waitForLines(4))[3] as Event<ProbeHistory>;
    assert.equal(last.type, 'MODIFIED');
    assert.equal(messages(last.object).length, 20);
    assert.equal(messages(last.object).at(-1), 'fail #20');
    assert.equal(
      last.object.metadata.resourceVersion,
      String(histories.changes.version),
      'nothing is held back now',
    );
    await clock.advance(10 * COALESCE_MS);
    histories.fail(marker, 2);
    await clock.advance(0);
    const after = events<ProbeHistory>(await stream.waitForLines(5));
    assert.equal(after.length, 5, 'no more events of web once its window closed');
    assert.equal(after[4]?.object.metadata.name, 'marker');
    histories.remove(web);
    histories.remove(marker);
    await clock.advance(COALESCE_MS);
    const gone = events<ProbeHistory>(await stream.waitForLines(7)).slice(5);
    assert.deepEqual(gone.map((e) => [e.type, e.object.metadata.name]).sort(), [
      ['DELETED', 'marker'],
      ['DELETED', 'web'],
    ]);
    await closeAndCheckFree(stream);
  });

  test('probehistories: a watch from an older version first replays what changed since (ADDED / MODIFIED / DELETED), then goes live', async () => {
    const a = histories.add('replay', 'a');
    const b = histories.add('replay', 'b');
    const rv = String(histories.changes.version);
    histories.fail(a, 1); // existed at rv: MODIFIED
    histories.remove(b); // existed at rv: DELETED
    const c = histories.add('replay', 'c'); // new since rv: ADDED
    const d = histories.add('replay', 'd');
    histories.remove(d); // born and gone after rv: never seen
    const stream = await open(`${BASE}/namespaces/replay/probehistories?watch=true&resourceVersion=${rv}`);
    const replay = events<ProbeHistory>(await stream.waitForLines(3));
    assert.deepEqual(
      replay.map((e) => [e.type, e.object.metadata.name]),
      [
        ['MODIFIED', 'a'],
        ['DELETED', 'b'],
        ['ADDED', 'c'],
      ],
    );
    assert.deepEqual(messages(replay[0]?.object as ProbeHistory), ['fail #1']);
    histories.fail(c, 1);
    await clock.advance(COALESCE_MS);
    const live = events<ProbeHistory>(await stream.waitForLines(4))[3];
    assert.deepEqual([live?.type, live?.object.metadata.name], ['MODIFIED', 'c']);
    await closeAndCheckFree(stream);
    histories.remove(a);
    histories.remove(c);
  });

  test('resuming from the last event seen loses no change that coalescing still held back', async () => {
    const a = histories.add('resume', 'a');
    const b = histories.add('resume', 'b');
    const stream = await open(`${BASE}/namespaces/resume/probehistories?watch=1`);
    await stream.waitForLines(2); // both ADDED (the current state)
    await clock.advance(COALESCE_MS);
    histories.fail(a, 1);
    await clock.advance(0); // a's first change goes out: its window opens
    histories.fail(a, 2); // held back until the window ends
    const heldVersion = histories.changes.version;
    await clock.advance(10);
    histories.fail(b, 1); // b's window is closed: it goes out now, ahead of a's newer change
    await clock.advance(0);
    const seen = events<ProbeHistory>(await stream.waitForLines(4));
    assert.deepEqual(
      seen.slice(2).map((e) => e.object.metadata.name),
      ['a', 'b'],
    );
    const resumeAt = seen[3]?.object.metadata.resourceVersion ?? '';
    assert.ok(
      Number(resumeAt) < heldVersion,
      `b's event (${resumeAt}) must not claim a's held change (${heldVersion})`,
    );
    stream.disconnect();
    await waitUntil(() => histories.changes.listenerCount === 0, 'the first watch to go');
    const again = await open(`${BASE}/namespaces/resume/probehistories?watch=1&resourceVersion=${resumeAt}`);
    const replay = events<ProbeHistory>(await again.waitForLines(2));
    const aNow = replay.find((e) => e.object.metadata.name === 'a');
    assert.deepEqual(
      messages(aNow?.object as ProbeHistory),
      ['fail #1', 'fail #2'],
      "a's held change arrives",
    );
    await closeAndCheckFree(again);
    histories.remove(a);
    histories.remove(b);
  });

  test('a version newer than any handed out (another run of the node) or older than the kept deletions is 410 Expired', async () => {
    const future = await open(
      `${BASE}/probehistories?watch=1&resourceVersion=${histories.changes.version + 5}`,
    );
    const [line] = events<{ code: number; reason: string }>(await future.waitForLines(1));
    assert.deepEqual([line?.type, line?.object.code, line?.object.reason], ['ERROR', 410, 'Expired']);
    await future.end;
    const rv = histories.changes.version;
    for (let i = 0; i <= TOMBSTONE_LIMIT; i++) histories.remove(histories.add('churn', `p${i}`));
    const old = await open(`${BASE}/probehistories?watch=1&resourceVersion=${rv}`);
    assert.equal(events<{ code: number }>(await old.waitForLines(1))[0]?.object.code, 410);
    const bad = await request(server.url, 'GET', `${BASE}/probehistories?watch=1&resourceVersion=abc`);
    assert.equal(bad.status, 400);
  });

  test('nobody watching costs nothing: changes start no timer and reach no listener', async () => {
    const h = histories.add('idle', 'p');
    for (let i = 1; i <= 100; i++) histories.fail(h, i);
    assert.equal(histories.changes.listenerCount, 0);
    assert.equal(clock.pending(), 0);
    histories.remove(h);
  });

  test('fieldSelector metadata.name selects one object; other selectors are refused naming the field', async () => {
    const x = histories.add('sel', 'x');
    const y = histories.add('sel', 'y');
    const list = await get<{ items: ProbeHistory[] }>(
      `${BASE}/namespaces/sel/probehistories?fieldSelector=metadata.name%3Dy`,
    );
    assert.deepEqual(
      list.items.map((h) => h.metadata.name),
      ['y'],
    );
    const stream = await open(
      `${BASE}/namespaces/sel/probehistories?watch=1&fieldSelector=metadata.name%3Dx`,
    );
    assert.deepEqual(
      events<ProbeHistory>(await stream.waitForLines(1)).map((e) => e.object.metadata.name),
      ['x'],
    );
    await closeAndCheckFree(stream);
    for (const q of ['fieldSelector=status.phase%3DRunning', 'labelSelector=app%3Dweb']) {
      const res = await request(server.url, 'GET', `${BASE}/namespaces/sel/probehistories?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(res.json<{ message: string }>().message, /^(fieldSelector|labelSelector): /);
    }
    histories.remove(x);
    histories.remove(y);
  });

  test('servicetraffics: every Service has one (zeros before traffic); connections, pods and rejections follow the proxy, coalesced', async () => {
    store.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
        clusterIP: '127.77.0.1',
      },
    });
    store.create('endpoints', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: '127.1.0.2', targetRef: { kind: 'Pod', name: 'web-a', namespace: 'default' } }],
          notReadyAddresses: [
            { ip: '127.1.0.3', targetRef: { kind: 'Pod', name: 'web-b', namespace: 'default' } },
          ],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ],
    });
    await clock.advance(0);
    const list = await get<{ metadata: { resourceVersion: string }; items: ServiceTraffic[] }>(
      `${BASE}/namespaces/default/servicetraffics`,
    );
    const web = list.items.find((t) => t.metadata.name === 'web');
    assert.deepEqual(web?.ports, [{ name: 'http', port: 80, protocol: 'TCP', rejected: 0 }]);
    assert.deepEqual(web?.backends, [
      {
        address: '127.1.0.2:8080',
        port: 80,
        ready: true,
        connections: 0,
        active: 0,
        pod: { name: 'web-a', namespace: 'default' },
      },
      {
        address: '127.1.0.3:8080',
        port: 80,
        ready: false,
        connections: 0,
        active: 0,
        pod: { name: 'web-b', namespace: 'default' },
      },
    ]);
    const stream = await open(
      `${BASE}/namespaces/default/servicetraffics?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
    );
    // 5 connections and 1 rejection at one instant: the watcher gets one object with all of them.
    for (let i = 0; i < 5; i++) stats.opened('default/web', '127.1.0.2:8080');
    stats.closed('default/web', '127.1.0.2:8080');
    stats.rejected('default/web', 'http');
    await clock.advance(0);
    const [first] = events<ServiceTraffic>(await stream.waitForLines(1));
    assert.equal(first?.type, 'MODIFIED');
    assert.deepEqual(
      first?.object.backends.map((b) => [b.address, b.connections, b.active]),
      [
        ['127.1.0.2:8080', 5, 4],
        ['127.1.0.3:8080', 0, 0],
      ],
    );
    assert.equal(first?.object.ports[0]?.rejected, 1);
    // A backend that left the Endpoints keeps its count, without a pod or readiness.
    stats.opened('default/web', '127.1.0.9:8080');
    await clock.advance(COALESCE_MS);
    const [, second] = events<ServiceTraffic>(await stream.waitForLines(2));
    assert.deepEqual(second?.object.backends.at(-1), {
      address: '127.1.0.9:8080',
      port: 80,
      connections: 1,
      active: 1,
    });
    const table = await get<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(
      `${BASE}/namespaces/default/servicetraffics`,
      { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    );
    assert.deepEqual(
      table.columnDefinitions.map((c) => c.name),
      ['Name', 'Backends', 'Connections', 'Active', 'Rejected', 'Age'],
    );
    assert.deepEqual(table.rows[0]?.cells.slice(0, 5), ['web', 3, 6, 5, 1]);
    store.delete('services', 'default', 'web');
    await clock.advance(COALESCE_MS);
    const [, , gone] = events<ServiceTraffic>(await stream.waitForLines(3));
    assert.deepEqual([gone?.type, gone?.object.metadata.name], ['DELETED', 'web']);
    await closeAndCheckFree(stream);
  });
});

describe('ChangeFeed (versions of objects outside the store)', () => {
  test('since(rv): a deletion and a re-creation under one key are a DELETED then an ADDED incarnation', () => {
    const feed = new ChangeFeed();
    const meta = { namespace: 'default', name: 'web' };
    feed.touch('k', meta);
    const rv = feed.version;
    feed.remove('k');
    feed.touch('k', meta);
    const changes = feed.since(rv) ?? [];
    assert.deepEqual(
      changes.map((c) => [c.deleted, c.entry.created > rv]),
      [
        [true, false],
        [false, true],
      ],
    );
    assert.equal(feed.since(feed.version + 1), undefined, 'a future version cannot be resumed');
  });
});
