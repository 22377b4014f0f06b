/**
 * The Services view as data: per Service its ports and selector, its endpoints as rows (ready or
 * not, as the Endpoints controller published them) and the service proxy's connection counters per
 * backend. Pure, so the join of three resources is unit-tested with hand-built objects.
 */
import type { EndpointAddress, Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { ServiceTraffic } from '../../src/api/service-traffic.js';

/** The part of podvisor.io/v1alpha1 ServiceTraffic (issue 8) the view reads: counted in connections. */
export type ServiceTrafficView = Pick<ServiceTraffic, 'metadata' | 'ports' | 'backends'>;

export interface EndpointRow {
  /** The pod behind the address (targetRef), else the IP. */
  pod: string;
  ip: string;
  /** `ip:port` for each endpoint port. */
  addresses: string[];
  ready: boolean;
  /** From ServiceTraffic: undefined when counters are unavailable. */
  connections?: number;
  active?: number;
}

export interface ServiceSummary {
  name: string;
  namespace: string;
  type: string;
  clusterIP: string;
  /** kubectl's PORT(S): `80/TCP`, `80:30080/TCP`; with the target: `80→8080/TCP` in `portDetails`. */
  ports: string;
  portDetails: string[];
  /** `app=web,tier=front`, or `<none>`. */
  selector: string;
  endpoints: EndpointRow[];
  readyCount: number;
  notReadyCount: number;
  /** Connections refused per service port because no endpoint was ready. */
  rejected?: { port: number; protocol: string; rejected: number }[];
  /** Connections to addresses no longer in the endpoints (a pod that went away). */
  formerConnections?: number;
}

type Keyed = { metadata?: { name?: string; namespace?: string } };

function keyOf(o: Keyed): string {
  return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
}

/** Splits `127.0.0.5:8080` and `[::1]:80` into host and port. */
export function splitHostPort(address: string): { host: string; port: string } {
  const i = address.lastIndexOf(':');
  if (i < 0) return { host: address, port: '' };
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: address.slice(i + 1) };
}

export function summarizeServices(
  services: readonly Service[],
  endpoints: readonly Endpoints[],
  traffic: readonly ServiceTrafficView[] | undefined,
): ServiceSummary[] {
  const endpointsByKey = new Map(endpoints.map((e) => [keyOf(e), e]));
  const trafficByKey = new Map((traffic ?? []).map((t) => [keyOf(t), t]));
  return services.map((svc) => {
    const key = keyOf(svc);
    const spec = svc.spec ?? {};
    const ep = endpointsByKey.get(key);
    const tr = traffic ? trafficByKey.get(key) : undefined;
    const rows: EndpointRow[] = [];
    for (const subset of ep?.subsets ?? []) {
      const ports = (subset.ports ?? []).map((p) => p.port);
      const add = (a: EndpointAddress, ready: boolean): void => {
        rows.push({
          pod: a.targetRef?.name ?? a.ip,
          ip: a.ip,
          addresses: ports.length ? ports.map((p) => joinHostPort(a.ip, p)) : [a.ip],
          ready,
        });
      };
      for (const a of subset.addresses ?? []) add(a, true);
      for (const a of subset.notReadyAddresses ?? []) add(a, false);
    }
    // One row per address: an address in several subsets (different port sets) is one pod.
    const merged = mergeRows(rows);
    let formerConnections: number | undefined;
    if (traffic) {
      const seen = new Set<string>();
      for (const row of merged) {
        row.connections = 0;
        row.active = 0;
        for (const b of tr?.backends ?? []) {
          if (splitHostPort(b.address).host !== row.ip) continue;
          row.connections += b.connections;
          row.active += b.active;
          seen.add(b.address);
        }
      }
      formerConnections = (tr?.backends ?? [])
        .filter((b) => !seen.has(b.address))
        .reduce((n, b) => n + b.connections, 0);
    }
    merged.sort((a, b) => Number(b.ready) - Number(a.ready) || a.pod.localeCompare(b.pod));
    const summary: ServiceSummary = {
      name: svc.metadata?.name ?? '',
      namespace: svc.metadata?.namespace ?? 'default',
      type: spec.type ?? 'ClusterIP',
      clusterIP: spec.clusterIP ?? '<none>',
      ports: servicePorts(svc),
      portDetails: (spec.ports ?? []).map(
        (p) =>
          `${p.name ? `${p.name} ` : ''}${p.port}→${String(p.targetPort ?? p.port)}/${p.protocol ?? 'TCP'}`,
      ),
      selector: selectorText(spec.selector),
      endpoints: merged,
      readyCount: merged.filter((r) => r.ready).length,
      notReadyCount: merged.filter((r) => !r.ready).length,
    };
    if (traffic) {
      summary.rejected = (spec.ports ?? []).map((p) => {
        const counted = tr?.ports?.find((tp) => tp.port === p.port && tp.protocol === (p.protocol ?? 'TCP'));
        return { port: p.port, protocol: p.protocol ?? 'TCP', rejected: counted?.rejected ?? 0 };
      });
      if (formerConnections !== undefined) summary.formerConnections = formerConnections;
    }
    return summary;
  });
}

function mergeRows(rows: EndpointRow[]): EndpointRow[] {
  const byIp = new Map<string, EndpointRow>();
  for (const r of rows) {
    const prev = byIp.get(`${r.ip}/${String(r.ready)}`);
    if (prev) prev.addresses.push(...r.addresses.filter((a) => !prev.addresses.includes(a)));
    else byIp.set(`${r.ip}/${String(r.ready)}`, { ...r, addresses: [...r.addresses] });
  }
  return [...byIp.values()];
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** kubectl get svc PORT(S): `80/TCP,443:30443/TCP`, `<none>` without ports. */
export function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

/** kubectl's SELECTOR column: `k=v` sorted by key, comma-joined; `<none>` when empty. */
export function selectorText(selector: Record<string, string> | undefined): string {
  const keys = Object.keys(selector ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${selector?.[k] ?? ''}`).join(',');
}
