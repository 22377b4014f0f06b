import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Pod,
  Service,
  ServicePort,
} from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort as SlicePort } from 'kubernetes-types/discovery/v1.js';

/**
 * Pure computation of what a Service's Endpoints and EndpointSlices should hold, given its pods
 * (pkg/controller/endpoint and pkg/controller/endpointslice). Kept apart from the watch loop so
 * it can be read against upstream and tested without a store.
 */

export type PodObject = Pod & { metadata: { name: string; namespace?: string; uid?: string } };

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * FindPort (pkg/api/v1/pod): a numeric targetPort is used as given; a named one is looked up in
 * the pod's container ports with the same protocol. Undefined: this pod does not serve the port.
 */
export function resolveTargetPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const asNumber = /^\d+$/.test(target) ? Number(target) : undefined;
  if (asNumber !== undefined) return asNumber;
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      if (cp.name === target && (cp.protocol ?? 'TCP') === protocol) return cp.containerPort;
    }
  }
  return undefined;
}

/** The ports one pod serves for the service, in service port order; empty ports are dropped. */
function podPorts(pod: Pod, svc: Service): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = resolveTargetPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
    if (sp.name) ep.name = sp.name;
    out.push(ep);
  }
  return out;
}

function portsKey(ports: readonly { name?: string; port?: number; protocol?: string }[]): string {
  return ports.map((p) => `${p.name ?? ''}:${p.port ?? ''}/${p.protocol ?? ''}`).join(',');
}

function targetRef(pod: PodObject): EndpointAddress['targetRef'] {
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? '',
  };
}

function byIP(a: { ip: string }, b: { ip: string }): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}

/**
 * Endpoints subsets (endpoints controller): terminating and finished pods and pods without an IP
 * are left out; ready pods go in `addresses`, the others in `notReadyAddresses` (all ready with
 * publishNotReadyAddresses). Pods serving the same resolved ports share a subset.
 */
export function desiredSubsets(svc: Service, pods: readonly PodObject[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, EndpointSubset>();
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip || isTerminal(pod)) continue;
    if (pod.metadata.deletionTimestamp && !publishNotReady) continue;
    const ports = podPorts(pod, svc);
    if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
    const key = portsKey(ports);
    let subset = groups.get(key);
    if (!subset) {
      subset = ports.length > 0 ? { ports } : {};
      groups.set(key, subset);
    }
    const address: EndpointAddress = { ip, targetRef: targetRef(pod) };
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName;
    if (publishNotReady || isPodReady(pod)) (subset.addresses ??= []).push(address);
    else (subset.notReadyAddresses ??= []).push(address);
  }
  const subsets = [...groups.values()];
  for (const s of subsets) {
    s.addresses?.sort(byIP);
    s.notReadyAddresses?.sort(byIP);
  }
  return subsets.sort((a, b) => (portsKey(a.ports ?? []) < portsKey(b.ports ?? []) ? -1 : 1));
}

export interface DesiredSlice {
  ports: SlicePort[];
  endpoints: Endpoint[];
}

/**
 * EndpointSlice contents (endpointslice controller): terminating pods stay listed with
 * ready=false, serving=<their readiness>, terminating=true, so proxies can drain them; finished
 * pods and pods without an IP are left out.
 */
export function desiredSlices(svc: Service, pods: readonly PodObject[]): DesiredSlice[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, DesiredSlice>();
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip || isTerminal(pod)) continue;
    const ports = podPorts(pod, svc);
    if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
    const slicePorts: SlicePort[] = ports.map((p) => ({
      ...(p.name !== undefined ? { name: p.name } : { name: '' }),
      port: p.port,
      protocol: p.protocol ?? 'TCP',
    }));
    const key = portsKey(slicePorts);
    let slice = groups.get(key);
    if (!slice) {
      slice = { ports: slicePorts, endpoints: [] };
      groups.set(key, slice);
    }
    const serving = publishNotReady || isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    const endpoint: Endpoint = {
      addresses: [ip],
      conditions: { ready: serving && !terminating, serving, terminating },
      targetRef: targetRef(pod),
    };
    if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
    slice.endpoints.push(endpoint);
  }
  const slices = [...groups.values()];
  for (const s of slices)
    s.endpoints.sort((a, b) => byIP({ ip: a.addresses[0] ?? '' }, { ip: b.addresses[0] ?? '' }));
  return slices.sort((a, b) => (portsKey(a.ports) < portsKey(b.ports) ? -1 : 1));
}
