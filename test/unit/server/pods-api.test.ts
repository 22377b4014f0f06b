import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import { FakeClock } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';
import { podManifest, startHarness, warningsOf, type Harness } from './harness.js';

type StoredPod = Pod & KubeObject;

/** What the kubelet does once it takes a pod up: podvisor's stand-in for binding. */
function markRunning(h: Harness, name: string): void {
  h.store.mutate<StoredPod>('pods', 'default', name, (p) => ({
    ...p,
    spec: { ...p.spec, containers: p.spec?.containers ?? [], nodeName: 'node-1' },
    status: { phase: 'Running' },
  }));
}

describe('pods API', () => {
  const clock = new FakeClock(Date.UTC(2024, 5, 4, 10, 0, 0));
  let h: Harness;
  before(async () => {
    h = await startHarness({ clock });
  });
  after(() => h.close());
  beforeEach(() => {
    for (const p of h.store.list('pods').items)
      h.store.delete('pods', p.metadata.namespace ?? '', p.metadata.name);
  });

  test('POST creates: 201 with the stored (defaulted) object and Warning headers', async () => {
    const res = await h.request('POST', '/api/v1/namespaces/default/pods?fieldManager=kubectl-create', {
      body: podManifest('web'),
    });
    assert.equal(res.status, 201);
    const pod = res.json<StoredPod>();
    assert.equal(pod.metadata.name, 'web');
    assert.equal(pod.metadata.namespace, 'default');
    assert.ok(pod.metadata.uid);
    assert.ok(pod.metadata.resourceVersion);
    assert.equal(pod.spec?.terminationGracePeriodSeconds, 30);
    assert.deepEqual(warningsOf(res), [
      '299 - "spec.containers[0].image: \\"busybox\\" is not pulled (podvisor runs command, not images)"',
    ]);
    assert.equal(h.store.get<StoredPod>('pods', 'default', 'web')?.metadata.uid, pod.metadata.uid);
  });

  test('POST takes the namespace from the path and refuses a different one in the body', async () => {
    const res = await h.request('POST', '/api/v1/namespaces/team-a/pods', { body: podManifest('web') });
    assert.equal(res.status, 201);
    assert.equal(res.json<StoredPod>().metadata.namespace, 'team-a');
    const other = podManifest('x');
    (other.metadata as Record<string, string>).namespace = 'team-b';
    const bad = await h.request('POST', '/api/v1/namespaces/team-a/pods', { body: other });
    assert.equal(bad.status, 400);
    assert.equal(
      bad.json().message,
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const kind = await h.request('POST', '/api/v1/namespaces/team-a/pods', {
      body: { ...podManifest('y'), kind: 'Service' },
    });
    assert.equal(kind.status, 400);
  });

  test('POST accepts a YAML body', async () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n  - name: app\n';
    const res = await h.request('POST', '/api/v1/namespaces/default/pods', {
      rawBody: yaml,
      headers: { 'Content-Type': 'application/yaml' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.json<StoredPod>().metadata.name, 'from-yaml');
  });

  test('§1.2 POST of an invalid pod: 422 Invalid with formatInvalid message and causes', async () => {
    const res = await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web' },
        spec: { containers: [{ image: 'x' }, {}] },
      },
    });
    assert.equal(res.status, 422);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Pod "web" is invalid: [spec.containers[0].name: Required value, spec.containers[1].name: Required value]',
      reason: 'Invalid',
      details: {
        name: 'web',
        kind: 'Pod',
        causes: [
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].name' },
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[1].name' },
        ],
      },
      code: 422,
    });
    assert.equal(h.store.get('pods', 'default', 'web'), undefined);
  });

  test('fieldValidation: Strict refuses unknown fields, Warn warns, Ignore is silent', async () => {
    const manifest = podManifest('strict', { containers: [{ name: 'app' }] });
    (manifest.spec as Record<string, unknown>).foo = 1;
    const strict = await h.request('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', {
      body: manifest,
    });
    assert.equal(strict.status, 400);
    assert.equal(
      strict.json().message,
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"',
    );
    const warn = await h.request('POST', '/api/v1/namespaces/default/pods', { body: manifest });
    assert.equal(warn.status, 201);
    assert.deepEqual(warningsOf(warn), ['299 - "unknown field \\"spec.foo\\""']);
    h.store.delete('pods', 'default', 'strict');
    const ignore = await h.request('POST', '/api/v1/namespaces/default/pods?fieldValidation=Ignore', {
      body: manifest,
    });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.warning, undefined);
  });

  test('dryRun=All validates and answers without storing', async () => {
    const res = await h.request('POST', '/api/v1/namespaces/default/pods?dryRun=All', {
      body: podManifest('dry'),
    });
    assert.equal(res.status, 201);
    assert.equal(h.store.get('pods', 'default', 'dry'), undefined);
  });

  test('a duplicate create is 409 AlreadyExists', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
    const res = await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
    assert.equal(res.status, 409);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "web" already exists',
      reason: 'AlreadyExists',
      details: { name: 'web', kind: 'pods' },
      code: 409,
    });
  });

  test('GET one pod, the status subresource, a namespace list and the all-namespaces list', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest('a', { labels: { app: 'web' } }),
    });
    await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest('b', { labels: { app: 'db' } }),
    });
    await h.request('POST', '/api/v1/namespaces/other/pods', {
      body: podManifest('c', { labels: { app: 'web' } }),
    });
    const one = await h.request('GET', '/api/v1/namespaces/default/pods/a');
    assert.equal(one.status, 200);
    assert.equal(one.json<StoredPod>().metadata.name, 'a');
    const status = await h.request('GET', '/api/v1/namespaces/default/pods/a/status');
    assert.equal(status.json<StoredPod>().kind, 'Pod');
    const list = await h.request('GET', '/api/v1/namespaces/default/pods?limit=500');
    const body = list.json<{
      kind: string;
      apiVersion: string;
      metadata: { resourceVersion: string; continue?: string };
      items: StoredPod[];
    }>();
    assert.equal(body.kind, 'PodList');
    assert.equal(body.apiVersion, 'v1');
    assert.equal(body.metadata.resourceVersion, h.store.currentResourceVersion());
    assert.equal(body.metadata.continue, undefined);
    assert.deepEqual(
      body.items.map((p) => p.metadata.name),
      ['a', 'b'],
    );
    const all = await h.request('GET', '/api/v1/pods?labelSelector=app%3Dweb');
    assert.deepEqual(
      all.json<{ items: StoredPod[] }>().items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
      ['default/a', 'other/c'],
    );
    const byName = await h.request('GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Db');
    assert.deepEqual(
      byName.json<{ items: StoredPod[] }>().items.map((p) => p.metadata.name),
      ['b'],
    );
  });

  test('PUT replaces the pod but keeps its status; a stale resourceVersion is 409 Conflict', async () => {
    const created = (
      await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') })
    ).json<StoredPod>();
    markRunning(h, 'web');
    const current = h.store.get<StoredPod>('pods', 'default', 'web') as StoredPod;
    const next = {
      ...current,
      metadata: { ...current.metadata, labels: { tier: 'frontend' } },
      status: { phase: 'Failed' },
    };
    const res = await h.request('PUT', '/api/v1/namespaces/default/pods/web', { body: next });
    assert.equal(res.status, 200);
    const updated = res.json<StoredPod>();
    assert.deepEqual(updated.metadata.labels, { tier: 'frontend' });
    assert.equal(updated.status?.phase, 'Running');
    const stale = await h.request('PUT', '/api/v1/namespaces/default/pods/web', {
      body: { ...created, metadata: { ...created.metadata, labels: {} } },
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.json().reason, 'Conflict');
    assert.equal(
      stale.json().message,
      'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    const wrongName = await h.request('PUT', '/api/v1/namespaces/default/pods/other', { body: updated });
    assert.equal(wrongName.status, 400);
    assert.equal(
      wrongName.json().message,
      'the name of the object (web) does not match the name on the URL (other)',
    );
  });

  test('PUT …/status changes only the status', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
    const cur = h.store.get<StoredPod>('pods', 'default', 'web') as StoredPod;
    const res = await h.request('PUT', '/api/v1/namespaces/default/pods/web/status', {
      body: { ...cur, metadata: { ...cur.metadata, labels: { x: 'y' } }, status: { phase: 'Running' } },
    });
    assert.equal(res.status, 200);
    assert.equal(res.json<StoredPod>().status?.phase, 'Running');
    assert.equal(res.json<StoredPod>().metadata.labels, undefined);
  });

  test('DELETE of a pod no kubelet has taken up removes it at once and returns it', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
    const res = await h.request('DELETE', '/api/v1/namespaces/default/pods/web', {
      body: { propagationPolicy: 'Background' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.json<StoredPod>().metadata.name, 'web');
    assert.equal((await h.request('GET', '/api/v1/namespaces/default/pods/web')).status, 404);
    assert.equal(
      (await h.request('DELETE', '/api/v1/namespaces/default/pods/web')).json().message,
      'pods "web" not found',
    );
  });

  test('DELETE of a running pod is graceful: deletionTimestamp = now + terminationGracePeriodSeconds', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('web') });
    markRunning(h, 'web');
    const generation = h.store.get<StoredPod>('pods', 'default', 'web')?.metadata.generation ?? 0;
    const res = await h.request('DELETE', '/api/v1/namespaces/default/pods/web');
    assert.equal(res.status, 200);
    const pod = res.json<StoredPod>();
    assert.equal(pod.metadata.deletionTimestamp, rfc3339(clock.now() + 30_000));
    assert.equal(pod.metadata.deletionGracePeriodSeconds, 30);
    assert.equal(pod.metadata.generation, generation + 1);
    assert.equal(
      h.store.get<StoredPod>('pods', 'default', 'web')?.metadata.deletionTimestamp,
      pod.metadata.deletionTimestamp,
    );
    // Already terminating: the same object; a longer grace period never extends it.
    const again = await h.request('DELETE', '/api/v1/namespaces/default/pods/web?gracePeriodSeconds=60');
    assert.equal(again.status, 200);
    assert.equal(again.json<StoredPod>().metadata.deletionTimestamp, pod.metadata.deletionTimestamp);
    assert.equal(again.json<StoredPod>().metadata.resourceVersion, pod.metadata.resourceVersion);
    // A shorter one cuts it short, from the time of the first request.
    const shorter = await h.request('DELETE', '/api/v1/namespaces/default/pods/web', {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 },
    });
    assert.equal(shorter.json<StoredPod>().metadata.deletionTimestamp, rfc3339(clock.now() + 5_000));
    assert.equal(shorter.json<StoredPod>().metadata.deletionGracePeriodSeconds, 5);
    // And 0 (kubectl delete --grace-period=0 --force) removes it now.
    const now = await h.request('DELETE', '/api/v1/namespaces/default/pods/web', {
      body: { gracePeriodSeconds: 0 },
    });
    assert.equal(now.status, 200);
    assert.equal(h.store.get('pods', 'default', 'web'), undefined);
  });

  test('DELETE grace period from the query; the body wins over the query', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('q') });
    markRunning(h, 'q');
    const res = await h.request('DELETE', '/api/v1/namespaces/default/pods/q?gracePeriodSeconds=7');
    assert.equal(res.json<StoredPod>().metadata.deletionGracePeriodSeconds, 7);
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('b') });
    markRunning(h, 'b');
    const both = await h.request('DELETE', '/api/v1/namespaces/default/pods/b?gracePeriodSeconds=7', {
      body: { gracePeriodSeconds: 3 },
    });
    assert.equal(both.json<StoredPod>().metadata.deletionGracePeriodSeconds, 3);
  });

  test('DELETE of a finished pod is immediate whatever the grace period', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('done') });
    h.store.mutate<StoredPod>('pods', 'default', 'done', (p) => ({
      ...p,
      spec: { ...p.spec, containers: p.spec?.containers ?? [], nodeName: 'n' },
      status: { phase: 'Succeeded' },
    }));
    await h.request('DELETE', '/api/v1/namespaces/default/pods/done');
    assert.equal(h.store.get('pods', 'default', 'done'), undefined);
  });

  test('DELETE preconditions: a different uid is 409', async () => {
    await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('p') });
    const res = await h.request('DELETE', '/api/v1/namespaces/default/pods/p', {
      body: { preconditions: { uid: 'not-it' } },
    });
    assert.equal(res.status, 409);
    assert.match(
      String(res.json().message),
      /^Precondition failed: UID in precondition: not-it, UID in object meta: /,
    );
  });
});
