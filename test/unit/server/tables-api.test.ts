import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { Table } from '../../../src/server/tables/index.js';
import { FakeClock } from '../../../src/util/clock.js';
import { podManifest, startHarness, TOKEN, type Harness } from './harness.js';

const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const TABLE_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const asTable = { headers: { Accept: TABLE_ACCEPT } };

interface TableEvent {
  type: string;
  object: Table & { code?: number };
}

/** A watch opened with kubectl get -w's Accept header; resolves lines as they arrive. */
function openTableWatch(
  base: string,
  path: string,
): Promise<{ contentType: string; next(n: number): Promise<TableEvent[]>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL(path, base),
      { headers: { Authorization: `Bearer ${TOKEN}`, Accept: TABLE_ACCEPT } },
      (res) => {
        const lines: string[] = [];
        let buffer = '';
        let wake: (() => void) | undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let i: number;
          while ((i = buffer.indexOf('\n')) >= 0) {
            lines.push(buffer.slice(0, i));
            buffer = buffer.slice(i + 1);
          }
          wake?.();
        });
        resolve({
          contentType: res.headers['content-type'] ?? '',
          async next(n) {
            while (lines.length < n) await new Promise<void>((r) => (wake = r));
            return lines.slice(0, n).map((l) => JSON.parse(l) as TableEvent);
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}

describe('server-side printing over HTTP (kubectl-surface §1.3)', () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 6, 0, 0));
  let h: Harness;
  before(async () => {
    h = await startHarness({ clock });
  });
  after(() => h.close());
  beforeEach(() => {
    for (const r of ['pods', 'events'])
      for (const o of h.store.list(r).items) h.store.delete(r, o.metadata.namespace ?? '', o.metadata.name);
  });

  async function createRunningPod(name: string): Promise<void> {
    const res = await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest(name, { labels: { app: name } }),
    });
    assert.equal(res.status, 201, res.text);
    h.store.mutate<KubeObject & { status?: unknown }>('pods', 'default', name, (p) => ({
      ...p,
      spec: { ...(p as unknown as { spec: object }).spec, nodeName: 'vm' },
      status: {
        phase: 'Running',
        podIP: '10.88.0.9',
        podIPs: [{ ip: '10.88.0.9' }],
        containerStatuses: [
          { name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
        ],
      },
    }));
  }

  test('§1.3 list with the Table Accept: a v1 Table, its content type, list resourceVersion, wide cells', async () => {
    await createRunningPod('web');
    await clock.advance(76_000);
    const res = await h.request('GET', '/api/v1/namespaces/default/pods?limit=500', asTable);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], TABLE_TYPE);
    const t = res.json<Table>();
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.equal(t.metadata.resourceVersion, h.store.currentResourceVersion());
    assert.deepEqual(
      t.columnDefinitions?.map((c) => c.name),
      ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates'],
    );
    assert.deepEqual(t.rows[0]?.cells, [
      'web',
      '1/1',
      'Running',
      '0',
      '76s',
      '10.88.0.9',
      'vm',
      '<none>',
      '<none>',
    ]);
    const partial = t.rows[0]?.object as {
      kind: string;
      apiVersion: string;
      metadata: KubeObject['metadata'];
    };
    assert.equal(partial.kind, 'PartialObjectMetadata');
    assert.equal(partial.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(partial.metadata.labels, { app: 'web' });
    assert.equal(partial.metadata.namespace, 'default');
  });

  test('§2.1 single-object GET: a one-row Table at the object’s resourceVersion; 404 stays a Status', async () => {
    await createRunningPod('one');
    const res = await h.request('GET', '/api/v1/namespaces/default/pods/one', asTable);
    const t = res.json<Table>();
    assert.equal(res.headers['content-type'], TABLE_TYPE);
    assert.equal(t.rows.length, 1);
    assert.equal(t.rows[0]?.cells[0], 'one');
    assert.equal(t.metadata.resourceVersion, h.store.get('pods', 'default', 'one')?.metadata.resourceVersion);
    const missing = await h.request('GET', '/api/v1/namespaces/default/pods/nope', asTable);
    assert.equal(missing.status, 404);
    assert.equal(missing.json<{ message: string }>().message, 'pods "nope" not found');
  });

  test('§1.3 --sort-by sends includeObject=Object: rows carry whole Pods; plain JSON still a PodList', async () => {
    await createRunningPod('full');
    const t = (
      await h.request('GET', '/api/v1/namespaces/default/pods?includeObject=Object', asTable)
    ).json<Table>();
    assert.equal((t.rows[0]?.object as KubeObject).kind, 'Pod');
    assert.equal((t.rows[0]?.object as { status?: { phase?: string } }).status?.phase, 'Running');
    const plain = await h.request('GET', '/api/v1/namespaces/default/pods', {
      headers: { Accept: 'application/json' },
    });
    assert.equal(plain.headers['content-type'], 'application/json');
    assert.equal(plain.json<{ kind: string }>().kind, 'PodList');
    const bad = await h.request('GET', '/api/v1/namespaces/default/pods?includeObject=Everything', asTable);
    assert.equal(bad.status, 400);
  });

  test('§1.3 -A: the all-namespaces list carries each row’s namespace in its metadata', async () => {
    await createRunningPod('anywhere');
    const t = (await h.request('GET', '/api/v1/pods', asTable)).json<Table>();
    assert.equal((t.rows[0]?.object as { metadata: { namespace: string } }).metadata.namespace, 'default');
  });

  test('§2.5 get events: LAST SEEN TYPE REASON OBJECT MESSAGE cells from the stored event', async () => {
    h.store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
      reason: 'Unhealthy',
      message: 'Liveness probe failed: HTTP probe failed with statuscode: 500',
      type: 'Warning',
      source: { component: 'kubelet', host: 'vm' },
      firstTimestamp: new Date(clock.now() - 41_000).toISOString(),
      lastTimestamp: new Date(clock.now() - 31_000).toISOString(),
      count: 3,
    } as KubeObject);
    const t = (await h.request('GET', '/api/v1/namespaces/default/events?limit=500', asTable)).json<Table>();
    assert.deepEqual(t.rows[0]?.cells, [
      '31s',
      'Warning',
      'Unhealthy',
      'pod/web',
      'spec.containers{app}',
      'kubelet, vm',
      'Liveness probe failed: HTTP probe failed with statuscode: 500',
      '41s',
      3,
      'web.1',
    ]);
  });

  test('§1.5 get -w: Table events with one row each, columnDefinitions only on the first', async () => {
    await createRunningPod('watched');
    const listed = (await h.request('GET', '/api/v1/namespaces/default/pods', asTable)).json<Table>();
    const w = await openTableWatch(
      h.server.url,
      `/api/v1/namespaces/default/pods?resourceVersion=${listed.metadata.resourceVersion}&watch=true`,
    );
    try {
      assert.equal(w.contentType, 'application/json');
      h.store.mutate<KubeObject & { status: { containerStatuses: { restartCount: number }[] } }>(
        'pods',
        'default',
        'watched',
        (p) => ({
          ...p,
          status: {
            ...p.status,
            containerStatuses: [{ ...p.status.containerStatuses[0]!, restartCount: 1 }],
          },
        }),
      );
      h.store.delete('pods', 'default', 'watched');
      const [modified, deleted] = await w.next(2);
      assert.equal(modified?.type, 'MODIFIED');
      assert.equal(modified?.object.kind, 'Table');
      assert.equal(modified?.object.columnDefinitions?.length, 9);
      assert.equal(modified?.object.rows.length, 1);
      assert.equal(modified?.object.rows[0]?.cells[3], '1');
      assert.equal(deleted?.type, 'DELETED');
      assert.equal(deleted?.object.columnDefinitions, null);
      assert.equal(deleted?.object.rows[0]?.cells[0], 'watched');
      assert.equal(
        deleted?.object.metadata.resourceVersion,
        (deleted?.object.rows[0]?.object as KubeObject).metadata.resourceVersion,
      );
    } finally {
      w.close();
    }
  });

  test('§1.5 a watch without resourceVersion: synthetic ADDED rows as Tables, headers once', async () => {
    await createRunningPod('a');
    await createRunningPod('b');
    const w = await openTableWatch(h.server.url, '/api/v1/namespaces/default/pods?watch=true');
    try {
      const [first, second] = await w.next(2);
      assert.deepEqual([first?.type, second?.type], ['ADDED', 'ADDED']);
      assert.ok(first?.object.columnDefinitions);
      assert.equal(second?.object.columnDefinitions, null);
      assert.deepEqual([first?.object.rows[0]?.cells[0], second?.object.rows[0]?.cells[0]].sort(), [
        'a',
        'b',
      ]);
    } finally {
      w.close();
    }
  });
});
