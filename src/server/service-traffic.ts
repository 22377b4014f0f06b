import type { Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { since } from '../api/kube-time.js';
import { PODVISOR_API_VERSION, PODVISOR_GROUP, PODVISOR_VERSION } from '../api/probe-history.js';
import type { ServiceTraffic, ServiceTrafficBackend, ServiceTrafficPort } from '../api/service-traffic.js';
import type { KubeObject } from '../api/types.js';
import type { ProxyStats, ServiceConnectionStats } from '../proxy/stats.js';
import type { ObjectStore, Watch } from '../store/types.js';
import { ChangeFeed, type FeedName } from '../util/change-feed.js';
import { boolParam, sendJson } from './http-io.js';
import type { RequestContext, ResourceType } from './resource-types.js';
import type { ResourcePath } from './router.js';
import { ApiError } from './status.js';
import { respondWithTable } from './tables/index.js';
import { column, type TablePrinter } from './tables/types.js';
import {
  selects,
  serveVirtualWatch,
  virtualSelector,
  virtualWatchOptions,
  type VirtualCollection,
} from './virtual-watch.js';

/**
 * podvisor.io/v1alpha1 `servicetraffics` (issue 8): one read-only object per Service with the
 * connections the service proxy forwarded to each backend, those open now, and those it refused
 * for want of a Ready endpoint (src/api/service-traffic.ts). Every Service has one, with zeros
 * until traffic comes, so a dashboard lists them all. Ports and pod names come from the Service
 * and its Endpoints; counters from ProxyStats. Objects are built only when read.
 */

export const SERVICE_TRAFFIC_RESOURCE = 'servicetraffics';

type StoredService = Service & KubeObject;
type StoredEndpoints = Endpoints & KubeObject;
type TrafficObject = ServiceTraffic & KubeObject;

export interface ServiceTrafficSource extends VirtualCollection<TrafficObject, FeedName> {
  list(namespace?: string): TrafficObject[];
  get(namespace: string, name: string): TrafficObject | undefined;
  /** Stops following the store and the proxy (node shutdown). */
  stop(): void;
}

/**
 * Versions follow the Service, its Endpoints and its counters: a change of any of them bumps the
 * Service's version (one increment; nothing is built until a watcher or a list asks).
 */
export function startServiceTraffic(store: ObjectStore, stats: ProxyStats): ServiceTrafficSource {
  const changes = new ChangeFeed<FeedName>();
  const touchKnown = (key: string): void => {
    const entry = changes.entry(key);
    if (entry) changes.touch(key, entry.meta);
  };
  const watches: Watch[] = [
    store.watch<StoredService>('services', { shared: true }, (ev) => {
      const meta = nameOf(ev.object);
      const key = `${meta.namespace}/${meta.name}`;
      if (ev.type === 'DELETED') changes.remove(key);
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') changes.touch(key, meta);
    }),
    store.watch<StoredEndpoints>('endpoints', { shared: true }, (ev) => {
      const meta = nameOf(ev.object);
      touchKnown(`${meta.namespace}/${meta.name}`);
    }),
  ];
  const stopStats = stats.onChange(touchKnown);

  const build = (svc: StoredService): TrafficObject => {
    const meta = nameOf(svc);
    const key = `${meta.namespace}/${meta.name}`;
    // The store's watch may not have delivered this Service yet: it gets its version now.
    if (!changes.entry(key)) changes.touch(key, meta);
    const version = changes.entry(key)?.version ?? changes.version;
    const endpoints = store.get<StoredEndpoints>('endpoints', meta.namespace, meta.name);
    return trafficOf(svc, endpoints, stats.forService(key), version);
  };
  const getService = (namespace: string, name: string): StoredService | undefined =>
    store.get<StoredService>('services', namespace, name);

  return {
    changes,
    objectOf: (key) => {
      const entry = changes.entry(key);
      const svc = entry ? getService(entry.meta.namespace, entry.meta.name) : undefined;
      return svc ? build(svc) : undefined;
    },
    deletedObject: (meta, version) => ({
      apiVersion: PODVISOR_API_VERSION,
      kind: 'ServiceTraffic',
      metadata: { name: meta.name, namespace: meta.namespace, resourceVersion: String(version) },
      ports: [],
      backends: [],
    }),
    list: (namespace) =>
      store.list<StoredService>('services', namespace === undefined ? {} : { namespace }).items.map(build),
    get: (namespace, name) => {
      const svc = getService(namespace, name);
      return svc ? build(svc) : undefined;
    },
    stop: () => {
      for (const w of watches) w.stop();
      stopStats();
    },
  };
}

function nameOf(obj: KubeObject): FeedName {
  return { namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '' };
}

/** The ServiceTraffic of one Service: its ports, its current endpoints, and every backend with counts. */
export function trafficOf(
  svc: Service,
  endpoints: Endpoints | undefined,
  stats: ServiceConnectionStats,
  version: number,
): TrafficObject {
  const servicePorts = svc.spec?.ports ?? [];
  const ports: ServiceTrafficPort[] = servicePorts.map((p) => ({
    name: p.name ?? '',
    port: p.port,
    protocol: p.protocol ?? 'TCP',
    rejected: stats.rejectedByPort[p.name ?? ''] ?? 0,
  }));
  const backends = new Map<string, ServiceTrafficBackend>();
  for (const subset of endpoints?.subsets ?? []) {
    for (const epPort of subset.ports ?? []) {
      const servicePort = servicePorts.find((p) => (p.name ?? '') === (epPort.name ?? ''));
      const groups: [typeof subset.addresses, boolean][] = [
        [subset.addresses, true],
        [subset.notReadyAddresses, false],
      ];
      for (const [addresses, ready] of groups) {
        for (const a of addresses ?? []) {
          const address = `${a.ip}:${epPort.port}`;
          const backend: ServiceTrafficBackend = {
            address,
            port: servicePort?.port ?? 0,
            ready,
            connections: stats.total[address] ?? 0,
            active: stats.active[address] ?? 0,
          };
          const ref = a.targetRef;
          if (ref?.kind === 'Pod' && ref.name)
            backend.pod = {
              name: ref.name,
              namespace: ref.namespace ?? svc.metadata?.namespace ?? 'default',
            };
          backends.set(address, backend);
        }
      }
    }
  }
  // Backends that have left the Endpoints still show what they were sent.
  const gone = Object.keys(stats.total)
    .filter((address) => !backends.has(address))
    .sort();
  for (const address of gone) {
    backends.set(address, {
      address,
      port: servicePortOf(servicePorts, address),
      connections: stats.total[address] ?? 0,
      active: stats.active[address] ?? 0,
    });
  }
  const metadata: ServiceTraffic['metadata'] = {
    name: svc.metadata?.name ?? '',
    namespace: svc.metadata?.namespace ?? 'default',
    resourceVersion: String(version),
  };
  if (svc.metadata?.creationTimestamp) metadata.creationTimestamp = svc.metadata.creationTimestamp;
  return {
    apiVersion: PODVISOR_API_VERSION,
    kind: 'ServiceTraffic',
    metadata,
    ports,
    backends: [...backends.values()],
  } as TrafficObject;
}

/** The Service port a former backend served: the one whose numeric targetPort matches, or the only one. */
function servicePortOf(ports: readonly ServicePort[], address: string): number {
  const target = Number(address.slice(address.lastIndexOf(':') + 1));
  const match = ports.find((p) => (typeof p.targetPort === 'number' ? p.targetPort : p.port) === target);
  return match?.port ?? (ports.length === 1 ? (ports[0]?.port ?? 0) : 0);
}

export function serviceTrafficResource(): ResourceType {
  return {
    group: PODVISOR_GROUP,
    version: PODVISOR_VERSION,
    resource: SERVICE_TRAFFIC_RESOURCE,
    kind: 'ServiceTraffic',
    listKind: 'ServiceTrafficList',
    singular: 'servicetraffic',
    shortNames: [],
    categories: [],
    namespaced: true,
    verbs: ['get', 'list', 'watch'],
    admit: () => ({
      errors: [
        {
          type: 'Forbidden',
          field: 'metadata',
          detail: 'service traffic is counted by the service proxy and read-only through the API',
        },
      ],
      warnings: [],
    }),
    returnDeletedObject: false,
    table: serviceTrafficTable,
    subresources: {},
  };
}

/** GET (list, get, watch) on servicetraffics: served from the source, never from the store. */
export function isServiceTrafficRead(path: ResourcePath, method: string): boolean {
  return (
    path.group === PODVISOR_GROUP &&
    path.resource === SERVICE_TRAFFIC_RESOURCE &&
    path.subresource === undefined &&
    (method === 'GET' || method === 'HEAD')
  );
}

export function serveServiceTrafficRead(
  source: ServiceTrafficSource,
  ctx: RequestContext,
  watchPrefix = false,
): void {
  if (watchPrefix || boolParam(ctx.query, 'watch')) {
    serveVirtualWatch(ctx.res, { ...virtualWatchOptions(ctx), collection: source });
    return;
  }
  if (ctx.name === undefined) {
    const selector = virtualSelector(ctx);
    const items = source.list(ctx.namespace).filter((t) => selects(selector, t.metadata));
    // Read after building, which may have given a Service its first version (all in one JS turn).
    const listVersion = String(source.changes.version);
    if (respondWithTable(ctx, items, listVersion)) return;
    sendJson(ctx.res, 200, {
      kind: 'ServiceTrafficList',
      apiVersion: PODVISOR_API_VERSION,
      metadata: { resourceVersion: listVersion },
      items,
    });
    return;
  }
  const found = source.get(ctx.namespace ?? 'default', ctx.name);
  if (!found)
    throw new ApiError(
      404,
      'NotFound',
      `${SERVICE_TRAFFIC_RESOURCE}.${PODVISOR_GROUP} "${ctx.name}" not found`,
      {
        name: ctx.name,
        group: PODVISOR_GROUP,
        kind: SERVICE_TRAFFIC_RESOURCE,
      },
    );
  if (respondWithTable(ctx, [found], found.metadata.resourceVersion)) return;
  sendJson(ctx.res, 200, found);
}

// ---- kubectl get servicetraffics ---------------------------------------------------------

const COLUMNS = [
  column('Name', 'The Service the traffic went to.', { format: 'name' }),
  column('Backends', 'Backends: the endpoints of the Service now, and former ones that got connections.', {
    type: 'integer',
  }),
  column('Connections', 'Connections forwarded since the node started (the proxy is TCP).', {
    type: 'integer',
  }),
  column('Active', 'Connections open now.', { type: 'integer' }),
  column('Rejected', 'Connections refused because no endpoint was Ready.', { type: 'integer' }),
  column('Age', 'Age of the Service.'),
];

export const serviceTrafficTable: TablePrinter = {
  columns: COLUMNS,
  row(obj, now) {
    const t = obj as unknown as ServiceTraffic;
    let connections = 0;
    let active = 0;
    for (const b of t.backends) {
      connections += b.connections;
      active += b.active;
    }
    const rejected = t.ports.reduce((n, p) => n + p.rejected, 0);
    const age = t.metadata.creationTimestamp ? since(t.metadata.creationTimestamp, now) : '<unknown>';
    return { cells: [t.metadata.name, t.backends.length, connections, active, rejected, age] };
  },
};
