import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GENERATED_PATH, generatedFile } from '../../../scripts/gen-openapi.js';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import { admitAsIs, type ResourceType } from '../../../src/server/resource-types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeLogs, request, stubAdmitPod } from './harness.js';

const SAMPLES = '/work/shared/spec/kubectl-samples';
const TOKEN = 'openapi-token';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
};
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, unknown> };
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const deployments: ResourceType = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  singular: 'deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  admit: admitAsIs,
  returnDeletedObject: false,
  subresources: { scale: { GET: () => undefined, PATCH: () => undefined } },
};

/** Probe.failureThreshold's upstream documentation, as kubernetes-types carries it. */
const FAILURE_THRESHOLD_DOC =
  'Minimum consecutive failures for the probe to be considered failed after having succeeded. Defaults to 3. Minimum value is 1.';

function refsIn(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.add(v);
      else refsIn(v, out);
    }
  return out;
}

describe('OpenAPI v3', () => {
  let server: ApiServer;
  const get = (path: string, headers: Record<string, string> = {}, token: string | null = TOKEN) =>
    request(server.url, 'GET', path, { headers, token });
  let index: { paths: Record<string, { serverRelativeURL: string }> };
  let core: Document;

  before(async () => {
    server = await startApiServer({
      store: new MemoryStore(),
      logs: new FakeLogs(),
      token: TOKEN,
      admitPod: stubAdmitPod,
      resources: [deployments],
    });
    index = (await get('/openapi/v3?timeout=32s')).json();
    const url = index.paths['api/v1']?.serverRelativeURL ?? '';
    core = (await get(`${url}&timeout=32s`, { Accept: 'application/json' })).json();
  });
  after(() => server.close());

  test('kubectl-surface §2.6: /openapi/v3 indexes one document per served group-version, with its hash', async () => {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/openapi-v3-index.json`, 'utf8')) as typeof index;
    assert.deepEqual(Object.keys(index.paths).sort(), Object.keys(sample.paths).sort());
    for (const [gv, entry] of Object.entries(index.paths))
      assert.match(entry.serverRelativeURL, new RegExp(`^/openapi/v3/${gv}\\?hash=[0-9A-F]{128}$`));
  });

  test('kubectl-surface §2.6: the document is application/json with an ETag; its hash URL is cacheable; 304 on If-None-Match', async () => {
    const url = index.paths['api/v1']?.serverRelativeURL ?? '';
    const res = await get(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers.etag, `"${url.split('hash=')[1]}"`);
    assert.match(res.headers['cache-control'] ?? '', /immutable/);
    const plain = await get('/openapi/v3/api/v1');
    assert.equal(plain.headers['cache-control'], 'no-cache, private');
    assert.equal(plain.text, res.text);
    const again = await get(url, { 'If-None-Match': res.headers.etag ?? '' });
    assert.equal(again.status, 304);
  });

  test('kubectl-surface §2.6: PATCH on pods/{name} carries the Pod GVK and fieldValidation (server-side validation)', () => {
    const sample = JSON.parse(readFileSync(`${SAMPLES}/openapi-v3-api-v1.json`, 'utf8')) as Document;
    const path = '/api/v1/namespaces/{namespace}/pods/{name}';
    const patch = core.paths[path]?.patch;
    assert.ok(patch);
    assert.deepEqual(
      patch['x-kubernetes-group-version-kind'],
      sample.paths[path]?.patch?.['x-kubernetes-group-version-kind'],
    );
    assert.equal(patch['x-kubernetes-action'], 'patch');
    assert.equal(patch.operationId, 'patchCoreV1NamespacedPod');
    assert.ok(patch.parameters?.some((p) => p.name === 'fieldValidation' && p.in === 'query'));
    assert.ok(patch.requestBody?.content['application/strategic-merge-patch+json']);
    const events = core.paths['/api/v1/namespaces/{namespace}/events/{name}']?.patch;
    assert.equal(events?.['x-kubernetes-group-version-kind'].kind, 'Event');
    const create = core.paths['/api/v1/namespaces/{namespace}/pods']?.post;
    assert.equal(create?.operationId, 'createCoreV1NamespacedPod');
    assert.ok(core.paths['/api/v1/pods']?.get, 'list across namespaces');
    assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log']?.get);
  });

  test('kubectl-surface §2.13: Pod → spec → containers → livenessProbe resolves through $refs to documented fields', () => {
    const schemas = core.components.schemas;
    const pod = schemas['io.k8s.api.core.v1.Pod'];
    assert.deepEqual(pod?.['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.deepEqual(pod?.properties?.spec?.allOf, [
      { $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' },
    ]);
    const containers = schemas['io.k8s.api.core.v1.PodSpec']?.properties?.containers;
    assert.equal(containers?.type, 'array');
    assert.deepEqual(containers?.items, { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' });
    const container = schemas['io.k8s.api.core.v1.Container'];
    assert.deepEqual(container?.required, ['name']);
    assert.match(
      container?.properties?.livenessProbe?.description ?? '',
      /^Periodic probe of container liveness/,
    );
    const probe = schemas['io.k8s.api.core.v1.Probe'];
    assert.equal(probe?.properties?.failureThreshold?.description, FAILURE_THRESHOLD_DOC);
    assert.equal(probe?.properties?.failureThreshold?.type, 'integer');
    const port = schemas['io.k8s.api.core.v1.HTTPGetAction']?.properties?.port;
    assert.deepEqual(port?.allOf, [
      { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
    ]);
    assert.equal(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']?.format, 'int-or-string');
    assert.equal(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time']?.format, 'date-time');
  });

  test('issue 3 §4: merge keys and list types for strategic merge patch, as upstream publishes them', () => {
    const container = core.components.schemas['io.k8s.api.core.v1.Container']?.properties ?? {};
    assert.equal(container.env?.['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(container.env?.['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(container.ports?.['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.equal(container.ports?.['x-kubernetes-list-type'], 'map');
    assert.deepEqual(container.ports?.['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(container.volumeMounts?.['x-kubernetes-patch-merge-key'], 'mountPath');
    const spec = core.components.schemas['io.k8s.api.core.v1.PodSpec']?.properties ?? {};
    assert.equal(spec.containers?.['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(spec.volumes?.['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(container.command?.['x-kubernetes-patch-strategy'], undefined, 'command is replaced whole');
  });

  test('every $ref of a document resolves inside that document', async () => {
    for (const [gv, entry] of Object.entries(index.paths)) {
      const doc = (await get(entry.serverRelativeURL)).json<Document>();
      for (const ref of refsIn(doc, new Set())) {
        const name = ref.replace('#/components/schemas/', '');
        assert.ok(doc.components.schemas[name], `${gv}: ${ref}`);
      }
    }
  });

  test('kubectl-surface §2.13: apps/v1 (from the registry) has its own schemas; scale answers autoscaling/v1 Scale', async () => {
    const apps = (await get(index.paths['apis/apps/v1']?.serverRelativeURL ?? '')).json<Document>();
    const deployment = apps.components.schemas['io.k8s.api.apps.v1.Deployment'];
    assert.deepEqual(deployment?.['x-kubernetes-group-version-kind'], [
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    assert.ok(apps.components.schemas['io.k8s.api.core.v1.PodTemplateSpec']);
    const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    assert.equal(patch?.operationId, 'patchAppsV1NamespacedDeployment');
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']?.patch;
    assert.deepEqual(scale?.['x-kubernetes-group-version-kind'], {
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
    assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
    assert.equal(apps.components.schemas['io.k8s.api.core.v1.Pod'], undefined, 'only what apps/v1 reaches');
  });

  test('kubectl-surface §2.6: /openapi/v2 is 404 (kubectl falls back to v3); OpenAPI needs the token', async () => {
    const v2 = await get('/openapi/v2?timeout=32s', {
      Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    });
    assert.equal(v2.status, 404);
    assert.equal((await get('/openapi/v3/apis/nothing/v1')).status, 404);
    assert.equal((await get('/openapi/v3', {}, null)).status, 401);
    assert.equal((await get('/openapi/v3/api/v1', {}, null)).status, 401);
  });

  test('the committed generated/schemas.json is what scripts/gen-openapi.ts produces now', () => {
    const committed = JSON.parse(readFileSync(GENERATED_PATH, 'utf8')) as unknown;
    assert.deepEqual(committed, generatedFile());
  });
});
