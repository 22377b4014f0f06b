/**
 * An API server with every resource a real node serves (src/cli/node.ts wires the same list), over
 * a MemoryStore, on 127.0.0.1: the security tests enumerate its routes from its own discovery.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { admitPod } from '../../src/api/admission.js';
import { configResources } from '../../src/server/config-resources.js';
import { startApiServer, type ApiServer } from '../../src/server/api-server.js';
import { NodeMetrics } from '../../src/server/metrics.js';
import { nodeResource } from '../../src/server/nodes.js';
import type { ProbeHistorySource } from '../../src/server/probe-histories.js';
import { serviceResources } from '../../src/server/services.js';
import { startServiceTraffic } from '../../src/server/service-traffic.js';
import { ProxyStats } from '../../src/proxy/stats.js';
import { workloadResources } from '../../src/server/workloads.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { FakeLogs } from '../unit/server/harness.js';

export const TOKEN = 'f00dfeed'.repeat(8);

/** Kubelets that know no pod: enough to serve (and refuse) the probehistories routes. */
const noProbeHistories: ProbeHistorySource = {
  probeHistory: () => undefined,
  probeHistories: () => [],
  runProbeNow: () => Promise.reject(new Error('no kubelet in this test')),
};

export interface FullServer {
  server: ApiServer;
  store: MemoryStore;
  /** Every read of container logs (the only route that leads to files) is recorded here. */
  logs: FakeLogs;
  close(): Promise<void>;
}

export async function startFullServer(opts: { requestTimeoutMs?: number } = {}): Promise<FullServer> {
  const store = new MemoryStore();
  const logs = new FakeLogs();
  const serviceTraffic = startServiceTraffic(store, new ProxyStats());
  const server = await startApiServer({
    store,
    logs,
    token: TOKEN,
    admitPod,
    resources: [nodeResource(), ...serviceResources(store), ...configResources(), ...workloadResources()],
    probeHistories: noProbeHistories,
    serviceTraffic,
    metrics: new NodeMetrics({ store, processes: () => [], defaultMetrics: false }),
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
  });
  const close = async (): Promise<void> => {
    serviceTraffic.stop();
    await server.close();
  };
  return { server, store, logs, close };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request on a fresh connection. With `headersOnly` the response is not read to its end (a
 * watch or `logs -f` would never end): the answer is the status line and headers.
 */
export function send(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string; headersOnly?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      if (opts.headersOnly) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The apiserver's 401 Status, exactly. */
export const UNAUTHORIZED_STATUS = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

interface DiscoveredResource {
  name: string;
  namespaced: boolean;
  verbs: string[];
}

export interface Route {
  path: string;
  /** The methods that path takes, from the resource's discovery verbs. */
  methods: string[];
}

const ITEM_METHODS: Readonly<Record<string, string>> = {
  get: 'GET',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

/** Every REST path the server serves, from /api and /apis discovery (read with the token). */
export async function discoverRoutes(base: string): Promise<Route[]> {
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const getJson = async <T>(path: string): Promise<T> => {
    const res = await send(base, 'GET', path, { headers: auth });
    assert.equal(res.status, 200, `discovery ${path}`);
    return JSON.parse(res.body) as T;
  };
  const groupVersions = ['/api/v1'];
  const groups = await getJson<{ groups: { versions: { groupVersion: string }[] }[] }>('/apis');
  for (const g of groups.groups) for (const v of g.versions) groupVersions.push(`/apis/${v.groupVersion}`);
  const routes = new Map<string, Set<string>>();
  const add = (path: string, methods: string[]): void => {
    const known = routes.get(path) ?? new Set<string>();
    for (const m of methods) known.add(m);
    routes.set(path, known);
  };
  for (const gv of groupVersions) {
    const list = await getJson<{ resources: DiscoveredResource[] }>(gv);
    for (const r of list.resources) {
      const [resource, sub] = r.name.split('/');
      const scope = r.namespaced ? `${gv}/namespaces/default` : gv;
      const itemMethods = r.verbs.flatMap((v) => (ITEM_METHODS[v] ? [ITEM_METHODS[v]] : []));
      if (sub !== undefined) {
        add(
          `${scope}/${resource}/x/${sub}`,
          r.verbs.includes('create') ? ['POST', ...itemMethods] : itemMethods,
        );
        continue;
      }
      add(`${gv}/${resource}`, ['GET']);
      add(`${scope}/${resource}`, r.verbs.includes('create') ? ['GET', 'POST'] : ['GET']);
      add(`${scope}/${resource}/x`, itemMethods);
      add(`${gv}/watch/${resource}`, ['GET']);
      add(`${scope}/${resource}?watch=true`, ['GET']);
      if (r.namespaced) add(`${gv}/watch/namespaces/default/${resource}/x`, ['GET']);
    }
  }
  return [...routes].map(([path, methods]) => ({ path, methods: [...methods] }));
}
