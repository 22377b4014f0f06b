import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceType, type SubresourceMethods, type Verb } from './resource-types.js';
import type { ResourceRegistry } from './router.js';
import { methodNotAllowed, pathNotFound } from './status.js';

/**
 * API discovery generated from the resource registry (kubectl-surface §1.1): aggregated discovery
 * (apidiscovery.k8s.io v2 / v2beta1 APIGroupDiscoveryList) on /api and /apis when the Accept
 * header asks for it, legacy discovery (APIVersions, APIGroupList, APIGroup, APIResourceList)
 * otherwise. Nothing here lists resources by hand: a new registry entry is discovered as is.
 */

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface SubresourceInfo {
  name: string;
  kind: GroupVersionKind;
  verbs: Verb[];
}

/**
 * The kind a subresource answers with where it is not the parent's kind (upstream's registry:
 * pods/portforward → PodPortForwardOptions, deployments/scale → autoscaling/v1 Scale, …).
 */
const SUBRESOURCE_KINDS: Readonly<Record<string, GroupVersionKind>> = {
  portforward: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
  exec: { group: '', version: 'v1', kind: 'PodExecOptions' },
  attach: { group: '', version: 'v1', kind: 'PodAttachOptions' },
  proxy: { group: '', version: 'v1', kind: 'PodProxyOptions' },
  binding: { group: '', version: 'v1', kind: 'Binding' },
  eviction: { group: 'policy', version: 'v1', kind: 'Eviction' },
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  // podvisor.io probehistories/{pod}/run answers a ProbeRunReport (issue 5).
  run: { group: 'podvisor.io', version: 'v1alpha1', kind: 'ProbeRunReport' },
};

/** HTTP methods a subresource serves → the verbs discovery reports (as the apiserver maps them). */
const METHOD_VERBS: Readonly<Record<keyof SubresourceMethods, Verb>> = {
  GET: 'get',
  PUT: 'update',
  POST: 'create',
  PATCH: 'patch',
};

export function subresourcesOf(t: ResourceType): SubresourceInfo[] {
  return Object.entries(t.subresources)
    .map(([name, methods]) => ({
      name,
      kind: SUBRESOURCE_KINDS[name] ?? { group: t.group, version: t.version, kind: t.kind },
      verbs: (Object.keys(methods) as (keyof SubresourceMethods)[]).map((m) => METHOD_VERBS[m]).sort(),
    }))
    .sort((a, b) => compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface GroupVersion {
  group: string;
  version: string;
  resources: ResourceType[];
}

/** Served group-versions, the core group first, then groups by name; resources sorted by name. */
export function groupVersions(registry: ResourceRegistry): GroupVersion[] {
  const byKey = new Map<string, GroupVersion>();
  for (const t of registry.all()) {
    const key = apiVersionOf(t);
    const gv = byKey.get(key) ?? { group: t.group, version: t.version, resources: [] };
    gv.resources.push(t);
    byKey.set(key, gv);
  }
  const gvs = [...byKey.values()];
  for (const gv of gvs) gv.resources.sort((a, b) => compare(a.resource, b.resource));
  return gvs.sort((a, b) => compare(a.group, b.group) || compare(a.version, b.version));
}

// ---- aggregated discovery -------------------------------------------------------------------

const DISCOVERY_GROUP = 'apidiscovery.k8s.io';
const DISCOVERY_KIND = 'APIGroupDiscoveryList';
const DISCOVERY_VERSIONS = ['v2', 'v2beta1'] as const;
type DiscoveryVersion = (typeof DISCOVERY_VERSIONS)[number];

/**
 * The aggregated discovery version the Accept header asks for, in the client's order of
 * preference (kubectl sends v2, then v2beta1, then plain application/json), or undefined for
 * legacy discovery.
 */
export function aggregatedVersionAccepted(accept: string | undefined): DiscoveryVersion | undefined {
  for (const range of (accept ?? '').split(',')) {
    const [type, ...rawParams] = range.split(';').map((s) => s.trim());
    if (type === 'application/json' && rawParams.length === 0) return undefined;
    if (type === '*/*' || type === 'application/*') return undefined;
    if (type !== 'application/json') continue;
    const params = new Map(
      rawParams.map((p) => {
        const eq = p.indexOf('=');
        return [p.slice(0, eq).trim(), p.slice(eq + 1).trim()] as const;
      }),
    );
    const v = params.get('v');
    if (params.get('g') === DISCOVERY_GROUP && params.get('as') === DISCOVERY_KIND && v !== undefined)
      if ((DISCOVERY_VERSIONS as readonly string[]).includes(v)) return v as DiscoveryVersion;
  }
  return undefined;
}

export function aggregatedContentType(v: DiscoveryVersion): string {
  return `application/json;g=${DISCOVERY_GROUP};v=${v};as=${DISCOVERY_KIND}`;
}

function gvk(t: ResourceType): GroupVersionKind {
  return { group: t.group, version: t.version, kind: t.kind };
}

function aggregatedResource(t: ResourceType): Record<string, unknown> {
  const r: Record<string, unknown> = {
    resource: t.resource,
    responseKind: gvk(t),
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: [...t.verbs].sort(),
  };
  if (t.shortNames.length > 0) r.shortNames = [...t.shortNames];
  if (t.categories.length > 0) r.categories = [...t.categories];
  const subs = subresourcesOf(t);
  if (subs.length > 0)
    r.subresources = subs.map((s) => ({ subresource: s.name, responseKind: s.kind, verbs: s.verbs }));
  return r;
}

/** /api (core: true) or /apis (core: false) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(
  registry: ResourceRegistry,
  core: boolean,
  v: DiscoveryVersion = 'v2',
): Record<string, unknown> {
  const groups = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions(registry)) {
    if ((gv.group === '') !== core) continue;
    groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv]);
  }
  return {
    kind: DISCOVERY_KIND,
    apiVersion: `${DISCOVERY_GROUP}/${v}`,
    metadata: {},
    items: [...groups].map(([group, versions]) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((gv) => ({
        version: gv.version,
        resources: gv.resources.map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  };
}

// ---- legacy discovery -----------------------------------------------------------------------

/** discovery.StorageVersionHash: the first 8 bytes of sha256("group/version/kind"), base64. */
export function storageVersionHash(t: GroupVersionKind): string {
  return createHash('sha256')
    .update(`${t.group}/${t.version}/${t.kind}`)
    .digest()
    .subarray(0, 8)
    .toString('base64');
}

export function apiResourceList(gv: GroupVersion): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const t of gv.resources) {
    const r: Record<string, unknown> = {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: [...t.verbs].sort(),
    };
    if (t.shortNames.length > 0) r.shortNames = [...t.shortNames];
    if (t.categories.length > 0) r.categories = [...t.categories];
    r.storageVersionHash = storageVersionHash(gvk(t));
    resources.push(r);
    for (const s of subresourcesOf(t)) {
      const sub: Record<string, unknown> = {
        name: `${t.resource}/${s.name}`,
        singularName: '',
        namespaced: t.namespaced,
      };
      // Like the apiserver, group/version only where they differ from the list's own.
      if (s.kind.group !== t.group || s.kind.version !== t.version) {
        sub.group = s.kind.group;
        sub.version = s.kind.version;
      }
      resources.push({ ...sub, kind: s.kind.kind, verbs: s.verbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(gv), resources };
}

function apiGroup(name: string, versions: GroupVersion[]): Record<string, unknown> {
  const list = versions.map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
  return { name, versions: list, preferredVersion: list[0] };
}

function groupsByName(registry: ResourceRegistry): Map<string, GroupVersion[]> {
  const groups = new Map<string, GroupVersion[]>();
  for (const gv of groupVersions(registry))
    if (gv.group !== '') groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv]);
  return groups;
}

function serverAddress(req: IncomingMessage): string {
  const { localAddress, localPort } = req.socket;
  const host = localAddress?.includes(':') ? `[${localAddress}]` : (localAddress ?? '127.0.0.1');
  return `${host}:${localPort ?? 0}`;
}

// ---- HTTP ----------------------------------------------------------------------------------

function send(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(contentType).update(text).digest('hex')}"`;
  const headers = {
    'Cache-Control': 'no-cache, private',
    'Content-Type': contentType,
    ETag: etag,
    Vary: 'Accept',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(text) });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/**
 * Serves the discovery paths (/api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version});
 * false for any other path. Like every path of podvisor's, discovery is behind the bearer-token
 * gate in api-server.ts (nothing is public: SECURITY.md).
 */
export function serveDiscovery(
  registry: ResourceRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): boolean {
  const segs = pathname.split('/').filter((s) => s !== '');
  const root = segs[0];
  if ((root !== 'api' && root !== 'apis') || segs.length > (root === 'api' ? 2 : 3)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();

  if (segs.length === 1) {
    const aggregated = aggregatedVersionAccepted(req.headers.accept);
    if (aggregated)
      send(
        req,
        res,
        aggregatedDiscovery(registry, root === 'api', aggregated),
        aggregatedContentType(aggregated),
      );
    else if (root === 'api')
      send(req, res, {
        kind: 'APIVersions',
        versions: groupVersions(registry)
          .filter((gv) => gv.group === '')
          .map((gv) => gv.version),
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverAddress(req) }],
      });
    else
      send(req, res, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groupsByName(registry)].map(([name, versions]) => apiGroup(name, versions)),
      });
    return true;
  }

  const group = root === 'api' ? '' : (segs[1] ?? '');
  const version = root === 'api' ? segs[1] : segs[2];
  if (version === undefined) {
    const versions = groupsByName(registry).get(group);
    if (!versions) throw pathNotFound();
    send(req, res, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) });
    return true;
  }
  const gv = groupVersions(registry).find((g) => g.group === group && g.version === version);
  if (!gv) throw pathNotFound();
  send(req, res, apiResourceList(gv));
  return true;
}
