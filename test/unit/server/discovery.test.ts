import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import {
  aggregatedContentType,
  aggregatedVersionAccepted,
  storageVersionHash,
} from '../../../src/server/discovery.js';
import { admitAsIs, type ResourceType } from '../../../src/server/resource-types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeLogs, request, stubAdmitPod, type Response } from './harness.js';

const SAMPLES = '/work/shared/spec/kubectl-samples';
const sample = <T>(name: string): T => JSON.parse(readFileSync(`${SAMPLES}/${name}`, 'utf8')) as T;

/** kubectl 1.33's Accept header for /api and /apis on a cold cache (kubectl-surface §1.1). */
const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/** A registry entry the way a later issue adds apps/v1 kinds: discovery must pick it up unaided. */
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
  subresources: { scale: { GET: () => undefined, PUT: () => undefined } },
};

interface AggregatedResource {
  resource: string;
  responseKind: { group: string; version: string; kind: string };
  scope: string;
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { subresource: string; responseKind: Record<string, string>; verbs: string[] }[];
}
interface AggregatedList {
  kind: string;
  apiVersion: string;
  items: { metadata: { name: string }; versions: { version: string; resources: AggregatedResource[] }[] }[];
}
interface LegacyResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
}

async function startServer(resources: ResourceType[]): Promise<ApiServer> {
  return startApiServer({
    store: new MemoryStore(),
    logs: new FakeLogs(),
    token: 'discovery-token',
    admitPod: stubAdmitPod,
    resources,
  });
}

describe('discovery: negotiation', () => {
  test('kubectl-surface §1.1: kubectl’s Accept picks aggregated v2; v2beta1 alone picks v2beta1', () => {
    assert.equal(aggregatedVersionAccepted(KUBECTL_ACCEPT), 'v2');
    assert.equal(
      aggregatedVersionAccepted('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'),
      'v2beta1',
    );
    assert.equal(aggregatedVersionAccepted('application/json'), undefined);
    assert.equal(aggregatedVersionAccepted(undefined), undefined);
    assert.equal(aggregatedVersionAccepted('*/*'), undefined);
    // Plain JSON first: the client prefers legacy discovery.
    assert.equal(
      aggregatedVersionAccepted(
        'application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      ),
      undefined,
    );
    assert.equal(
      aggregatedContentType('v2'),
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
  });

  test('storageVersionHash is sha256("group/version/kind")[:8] in base64 (12 characters)', () => {
    assert.match(storageVersionHash({ group: '', version: 'v1', kind: 'Pod' }), /^[A-Za-z0-9+/]{11}=$/);
    assert.notEqual(
      storageVersionHash({ group: '', version: 'v1', kind: 'Pod' }),
      storageVersionHash({ group: '', version: 'v1', kind: 'Event' }),
    );
  });
});

describe('discovery over HTTP (core only, as podvisor serves today)', () => {
  let server: ApiServer;
  const get = (
    path: string,
    headers: Record<string, string> = {},
    token: string | null = 'discovery-token',
  ) => request(server.url, 'GET', path, { headers, token });
  before(async () => {
    server = await startServer([]);
  });
  after(() => server.close());

  test('kubectl-surface §1.1 option A: /api answers APIGroupDiscoveryList with the exact Content-Type', async () => {
    const res = await get('/api?timeout=32s', { Accept: KUBECTL_ACCEPT });
    assert.equal(res.status, 200);
    assert.equal(
      res.headers['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    assert.equal(res.headers.vary, 'Accept');
    const body = res.json<AggregatedList>();
    const want = sample<AggregatedList>('api-aggregated.json');
    assert.equal(body.kind, want.kind);
    assert.equal(body.apiVersion, want.apiVersion);
    assert.equal(body.items.length, 1);
    assert.equal(body.items[0]?.metadata.name, '');
    const v1 = body.items[0]?.versions[0];
    assert.equal(v1?.version, 'v1');
    const pods = v1?.resources.find((r) => r.resource === 'pods');
    const wantPods = want.items[0]?.versions[0]?.resources.find((r) => r.resource === 'pods');
    assert.ok(pods && wantPods);
    assert.deepEqual(pods.responseKind, wantPods.responseKind);
    assert.equal(pods.scope, 'Namespaced');
    assert.equal(pods.singularResource, 'pod');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.deepEqual(pods.categories, ['all']);
    assert.deepEqual(pods.verbs, [...pods.verbs].sort());
    for (const v of ['create', 'delete', 'get', 'list', 'update', 'watch'])
      assert.ok(pods.verbs.includes(v), v);
    const log = pods.subresources?.find((s) => s.subresource === 'log');
    assert.deepEqual(log, {
      subresource: 'log',
      responseKind: { group: '', version: 'v1', kind: 'Pod' },
      verbs: ['get'],
    });
    // Subresource verbs follow the HTTP methods the registry serves (GET get, PUT update, PATCH patch).
    const status = pods.subresources?.find((s) => s.subresource === 'status');
    assert.ok(status);
    assert.ok(status.verbs.includes('get') && status.verbs.includes('update'));
    assert.deepEqual(status.verbs, [...status.verbs].sort());
    const events = v1?.resources.find((r) => r.resource === 'events');
    assert.deepEqual(events?.shortNames, ['ev']);
    assert.equal(events?.categories, undefined);
    assert.deepEqual(events?.responseKind, { group: '', version: 'v1', kind: 'Event' });
  });

  test('kubectl-surface §1.1: the v2beta1 Accept gets a v2beta1 list and content type', async () => {
    const res = await get('/api', {
      Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    });
    assert.equal(
      res.headers['content-type'],
      'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
    );
    assert.equal(res.json<AggregatedList>().apiVersion, 'apidiscovery.k8s.io/v2beta1');
  });

  test('kubectl-surface §1.1: /apis with no groups is an empty aggregated list / empty APIGroupList', async () => {
    const agg = await get('/apis?timeout=32s', { Accept: KUBECTL_ACCEPT });
    assert.equal(agg.status, 200);
    assert.deepEqual(agg.json<AggregatedList>().items, []);
    const legacy = await get('/apis', { Accept: 'application/json' });
    assert.equal(legacy.headers['content-type'], 'application/json');
    assert.deepEqual(legacy.json(), { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  });

  test('kubectl-surface §1.1 option B: /api legacy is APIVersions with serverAddressByClientCIDRs', async () => {
    const res = await get('/api', { Accept: 'application/json' });
    assert.equal(res.headers['content-type'], 'application/json');
    const body = res.json<{ kind: string; versions: string[]; serverAddressByClientCIDRs: unknown[] }>();
    const want = sample<Record<string, unknown>>('api-legacy.json');
    assert.deepEqual(Object.keys(body), Object.keys(want));
    assert.deepEqual(body.versions, ['v1']);
    const port = new URL(server.url).port;
    assert.deepEqual(body.serverAddressByClientCIDRs, [
      { clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` },
    ]);
  });

  test('kubectl-surface §1.1 option B: /api/v1 is an APIResourceList with subresources as pods/<sub>', async () => {
    const res = await get('/api/v1?timeout=32s');
    assert.equal(res.status, 200);
    const body = res.json<{
      kind: string;
      apiVersion: string;
      groupVersion: string;
      resources: LegacyResource[];
    }>();
    const want = sample<{ kind: string; groupVersion: string; resources: LegacyResource[] }>(
      'api-v1-resourcelist.json',
    );
    assert.equal(body.kind, want.kind);
    assert.equal(body.groupVersion, want.groupVersion);
    const names = body.resources.map((r) => r.name);
    assert.deepEqual(names, [...names].sort());
    const pods = body.resources.find((r) => r.name === 'pods');
    const wantPods = want.resources.find((r) => r.name === 'pods');
    assert.ok(pods && wantPods);
    assert.deepEqual(
      { ...pods, verbs: undefined, storageVersionHash: undefined },
      { ...wantPods, verbs: undefined, storageVersionHash: undefined },
    );
    assert.deepEqual(
      body.resources.find((r) => r.name === 'pods/log'),
      {
        name: 'pods/log',
        singularName: '',
        namespaced: true,
        kind: 'Pod',
        verbs: ['get'],
      },
    );
    assert.ok(names.includes('pods/status'));
    assert.deepEqual(body.resources.find((r) => r.name === 'events')?.shortNames, ['ev']);
  });

  test('unknown group-versions are 404 Status; writes are 405', async () => {
    assert.equal((await get('/api/v2')).status, 404);
    assert.equal((await get('/apis/apps/v1')).status, 404);
    assert.equal((await get('/apis/apps')).status, 404);
    const post = await request(server.url, 'POST', '/api', { token: 'discovery-token', body: {} });
    assert.equal(post.status, 405);
  });

  test('issue 3 must-show: discovery needs the bearer token (401 Status without it)', async () => {
    for (const path of ['/api', '/apis', '/api/v1']) {
      const res: Response = await get(path, { Accept: KUBECTL_ACCEPT }, null);
      assert.equal(res.status, 401, path);
      assert.equal(res.json<{ kind: string }>().kind, 'Status');
    }
  });

  test('an ETag on discovery answers; If-None-Match gives 304', async () => {
    const first = await get('/api', { Accept: KUBECTL_ACCEPT });
    const etag = first.headers.etag;
    assert.ok(etag);
    const again = await get('/api', { Accept: KUBECTL_ACCEPT, 'If-None-Match': etag });
    assert.equal(again.status, 304);
  });
});

describe('discovery is generated from the registry', () => {
  let server: ApiServer;
  const get = (path: string, headers: Record<string, string> = {}) =>
    request(server.url, 'GET', path, { headers, token: 'discovery-token' });
  before(async () => {
    server = await startServer([deployments]);
  });
  after(() => server.close());

  test('kubectl-surface §1.1: an apps/v1 registry entry appears in aggregated /apis with scale → autoscaling/v1 Scale', async () => {
    const body = (await get('/apis', { Accept: KUBECTL_ACCEPT })).json<AggregatedList>();
    const want = sample<AggregatedList>('apis-aggregated.json');
    assert.equal(body.items[0]?.metadata.name, 'apps');
    const got = body.items[0]?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    const wantDeploy = want.items[0]?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    assert.ok(got && wantDeploy);
    assert.deepEqual(got.responseKind, wantDeploy.responseKind);
    assert.deepEqual(got.shortNames, wantDeploy.shortNames);
    assert.deepEqual(got.categories, wantDeploy.categories);
    assert.deepEqual(got.subresources, [
      {
        subresource: 'scale',
        responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
        verbs: ['get', 'update'],
      },
    ]);
    // The core group stays on /api only.
    const core = (await get('/api', { Accept: KUBECTL_ACCEPT })).json<AggregatedList>();
    assert.deepEqual(
      core.items.map((i) => i.metadata.name),
      [''],
    );
  });

  test('kubectl-surface §1.1 option B: /apis, /apis/apps and /apis/apps/v1 in the legacy shapes', async () => {
    assert.deepEqual((await get('/apis')).json(), sample('apis-legacy.json'));
    assert.deepEqual((await get('/apis/apps')).json(), {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    });
    const list = (await get('/apis/apps/v1')).json<{ groupVersion: string; resources: LegacyResource[] }>();
    assert.equal(list.groupVersion, 'apps/v1');
    assert.deepEqual(
      list.resources.find((r) => r.name === 'deployments/scale'),
      {
        name: 'deployments/scale',
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'update'],
      },
    );
  });
});
