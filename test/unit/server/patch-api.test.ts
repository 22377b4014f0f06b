import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPod } from '../../../src/api/admission.js';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import { startHarness, warningsOf, type Harness } from './harness.js';

type StoredPod = Pod & KubeObject;

const PATH = '/api/v1/namespaces/default/pods/web';
const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const FORBIDDEN_HEAD =
  'Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,';

const MANIFEST = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1.27', command: ['sleep', '100'], env: [{ name: 'A', value: '1' }] },
    ],
  },
};

describe('PATCH and update rules over HTTP (issue 3 item 4)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ admitPod });
  });
  after(() => h.close());
  beforeEach(async () => {
    for (const p of h.store.list('pods').items)
      h.store.delete('pods', p.metadata.namespace ?? '', p.metadata.name);
    const res = await h.request('POST', '/api/v1/namespaces/default/pods', { body: MANIFEST });
    assert.equal(res.status, 201, res.text);
    // The kubelet's part: bound and running.
    h.store.mutate<StoredPod>('pods', 'default', 'web', (p) => ({
      ...p,
      spec: { ...p.spec, containers: p.spec?.containers ?? [], nodeName: 'node-1' },
      status: { phase: 'Running' },
    }));
  });

  const stored = (): StoredPod => h.store.get<StoredPod>('pods', 'default', 'web') as StoredPod;
  const patch = (type: string, body: unknown, query = ''): ReturnType<Harness['request']> =>
    h.request('PATCH', `${PATH}${query}`, {
      rawBody: JSON.stringify(body),
      headers: { 'Content-Type': type },
    });

  test('§2.7: a strategic merge patch of an image is applied; status kept, generation bumped', async () => {
    const before = stored();
    const res = await patch(SMP, { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } });
    assert.equal(res.status, 200, res.text);
    const pod = res.json<StoredPod>();
    assert.equal(pod.spec?.containers[0]?.image, 'nginx:1.28');
    // podStrategy.WarningsOnUpdate gives none: the create-time warnings are not repeated.
    assert.deepEqual(warningsOf(res), []);
    assert.deepEqual(pod.spec?.containers[0]?.env, [{ name: 'A', value: '1' }]);
    assert.deepEqual(pod.status, { phase: 'Running' });
    assert.equal(pod.spec?.nodeName, 'node-1');
    assert.equal(pod.metadata.generation, (before.metadata.generation ?? 0) + 1);
    assert.notEqual(pod.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.deepEqual(stored().spec?.containers[0]?.image, 'nginx:1.28');
  });

  test('§2.7: a merge patch of labels (kubectl label) changes metadata only, no generation bump', async () => {
    const before = stored();
    const res = await patch(MERGE, { metadata: { labels: { app: null, tier: 'fe' } } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json<StoredPod>().metadata.labels, { tier: 'fe' });
    assert.equal(res.json<StoredPod>().metadata.generation, before.metadata.generation);
  });

  test('§2.7: a JSON patch applies; a failed test op is 422 Invalid as the apiserver words it', async () => {
    const ok = await patch(JSON_PATCH, [
      { op: 'test', path: '/spec/containers/0/image', value: 'nginx:1.27' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.29' },
    ]);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json<StoredPod>().spec?.containers[0]?.image, 'nginx:1.29');
    const failed = await patch(JSON_PATCH, [{ op: 'test', path: '/spec/containers/0/image', value: 'nope' }]);
    assert.equal(failed.status, 422);
    const st = failed.json<{ reason: string; message: string; details: { causes: { message: string }[] } }>();
    assert.equal(st.reason, 'Invalid');
    assert.equal(st.message, 'the server rejected our request due to an error in our request');
    assert.equal(st.details.causes[0]?.message, 'testing value /spec/containers/0/image failed: test failed');
    assert.equal(stored().spec?.containers[0]?.image, 'nginx:1.29');
  });

  test("ValidatePodUpdate: a forbidden change through PATCH is 422 with upstream's message and a diff", async () => {
    const res = await patch(SMP, {
      spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '2' }] }] },
    });
    assert.equal(res.status, 422, res.text);
    const st = res.json<{ reason: string; message: string; details: { causes: { field: string }[] } }>();
    assert.equal(st.reason, 'Invalid');
    assert.ok(st.message.startsWith(FORBIDDEN_HEAD), st.message);
    assert.match(st.message, /\n {2}core\.PodSpec\{\n/);
    assert.match(st.message, /^\+ \t+Value: "2",$/m);
    assert.equal(st.details.causes[0]?.field, 'spec');
    assert.equal(stored().spec?.containers[0]?.env?.[0]?.value, '1');
  });

  test('ValidatePodUpdate: a forbidden change through PUT is refused the same way', async () => {
    const next = structuredClone(stored());
    next.spec!.containers[0]!.command = ['sleep', '5'];
    const res = await h.request('PUT', PATH, { body: next });
    assert.equal(res.status, 422);
    assert.ok(res.json<{ message: string }>().message.startsWith(FORBIDDEN_HEAD));
    next.spec!.containers[0]!.command = ['sleep', '100'];
    next.spec!.containers[0]!.image = 'nginx:1.30';
    const ok = await h.request('PUT', PATH, { body: next });
    assert.equal(ok.status, 200, ok.text);
  });

  test("a stale resourceVersion in a patch is 409 Conflict with the apiserver's message", async () => {
    const res = await patch(MERGE, { metadata: { resourceVersion: '1', labels: { x: 'y' } } });
    assert.equal(res.status, 409);
    const st = res.json<{ reason: string; message: string }>();
    assert.equal(st.reason, 'Conflict');
    assert.equal(
      st.message,
      'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    const current = stored().metadata.resourceVersion;
    const fresh = await patch(MERGE, { metadata: { resourceVersion: current, labels: { x: 'y' } } });
    assert.equal(fresh.status, 200, fresh.text);
  });

  test('server-side apply and unknown patch types are 415 UnsupportedMediaType, never silently accepted', async () => {
    const apply = await h.request('PATCH', `${PATH}?fieldManager=kubectl&force=false`, {
      rawBody: 'apiVersion: v1\nkind: Pod\n',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(apply.status, 415);
    assert.equal(apply.json<{ reason: string }>().reason, 'UnsupportedMediaType');
    assert.match(apply.json<{ message: string }>().message, /server-side apply/);
    const plain = await patch('text/plain', {});
    assert.equal(plain.status, 415);
  });

  test('dryRun=All answers with the patched object and stores nothing', async () => {
    const before = stored();
    const res = await patch(
      SMP,
      { spec: { containers: [{ name: 'app', image: 'dry:run' }] } },
      '?dryRun=All',
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json<StoredPod>().spec?.containers[0]?.image, 'dry:run');
    assert.deepEqual(stored(), before);
  });

  test('fieldValidation: Strict refuses an unknown field in a patch, Warn passes it on as a Warning', async () => {
    const body = { spec: { containers: [{ name: 'app', imagee: 'typo' }] } };
    const strict = await patch(SMP, body, '?fieldValidation=Strict');
    assert.equal(strict.status, 400);
    assert.equal(
      strict.json<{ message: string }>().message,
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"',
    );
    const warn = await patch(SMP, body, '?fieldValidation=Warn');
    assert.equal(warn.status, 200, warn.text);
    assert.ok(warningsOf(warn).some((w) => w.includes('unknown field \\"spec.containers[0].imagee\\"')));
  });

  test('malformed patches are 400, a missing pod 404', async () => {
    const bad = await h.request('PATCH', PATH, { rawBody: '{nope', headers: { 'Content-Type': MERGE } });
    assert.equal(bad.status, 400);
    const noKey = await patch(SMP, { spec: { containers: [{ image: 'x' }] } });
    assert.equal(noKey.status, 400);
    assert.equal(
      noKey.json<{ message: string }>().message,
      'map: {"image":"x"} does not contain declared merge key: name',
    );
    const missing = await h.request('PATCH', '/api/v1/namespaces/default/pods/nope', {
      rawBody: '{}',
      headers: { 'Content-Type': MERGE },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.json<{ message: string }>().message, 'pods "nope" not found');
  });

  test('PATCH …/status changes only the status', async () => {
    const res = await h.request('PATCH', `${PATH}/status`, {
      rawBody: JSON.stringify({ status: { phase: 'Failed' }, spec: { restartPolicy: 'Never' } }),
      headers: { 'Content-Type': MERGE },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(stored().status?.phase, 'Failed');
    assert.equal(stored().spec?.restartPolicy, 'Always');
  });
});
