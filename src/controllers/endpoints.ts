import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/types.js';
import { StoreError, type ObjectStore, type Watch } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { desiredSlices, desiredSubsets, type DesiredSlice, type PodObject } from './endpoints-build.js';

/**
 * The endpoints and endpointslice controllers in one: watches Services and Pods (no polling) and
 * keeps, for every Service with a selector, an Endpoints object of the same name and its
 * EndpointSlices (label kubernetes.io/service-name). Objects are written only when their content
 * changes, so a pod whose readiness flips causes exactly one write of each.
 */

export type StoredService = Service & KubeObject;
type StoredEndpoints = Endpoints & KubeObject;
type StoredSlice = EndpointSlice & KubeObject;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
/** A failed sync (a conflicting write) is retried after this long. */
const RETRY_MS = 1000;

export interface EndpointsControllerOptions {
  store: ObjectStore;
  clock: Clock;
  /** Told about syncs that failed (they are retried); defaults to silence. */
  onError?: (err: unknown) => void;
}

export class EndpointsController {
  private readonly store: ObjectStore;
  private readonly clock: Clock;
  private readonly onError: (err: unknown) => void;
  private watches: Watch[] = [];
  private dirty = new Set<string>();
  private scheduled = false;
  private retry: Timer | undefined;
  private stopped = false;

  constructor(opts: EndpointsControllerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.onError = opts.onError ?? (() => {});
  }

  start(): void {
    this.stopped = false;
    this.watches.push(
      this.store.watch<StoredService>('services', { shared: true }, (ev) => {
        this.enqueue(`${ev.object.metadata.namespace ?? 'default'}/${ev.object.metadata.name}`);
      }),
      this.store.watch<PodObject & KubeObject>('pods', { shared: true }, (ev) =>
        this.enqueueNamespace(ev.object.metadata.namespace ?? 'default'),
      ),
      // A slice or Endpoints changed by someone else is put back (the controller owns them).
      this.store.watch<StoredSlice>('endpointslices', { shared: true }, (ev) => {
        const svc = ev.object.metadata.labels?.[SERVICE_NAME_LABEL];
        if (svc && ev.object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
          this.enqueue(`${ev.object.metadata.namespace ?? 'default'}/${svc}`);
      }),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    this.watches = [];
    this.retry?.cancel();
  }

  private enqueueNamespace(namespace: string): void {
    for (const svc of this.store.list<StoredService>('services', { namespace, shared: true }).items)
      this.enqueue(`${namespace}/${svc.metadata.name}`);
  }

  private enqueue(key: string): void {
    this.dirty.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    // One pass per burst of watch events (a readiness flip touches the pod several times).
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const keys = [...this.dirty];
    this.dirty.clear();
    const failed: string[] = [];
    for (const key of keys) {
      try {
        this.sync(key);
      } catch (err) {
        failed.push(key);
        this.onError(err);
      }
    }
    if (failed.length > 0 && !this.retry) {
      this.retry = this.clock.setTimer(RETRY_MS, () => {
        this.retry = undefined;
        for (const k of failed) this.enqueue(k);
      });
    }
  }

  /** Brings one service's Endpoints and EndpointSlices in line with its pods. */
  sync(key: string): void {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const svc = this.store.get<StoredService>('services', namespace, name);
    const selector = svc?.spec?.selector;
    if (!svc || !selector || Object.keys(selector).length === 0 || svc.spec?.type === 'ExternalName') {
      // Services without a selector have hand-written Endpoints (upstream leaves them alone);
      // a deleted service takes its objects with it.
      if (!svc) {
        this.deleteIfPresent('endpoints', namespace, name);
        for (const s of this.slicesOf(namespace, name))
          this.deleteIfPresent('endpointslices', namespace, s.metadata.name);
      }
      return;
    }
    const labelSelector = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = this.store.list<PodObject & KubeObject>('pods', { namespace, labelSelector }).items;
    this.writeEndpoints(svc, desiredSubsets(svc, pods));
    this.writeSlices(svc, desiredSlices(svc, pods));
  }

  private deleteIfPresent(resource: string, namespace: string, name: string): void {
    try {
      this.store.delete(resource, namespace, name);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 404)) throw err;
    }
  }

  private writeEndpoints(svc: StoredService, subsets: Endpoints['subsets']): void {
    const { namespace, name } = svc.metadata;
    const ns = namespace ?? 'default';
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec?.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const existing = this.store.get<StoredEndpoints>('endpoints', ns, name);
    if (existing) {
      if (same(existing.subsets ?? [], subsets ?? []) && same(existing.metadata.labels ?? {}, labels)) return;
      this.store.mutate<StoredEndpoints>('endpoints', ns, name, (cur) => {
        const next: StoredEndpoints = { ...cur, metadata: { ...cur.metadata, labels } };
        if (subsets && subsets.length > 0) next.subsets = subsets;
        else delete next.subsets;
        return next;
      });
      return;
    }
    const ep: StoredEndpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace: ns, labels },
    };
    if (subsets && subsets.length > 0) ep.subsets = subsets;
    this.store.create('endpoints', ep);
  }

  private slicesOf(namespace: string, service: string): StoredSlice[] {
    return this.store
      .list<StoredSlice>('endpointslices', {
        namespace,
        labelSelector: `${SERVICE_NAME_LABEL}=${service},${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      })
      .items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  private writeSlices(svc: StoredService, desired: DesiredSlice[]): void {
    const ns = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name;
    const labels: Record<string, string> = {
      ...(svc.metadata.labels ?? {}),
      [SERVICE_NAME_LABEL]: name,
      [MANAGED_BY_LABEL]: MANAGED_BY,
    };
    // A service with no endpoints still has one (empty) slice, as upstream keeps a placeholder.
    const wanted: DesiredSlice[] = desired.length > 0 ? desired : [{ ports: [], endpoints: [] }];
    const existing = this.slicesOf(ns, name);
    wanted.forEach((want, i) => {
      const cur = existing[i];
      if (cur) {
        if (
          same(cur.ports ?? [], want.ports) &&
          same(cur.endpoints, want.endpoints) &&
          same(cur.metadata.labels ?? {}, labels)
        )
          return;
        this.store.mutate<StoredSlice>('endpointslices', ns, cur.metadata.name, (c) => ({
          ...c,
          metadata: { ...c.metadata, labels },
          ports: want.ports,
          endpoints: want.endpoints,
        }));
        return;
      }
      const slice: StoredSlice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: '',
          generateName: `${name}-`,
          namespace: ns,
          labels,
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Service',
              name,
              uid: svc.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        addressType: 'IPv4',
        ports: want.ports,
        endpoints: want.endpoints,
      };
      this.store.create('endpointslices', slice);
    });
    for (const extra of existing.slice(wanted.length))
      this.deleteIfPresent('endpointslices', ns, extra.metadata.name);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Starts the controller; `stop()` ends its watches. */
export function startEndpointsController(opts: EndpointsControllerOptions): EndpointsController {
  const c = new EndpointsController(opts);
  c.start();
  return c;
}
