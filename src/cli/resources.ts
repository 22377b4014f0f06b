import { CliError } from './errors.js';

/**
 * Resource words as kubectl takes them: singular, plural and short names (DESIGN "Command line").
 * Kinds that later issues add are known, so that they get a clear "not supported yet" rather than
 * "doesn't have a resource type".
 */
export type SupportedResource = 'pods' | 'events';

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
define('deployments', false, 'deployment', 'deploy', 'deployments.apps', 'deployment.apps');
define('replicasets', false, 'replicaset', 'rs', 'replicasets.apps', 'replicaset.apps');
define('services', false, 'service', 'svc');
define('endpoints', false, 'endpoint', 'ep');
define('nodes', false, 'node', 'no');
define('replicationcontrollers', false, 'replicationcontroller', 'rc');
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

/** REST collection path: `/api/v1/namespaces/{ns}/{resource}` or `/api/v1/{resource}` for -A. */
export function collectionPath(resource: SupportedResource, namespace: string | undefined): string {
  return namespace === undefined
    ? `/api/v1/${resource}`
    : `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
}

export function objectPath(resource: SupportedResource, namespace: string, name: string): string {
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}`;
}

/** The kind's lower-case singular, for `pod/web` and `pod "web" deleted`. */
export function singular(resource: SupportedResource): string {
  return resource === 'pods' ? 'pod' : 'event';
}
