import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProbeHistory, ProbeRunReport, ProbeRunRequest } from '../../../src/api/probe-history.js';
import { ProbeRunError } from '../../../src/kubelet/probe-run.js';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import type { ProbeHistorySource } from '../../../src/server/probe-histories.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeLogs, request, stubAdmitPod, type Response } from './harness.js';

const BASE = '/apis/podvisor.io/v1alpha1';

function historyOf(namespace: string, name: string): ProbeHistory {
  return {
    apiVersion: 'podvisor.io/v1alpha1',
    kind: 'ProbeHistory',
    metadata: { name, namespace, uid: `uid-${name}` },
    probes: [
      {
        container: 'app',
        probeType: 'Liveness',
        handler: 'http-get http://:8080/healthz',
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
        results: [
          {
            time: new Date(Date.now() - 5000).toISOString(),
            containerID: 'c1',
            verdict: 'failure',
            latencyMs: 4,
            message: 'HTTP probe failed with statuscode: 500',
            consecutive: 1,
          },
        ],
      },
    ],
    restarts: [],
  };
}

/** Two "kubelets" worth of pods: default/web and other/db. */
class FakeSource implements ProbeHistorySource {
  readonly runs: { namespace: string; name: string; req: ProbeRunRequest }[] = [];
  private readonly all = [historyOf('default', 'web'), historyOf('other', 'db')];
  probeHistory(namespace: string, name: string): ProbeHistory | undefined {
    return this.all.find((h) => h.metadata.namespace === namespace && h.metadata.name === name);
  }
  probeHistories(namespace?: string): ProbeHistory[] {
    return this.all.filter((h) => namespace === undefined || h.metadata.namespace === namespace);
  }
  async runProbeNow(namespace: string, name: string, req: ProbeRunRequest): Promise<ProbeRunReport> {
    this.runs.push({ namespace, name, req });
    if (!this.probeHistory(namespace, name)) throw new ProbeRunError(404, 'not on this node');
    if (req.container === 'nope')
      throw new ProbeRunError(400, 'container nope is not valid for pod web: choose one of [app]');
    return {
      apiVersion: 'podvisor.io/v1alpha1',
      kind: 'ProbeRunReport',
      pod: name,
      namespace,
      container: 'app',
      containerID: 'c1',
      probeType: 'Liveness',
      handler: 'http-get http://:8080/healthz',
      verdict: 'success',
      latencyMs: 1,
      output: '',
      kubeletMessage: '',
      current: { result: 'Success', count: 4 },
      wouldAct: 'no restart yet',
    };
  }
}

describe('API: podvisor.io/v1alpha1 probehistories (issue 5 item 2)', () => {
  let server: ApiServer;
  const source = new FakeSource();
  const req = (
    method: string,
    path: string,
    o: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Response> => request(server.url, method, path, o);

  before(async () => {
    server = await startApiServer({
      store: new MemoryStore(),
      logs: new FakeLogs(),
      token: 'test-token-0123456789',
      admitPod: stubAdmitPod,
      probeHistories: source,
    });
  });
  after(() => server.close());

  test('discovery lists the group, the resource (get, list) and its run subresource', async () => {
    const groups = (await req('GET', '/apis')).json<{
      groups: { name: string; preferredVersion: { groupVersion: string } }[];
    }>();
    assert.deepEqual(groups.groups.find((g) => g.name === 'podvisor.io')?.preferredVersion, {
      groupVersion: 'podvisor.io/v1alpha1',
      version: 'v1alpha1',
    });
    const list = (await req('GET', BASE)).json<{
      resources: { name: string; kind: string; verbs: string[]; namespaced: boolean }[];
    }>();
    assert.deepEqual(
      list.resources.map((r) => [r.name, r.kind, r.verbs, r.namespaced]),
      [
        ['probehistories', 'ProbeHistory', ['get', 'list'], true],
        ['probehistories/run', 'ProbeRunReport', ['create'], true],
      ],
    );
  });

  test('get one, list a namespace, list all namespaces', async () => {
    const one = await req('GET', `${BASE}/namespaces/default/probehistories/web`);
    assert.equal(one.status, 200);
    assert.equal(one.json<ProbeHistory>().metadata.name, 'web');
    const ns = (await req('GET', `${BASE}/namespaces/other/probehistories`)).json<{
      kind: string;
      items: ProbeHistory[];
    }>();
    assert.equal(ns.kind, 'ProbeHistoryList');
    assert.deepEqual(
      ns.items.map((h) => h.metadata.name),
      ['db'],
    );
    const all = (await req('GET', `${BASE}/probehistories`)).json<{ items: ProbeHistory[] }>();
    assert.deepEqual(
      all.items.map((h) => h.metadata.name),
      ['web', 'db'],
    );
  });

  test('a missing history is a 404 Status naming it', async () => {
    const res = await req('GET', `${BASE}/namespaces/default/probehistories/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'probehistories.podvisor.io "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'podvisor.io', kind: 'probehistories' },
      code: 404,
    });
  });

  test('read-only: create, update, patch, delete and watch are 405 MethodNotAllowed Status objects', async () => {
    const attempts: [string, string][] = [
      ['POST', `${BASE}/namespaces/default/probehistories`],
      ['PUT', `${BASE}/namespaces/default/probehistories/web`],
      ['PATCH', `${BASE}/namespaces/default/probehistories/web`],
      ['DELETE', `${BASE}/namespaces/default/probehistories/web`],
      ['GET', `${BASE}/namespaces/default/probehistories?watch=true`],
    ];
    for (const [method, path] of attempts) {
      const res = await req(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: {} });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.json<{ kind: string; reason: string }>().reason, 'MethodNotAllowed');
    }
  });

  test('the Table for kubectl get: NAME, PROBES, LAST FAILURE, RESTARTS BY PROBES', async () => {
    const res = await req('GET', `${BASE}/namespaces/default/probehistories`, {
      headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    const table = res.json<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>();
    assert.deepEqual(
      table.columnDefinitions.map((c) => c.name),
      ['Name', 'Probes', 'Last Failure', 'Restarts By Probes', 'Message'],
    );
    assert.deepEqual(table.rows[0]?.cells, [
      'web',
      'liveness',
      '5s ago (app liveness)',
      0,
      'HTTP probe failed with statuscode: 500',
    ]);
  });

  test('POST …/run: the report; 404 naming the pod; 400 with the container choices; a bad probe word', async () => {
    const ok = await req('POST', `${BASE}/namespaces/default/probehistories/web/run`, {
      body: { kind: 'ProbeRunRequest', container: 'app', probe: 'liveness' },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.json<ProbeRunReport>().kind, 'ProbeRunReport');
    assert.deepEqual(source.runs.at(-1), {
      namespace: 'default',
      name: 'web',
      req: { container: 'app', probe: 'liveness' },
    });
    const missing = await req('POST', `${BASE}/namespaces/default/probehistories/ghost/run`, { body: {} });
    assert.equal(missing.status, 404);
    assert.equal(missing.json<{ message: string }>().message, 'pods "ghost" not found');
    const bad = await req('POST', `${BASE}/namespaces/default/probehistories/web/run`, {
      body: { container: 'nope' },
    });
    assert.equal(bad.status, 400);
    assert.equal(
      bad.json<{ message: string }>().message,
      'container nope is not valid for pod web: choose one of [app]',
    );
    const word = await req('POST', `${BASE}/namespaces/default/probehistories/web/run`, {
      body: { probe: 'live' },
    });
    assert.equal(word.status, 400);
    assert.match(word.json<{ message: string }>().message, /^probe: Unsupported value: "live"/);
  });
});
