import type { ServicePort } from 'kubernetes-types/core/v1.js';
import { admitService, validateServiceUpdate, type StoredService } from '../api/service.js';
import type { KubeObject } from '../api/types.js';
import { UNCLAIMED, type AddressClaims } from '../runtime/address-claims.js';
import { StoreError, type ObjectStore } from '../store/types.js';
import { admitAsIs, SERVED_VERBS, type ResourceType } from './resource-types.js';
import { preserveDeletion } from './rest.js';
import { endpointSliceTablePrinter, endpointsTablePrinter, serviceTablePrinter } from './tables/services.js';

/**
 * core/v1 services, core/v1 endpoints and discovery.k8s.io/v1 endpointslices. Services get their
 * addresses here, as the apiserver's service REST allocates them: a cluster IP from podvisor's own
 * loopback range (kept apart from the pod range 127.77.0.0/16) and node ports from 30000-32767.
 * Endpoints and EndpointSlices are written by the endpoints controller; clients mostly read them.
 */

/** 127.96.0.0/16; .0.0 and .0.1 are left out so the range never starts at a network-looking address. */
export const CLUSTER_IP_PREFIX = '127.96.';
const FIRST_CLUSTER_IP_INDEX = 2;
const LAST_CLUSTER_IP_INDEX = 65534;
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

function indexToIP(i: number): string {
  return `${CLUSTER_IP_PREFIX}${Math.floor(i / 256)}.${i % 256}`;
}

function usedAddresses(store: ObjectStore, exceptUid?: string): { ips: Set<string>; nodePorts: Set<number> } {
  const ips = new Set<string>();
  const nodePorts = new Set<number>();
  for (const svc of store.list<StoredService>('services').items) {
    if (exceptUid && svc.metadata.uid === exceptUid) continue;
    if (svc.spec?.clusterIP) ips.add(svc.spec.clusterIP);
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) nodePorts.add(p.nodePort);
  }
  return { ips, nodePorts };
}

function portConflict(message: string): StoreError {
  return new StoreError(422, 'Invalid', message);
}

function allocateNodePorts(
  ports: ServicePort[],
  used: Set<number>,
  previous: readonly ServicePort[] = [],
): void {
  // Kubernetes allocates at random within the range; podvisor does the same so restarts of a
  // service rarely reuse the port another client still remembers.
  const span = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;
  for (const port of ports) {
    if (!port.nodePort) {
      const kept = previous.find((p) => p.port === port.port && p.protocol === port.protocol)?.nodePort;
      if (kept && !used.has(kept)) port.nodePort = kept;
    }
    if (port.nodePort) {
      if (used.has(port.nodePort))
        throw portConflict(
          `Service is invalid: spec.ports: Invalid value: ${port.nodePort}: provided port is already allocated`,
        );
      used.add(port.nodePort);
      continue;
    }
    const start = Math.floor(Math.random() * span);
    for (let k = 0; k < span; k++) {
      const candidate = NODE_PORT_RANGE.min + ((start + k) % span);
      if (!used.has(candidate)) {
        port.nodePort = candidate;
        used.add(candidate);
        break;
      }
    }
    if (!port.nodePort) throw portConflict('Service is invalid: spec.ports: Internal error: range is full');
  }
}

/**
 * Gives a service its cluster IP (unless headless or ExternalName) and, for NodePort and
 * LoadBalancer, node ports. Used by the REST create/update and by `up -f`, which stores objects
 * directly. A new cluster IP is also claimed machine-wide (`claims`, shared with pod IPs), so two
 * podvisor nodes on one machine never serve the same address.
 */
export function allocateServiceAddresses(
  store: ObjectStore,
  obj: KubeObject,
  existing?: StoredService,
  claims: AddressClaims = UNCLAIMED,
): StoredService {
  const svc = obj as StoredService;
  const spec = (svc.spec ??= {});
  const used = usedAddresses(store, existing?.metadata.uid);
  if (spec.type !== 'ExternalName') {
    if (!spec.clusterIP) {
      for (let i = FIRST_CLUSTER_IP_INDEX; i <= LAST_CLUSTER_IP_INDEX; i++) {
        const ip = indexToIP(i);
        if (!used.ips.has(ip) && claims.claim(ip)) {
          spec.clusterIP = ip;
          break;
        }
      }
      if (!spec.clusterIP)
        throw portConflict('Service is invalid: spec.clusterIPs: Internal error: range is full');
    } else if (spec.clusterIP !== 'None' && used.ips.has(spec.clusterIP)) {
      throw portConflict(
        `Service "${svc.metadata.name}" is invalid: spec.clusterIPs: Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`,
      );
    } else if (spec.clusterIP !== 'None' && !existing && !claims.claim(spec.clusterIP)) {
      throw portConflict(
        `Service "${svc.metadata.name}" is invalid: spec.clusterIPs: Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated by another podvisor node on this machine; leave clusterIP empty to have a free one allocated`,
      );
    }
    spec.clusterIPs = [spec.clusterIP];
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    allocateNodePorts(spec.ports ?? [], used.nodePorts, existing?.spec?.ports);
  } else {
    for (const p of spec.ports ?? []) delete p.nodePort;
  }
  return svc;
}

export function serviceResource(store: ObjectStore, claims: AddressClaims = UNCLAIMED): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'services',
    kind: 'Service',
    listKind: 'ServiceList',
    singular: 'service',
    shortNames: ['svc'],
    categories: ['all'],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit(obj) {
      const adm = admitService(obj);
      // unknownFields: fieldValidation=Strict refuses them (rest.ts admitOrThrow).
      const unknownFields = adm.unknownFields ?? [];
      return adm.service
        ? { object: adm.service, errors: [], warnings: adm.warnings, unknownFields }
        : { errors: adm.errors, warnings: adm.warnings, unknownFields };
    },
    prepareCreate(obj) {
      // Status is the server's: a client's is dropped on create.
      const { status: _dropped, ...svc } = obj as StoredService;
      return allocateServiceAddresses(store, svc as StoredService, undefined, claims);
    },
    // patchAllocatedValues: an update that leaves the allocated fields empty keeps them.
    prepareUpdate(next, existing) {
      const old = existing as StoredService;
      const svc = { ...preserveDeletion(next, existing), status: old.status ?? {} } as StoredService;
      const spec = (svc.spec ??= {});
      if (!spec.clusterIP && old.spec?.clusterIP) {
        spec.clusterIP = old.spec.clusterIP;
        spec.clusterIPs = old.spec.clusterIPs ?? [old.spec.clusterIP];
      }
      if (spec.clusterIP !== old.spec?.clusterIP) return svc;
      return allocateServiceAddresses(store, svc, old);
    },
    validateUpdate: (next, existing) =>
      validateServiceUpdate(next as StoredService, existing as StoredService),
    returnDeletedObject: false,
    subresources: {},
    table: serviceTablePrinter,
  };
}

/** Endpoints and EndpointSlices are written by the controller; other writers are stored as given. */
function admitWithNamespace(obj: KubeObject): ReturnType<typeof admitAsIs> {
  obj.metadata.namespace ??= 'default';
  return admitAsIs(obj);
}

export function endpointsResource(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'endpoints',
    kind: 'Endpoints',
    listKind: 'EndpointsList',
    singular: 'endpoints',
    shortNames: ['ep'],
    categories: [],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit: admitWithNamespace,
    returnDeletedObject: false,
    subresources: {},
    table: endpointsTablePrinter,
  };
}

export function endpointSliceResource(): ResourceType {
  return {
    group: 'discovery.k8s.io',
    version: 'v1',
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    listKind: 'EndpointSliceList',
    singular: 'endpointslice',
    shortNames: [],
    categories: [],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit: admitWithNamespace,
    returnDeletedObject: false,
    subresources: {},
    table: endpointSliceTablePrinter,
  };
}

/** The three entries, for the API server's registry. */
export function serviceResources(store: ObjectStore, claims: AddressClaims = UNCLAIMED): ResourceType[] {
  return [serviceResource(store, claims), endpointsResource(), endpointSliceResource()];
}
