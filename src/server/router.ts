import { boolParam } from './http-io.js';
import type { Handler, RequestContext, ResourceType, Verb } from './resource-types.js';
import { create, getOrWatch, listOrWatch, remove, update } from './rest.js';
import { patchObject } from './patch/handler.js';
import { badRequest, methodNotAllowed, pathNotFound } from './status.js';

/**
 * Kubernetes REST paths → handlers. Paths have the apiserver's shapes:
 *   /api/v1[/watch][/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 *   /apis/{group}/{version}[/watch][/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
 */

export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** The legacy /watch/ prefix (deprecated in Kubernetes, still served). */
  watchPrefix: boolean;
}

export function parseResourcePath(pathname: string): ResourcePath | undefined {
  let segs: string[];
  try {
    segs = pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (segs[0] === 'api') {
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    group = segs[1] ?? '';
    version = segs[2];
    rest = segs.slice(3);
  } else {
    return undefined;
  }
  if (!version || (segs[0] === 'apis' && !group)) return undefined;
  const watchPrefix = rest[0] === 'watch';
  if (watchPrefix) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length > 0) return undefined;
  const p: ResourcePath = { group, version, resource, watchPrefix };
  if (namespace !== undefined) p.namespace = namespace;
  if (name !== undefined) p.name = name;
  if (subresource !== undefined) p.subresource = subresource;
  return p;
}

/** No Kubernetes name is longer (a DNS subdomain, metadata.name's limit). */
const MAX_NAME_BYTES = 253;

/**
 * apimachinery's path.IsValidPathSegmentName, plus what no Kubernetes name can hold (control
 * characters, NUL, more than 253 bytes). Namespaces and names end up in file paths
 * (src/runtime/pod-paths.ts), so a request that could name `..` or `a/b` stops here, before any
 * lookup, whatever the handler behind it does.
 */
export function pathSegmentNameErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errors: string[] = [];
  if (name.includes('/')) errors.push("may not contain '/'");
  if (name.includes('%')) errors.push("may not contain '%'");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) errors.push('may not contain control characters');
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    errors.push(`must be no more than ${MAX_NAME_BYTES} characters`);
  return errors;
}

/** The apiserver's 400 for a name or namespace that cannot be a path segment (handlers/namer.go). */
export function assertSafePathNames(path: ResourcePath): void {
  for (const [what, value] of [
    ['namespace', path.namespace],
    ['resource name', path.name],
  ] as const) {
    if (value === undefined) continue;
    const errors = pathSegmentNameErrors(value);
    if (errors.length > 0)
      throw badRequest(`invalid ${what} ${JSON.stringify(value)}: [${errors.join(', ')}]`);
  }
}

export class ResourceRegistry {
  private readonly types = new Map<string, ResourceType>();

  constructor(types: readonly ResourceType[] = []) {
    for (const t of types) this.add(t);
  }

  add(t: ResourceType): void {
    this.types.set(`${t.group}/${t.version}/${t.resource}`, t);
  }

  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${resource}`);
  }

  /** Every served resource (discovery is generated from this). */
  all(): ResourceType[] {
    return [...this.types.values()];
  }
}

interface Action {
  verb: (ctx: RequestContext) => Verb;
  handle: Handler;
}

const watchOr =
  (verb: Verb) =>
  (ctx: RequestContext): Verb =>
    boolParam(ctx.query, 'watch') ? 'watch' : verb;

const COLLECTION_ACTIONS: Readonly<Record<string, Action>> = {
  GET: { verb: watchOr('list'), handle: (ctx) => listOrWatch(ctx) },
  POST: { verb: () => 'create', handle: create },
};

const ITEM_ACTIONS: Readonly<Record<string, Action>> = {
  GET: { verb: watchOr('get'), handle: (ctx) => getOrWatch(ctx) },
  PUT: { verb: () => 'update', handle: update },
  DELETE: { verb: () => 'delete', handle: remove },
  PATCH: { verb: () => 'patch', handle: patchObject },
};

const WATCH_COLLECTION: Readonly<Record<string, Action>> = {
  GET: { verb: () => 'watch', handle: (ctx) => listOrWatch(ctx, true) },
};
const WATCH_ITEM: Readonly<Record<string, Action>> = {
  GET: { verb: () => 'watch', handle: (ctx) => getOrWatch(ctx, true) },
};

export interface ResolvedRoute {
  type: ResourceType;
  namespace?: string;
  name?: string;
  /** Checks the verb (which may depend on ?watch) and runs the handler. */
  run(ctx: RequestContext): Promise<void> | void;
}

/** Finds the handler for a REST request, or throws the apiserver's 404/405 Status. */
export function resolveRoute(registry: ResourceRegistry, method: string, path: ResourcePath): ResolvedRoute {
  const type = registry.lookup(path.group, path.version, path.resource);
  if (!type) throw pathNotFound();
  // A namespaced resource has no named objects outside a namespace; a cluster-scoped one none inside.
  if (
    type.namespaced ? path.namespace === undefined && path.name !== undefined : path.namespace !== undefined
  )
    throw pathNotFound();
  let action: Action | undefined;
  if (path.subresource !== undefined) {
    if (path.watchPrefix) throw pathNotFound();
    const methods = type.subresources[path.subresource];
    if (!methods) throw pathNotFound();
    const handler = methods[method as keyof typeof methods];
    action = handler ? { verb: () => 'get', handle: handler } : undefined;
  } else if (path.watchPrefix) {
    action = (path.name === undefined ? WATCH_COLLECTION : WATCH_ITEM)[method];
  } else if (path.name === undefined) {
    action = COLLECTION_ACTIONS[method];
    // Objects are created in a namespace, never through the all-namespaces path.
    if (method === 'POST' && type.namespaced && path.namespace === undefined) action = undefined;
  } else {
    action = ITEM_ACTIONS[method];
  }
  if (!action) throw methodNotAllowed();
  const chosen = action;
  const route: ResolvedRoute = {
    type,
    run(ctx) {
      if (path.subresource === undefined && !type.verbs.includes(chosen.verb(ctx))) throw methodNotAllowed();
      return chosen.handle(ctx);
    },
  };
  if (path.namespace !== undefined) route.namespace = path.namespace;
  if (path.name !== undefined) route.name = path.name;
  return route;
}
