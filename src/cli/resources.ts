import { CliError } from './errors.js';

/**
 * Resource words as kubectl takes them: singular, plural and short names (DESIGN "Command line").
 * Kinds that later issues add are known, so that they get a clear "not supported yet" rather than
 * "doesn't have a resource type".
 */
export type SupportedResource =
  | 'pods'
  | 'events'
  | 'services'
  | 'endpoints'
  | 'endpointslices'
  | 'nodes'
  | 'replicasets'
  | 'deployments'
  | 'replicationcontrollers';

interface ResourceWord {
  plural: string;
  supported: boolean;
}

const WORDS: Record<string, ResourceWord> = {};
function define(plural: string, supported: boolean, ...aliases: string[]): void {
  for (const w of [plural, ...aliases]) WORDS[w] = { plural, supported };
}
define('pods', true, 'pod', 'po');
define('events', true, 'event', 'ev');
define('deployments', true, 'deployment', 'deploy', 'deployments.apps', 'deployment.apps');
define('replicasets', true, 'replicaset', 'rs', 'replicasets.apps', 'replicaset.apps');
define('services', true, 'service', 'svc');
define('endpoints', true, 'endpoint', 'ep');
define(
  'endpointslices',
  true,
  'endpointslice',
  'endpointslices.discovery.k8s.io',
  'endpointslice.discovery.k8s.io',
);
define('nodes', true, 'node', 'no');
define('replicationcontrollers', true, 'replicationcontroller', 'rc');
define('namespaces', false, 'namespace', 'ns');

export function resolveResource(word: string, allowed: readonly SupportedResource[]): SupportedResource {
  const entry = WORDS[word.toLowerCase()];
  if (!entry) throw new CliError(`error: the server doesn't have a resource type "${word}"`);
  const plural = entry.plural as SupportedResource;
  if (!entry.supported || !allowed.includes(plural)) {
    throw new CliError(
      `error: podvisor does not support "${entry.plural}" for this command yet: ` +
        `it handles ${allowed.join(' and ')} in this version`,
    );
  }
  return plural;
}

/** kubectl's `TYPE/NAME` form (`pod/web`): the type and the name, if the word has a slash. */
export function splitTypeName(arg: string): { type: string; name: string } | undefined {
  const slash = arg.indexOf('/');
  if (slash <= 0 || slash === arg.length - 1) return undefined;
  return { type: arg.slice(0, slash), name: arg.slice(slash + 1) };
}

/** Resources outside the core group. */
const API_PREFIX: Partial<Record<SupportedResource, string>> = {
  endpointslices: '/apis/discovery.k8s.io/v1',
  replicasets: '/apis/apps/v1',
  deployments: '/apis/apps/v1',
};

/** REST collection path: `/api/v1/namespaces/{ns}/{resource}` or `/api/v1/{resource}` for -A. */
export function collectionPath(resource: SupportedResource, namespace: string | undefined): string {
  const api = API_PREFIX[resource] ?? '/api/v1';
  return namespace === undefined || isClusterScoped(resource)
    ? `${api}/${resource}`
    : `${api}/namespaces/${encodeURIComponent(namespace)}/${resource}`;
}

export function objectPath(resource: SupportedResource, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

/** Cluster-scoped kinds: no namespace in their paths, no NAMESPACE column. */
export function isClusterScoped(resource: SupportedResource): boolean {
  return resource === 'nodes';
}

const SINGULAR: Record<SupportedResource, string> = {
  nodes: 'node',
  pods: 'pod',
  events: 'event',
  services: 'service',
  endpoints: 'endpoints',
  endpointslices: 'endpointslice',
  replicasets: 'replicaset.apps',
  deployments: 'deployment.apps',
  replicationcontrollers: 'replicationcontroller',
};

/** The kind's lower-case singular, for `pod/web` and `pod "web" deleted`. */
export function singular(resource: SupportedResource): string {
  return SINGULAR[resource];
}

/** REST plurals of the kinds a manifest may hold (the rest: lower-case kind + "s", as most are). */
const PLURAL_OF_KIND: Readonly<Record<string, string>> = {
  Endpoints: 'endpoints',
  PodPreset: 'podpresets',
  ReplicationController: 'replicationcontrollers',
};

/**
 * Where a manifest object goes (`apply`, `create`, `replace`): its REST resource, collection and
 * object paths from its apiVersion and kind.
 */
export function manifestPaths(
  obj: { apiVersion: string; kind: string },
  namespace: string,
): { resource: string; collection: string; object: (name: string) => string } {
  const resource = PLURAL_OF_KIND[obj.kind] ?? `${obj.kind.toLowerCase()}s`;
  const api = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const collection = `${api}/namespaces/${encodeURIComponent(namespace)}/${resource}`;
  return { resource, collection, object: (name) => `${collection}/${encodeURIComponent(name)}` };
}
