import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { since } from '../../api/kube-time.js';
import * as d from './descriptions.js';
import { column, type TablePrinter } from './types.js';

/**
 * printers.go printService / printEndpoints / printEndpointSlice: the columns `kubectl get
 * svc,endpoints,endpointslices` shows, with the same cell formatting (`80:30080/TCP`,
 * `a:80,b:80 + 1 more...`).
 */

const SERVICE_COLUMNS = [
  column('Name', d.OBJECT_META_NAME, { format: 'name' }),
  column('Type', 'The type of the service.'),
  column('Cluster-IP', 'The IP address of the service.'),
  column('External-IP', 'The external IP address of the service.'),
  column('Port(s)', 'The port(s) of service.'),
  column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  column('Selector', 'The label selector of the service.', { priority: 1 }),
];

function servicePorts(svc: Service): string {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports
    .map((p) =>
      p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
    )
    .join(',');
}

/** getServiceExternalIP: LoadBalancer without ingress is `<pending>`; otherwise externalIPs or `<none>`. */
function externalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const ips = spec.externalIPs ?? [];
  if (spec.type === 'ExternalName') return spec.externalName ?? '<none>';
  if (spec.type === 'LoadBalancer') {
    const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
    const all = [...ingress, ...ips].filter((s) => s !== '');
    return all.length > 0 ? all.join(',') : '<pending>';
  }
  return ips.length > 0 ? ips.join(',') : '<none>';
}

function selectorString(selector: Record<string, string> | undefined): string {
  const keys = Object.keys(selector ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${selector?.[k]}`).join(',');
}

export const serviceTablePrinter: TablePrinter = {
  columns: SERVICE_COLUMNS,
  row(obj, now) {
    const svc = obj as unknown as Service;
    const clusterIP = svc.spec?.clusterIP || '<none>';
    return {
      cells: [
        svc.metadata?.name ?? '',
        svc.spec?.type ?? '',
        clusterIP,
        externalIP(svc),
        servicePorts(svc),
        since(svc.metadata?.creationTimestamp, now),
        selectorString(svc.spec?.selector),
      ],
    };
  },
};

const MAX_SHOWN = 3;

/** formatEndpoints(endpoints, nil): ready addresses × ports, the first three, then `+ N more...`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  let more = false;
  const add = (s: string): void => {
    if (list.length === MAX_SHOWN) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addresses.length;
      for (const a of addresses) add(a.ip);
      continue;
    }
    for (const port of ss.ports ?? []) {
      count += addresses.length;
      for (const a of addresses) add(`${a.ip}:${port.port}`);
    }
  }
  const ret = list.join(',');
  if (more) return `${ret} + ${count - MAX_SHOWN} more...`;
  return ret === '' ? '<none>' : ret;
}

export const endpointsTablePrinter: TablePrinter = {
  columns: [
    column('Name', d.OBJECT_META_NAME, { format: 'name' }),
    column('Endpoints', 'Endpoints of the service.'),
    column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  ],
  row(obj, now) {
    const ep = obj as unknown as Endpoints;
    return {
      cells: [ep.metadata?.name ?? '', formatEndpoints(ep), since(ep.metadata?.creationTimestamp, now)],
    };
  },
};

/** listWithMoreString: the first three, `+ N more...`, or `<unset>` when empty. */
function listWithMore(items: string[]): string {
  const ret = items.slice(0, MAX_SHOWN).join(',');
  if (items.length > MAX_SHOWN) return `${ret} + ${items.length - MAX_SHOWN} more...`;
  return ret === '' ? '<unset>' : ret;
}

export const endpointSliceTablePrinter: TablePrinter = {
  columns: [
    column('Name', d.OBJECT_META_NAME, { format: 'name' }),
    column('AddressType', 'The IP protocol for this slice.'),
    column('Ports', 'The ports that each endpoint in this slice exposes.'),
    column('Endpoints', 'Endpoints for this slice.'),
    column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  ],
  row(obj, now) {
    const slice = obj as unknown as EndpointSlice;
    const ports = (slice.ports ?? []).map((p) =>
      p.port !== undefined ? String(p.port) : p.name !== undefined ? p.name : '*',
    );
    const addresses = (slice.endpoints ?? []).flatMap((e) => e.addresses);
    return {
      cells: [
        slice.metadata?.name ?? '',
        slice.addressType,
        listWithMore(ports),
        listWithMore(addresses),
        since(slice.metadata?.creationTimestamp, now),
      ],
    };
  },
};
