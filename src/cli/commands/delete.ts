import type { KubeObject, Pod } from '../../api/types.js';
import { ApiError, type ApiClient } from '../client.js';
import { connect, withInterrupt, type CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import {
  collectionPath,
  objectPath,
  resolveResource,
  singular,
  type SupportedResource,
} from '../resources.js';
import { parseTargets } from './get.js';
import { loadForClient } from './manifest-input.js';

export interface DeleteOptions {
  namespace?: string;
  filename?: string[];
  gracePeriod?: number;
  now?: boolean;
  wait?: boolean;
  all?: boolean;
  ignoreNotFound?: boolean;
}

interface Target {
  resource: SupportedResource;
  namespace: string;
  name: string;
}

/** What `delete` handles; workloads cascade to their pods (propagationPolicy Background, as kubectl). */
const DELETABLE: readonly SupportedResource[] = [
  'pods',
  'replicasets',
  'deployments',
  'replicationcontrollers',
];
const RESOURCE_OF_KIND: Readonly<Record<string, SupportedResource>> = {
  Pod: 'pods',
  ReplicaSet: 'replicasets',
  Deployment: 'deployments',
  ReplicationController: 'replicationcontrollers',
};

interface List<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
}

/**
 * `delete pod NAME...` / `delete -f FILE` (kubectl-surface §2.8): DELETE each, print
 * `pod "web" deleted`, then (by default) wait until each is gone.
 */
export async function runDelete(
  ctx: CommandContext,
  first: string | undefined,
  rest: string[],
  opts: DeleteOptions,
): Promise<number> {
  if (opts.now && opts.gracePeriod !== undefined && opts.gracePeriod >= 0) {
    throw usageError(
      'error: --now and --grace-period cannot be specified together: --now means --grace-period=1',
    );
  }
  const gracePeriod = opts.now ? 1 : opts.gracePeriod;
  const { targets, resource: allOf } = await collectTargets(ctx, first, rest, opts);
  const client = await connect(ctx);
  if (opts.all) {
    const ns = opts.namespace || 'default';
    const list = await client.get<List<Pod>>(collectionPath(allOf, ns));
    for (const p of list.items ?? [])
      targets.push({ resource: allOf, namespace: ns, name: p.metadata?.name ?? '' });
    if (targets.length === 0) ctx.io.stderr.write(`No resources found\n`);
  }
  const body: Record<string, unknown> = {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    propagationPolicy: 'Background',
  };
  if (gracePeriod !== undefined && gracePeriod >= 0) body.gracePeriodSeconds = gracePeriod;

  let failed = false;
  const deleted: { target: Target; uid?: string }[] = [];
  for (const target of targets) {
    try {
      const res = await client.request<KubeObject & { details?: { uid?: string } }>(
        'DELETE',
        objectPath(target.resource, target.namespace, target.name),
        { body },
      );
      ctx.io.stdout.write(`${singular(target.resource)} "${target.name}" deleted\n`);
      const uid = res.kind === 'Status' ? res.details?.uid : res.metadata?.uid;
      deleted.push({ target, ...(uid ? { uid } : {}) });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 404 && opts.ignoreNotFound) continue;
      ctx.io.stderr.write(`${err.message}\n`);
      failed = true;
    }
  }
  if (opts.wait !== false && deleted.length > 0) {
    await withInterrupt(async (signal) => {
      for (const d of deleted) {
        if (signal.aborted) break;
        await waitForDeletion(client, d.target, d.uid, signal);
      }
    });
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}

async function collectTargets(
  ctx: CommandContext,
  first: string | undefined,
  rest: string[],
  opts: DeleteOptions,
): Promise<{ targets: Target[]; resource: SupportedResource }> {
  const files = opts.filename ?? [];
  if (files.length > 0) {
    if (first !== undefined) {
      throw usageError('error: pass either -f FILE or a resource and names, not both');
    }
    const { objects } = await loadForClient(ctx, files, 'deleted', { quiet: true });
    const targets = objects.map(({ object }) => {
      const resource = RESOURCE_OF_KIND[object.kind];
      if (!resource) {
        throw new CliError(
          `error: podvisor does not support deleting ${object.kind} objects yet: only ${Object.keys(RESOURCE_OF_KIND).join(', ')} in this version`,
        );
      }
      return {
        resource,
        namespace: object.metadata.namespace || opts.namespace || 'default',
        name: object.metadata.name,
      };
    });
    return { targets, resource: 'pods' };
  }
  if (first === undefined) {
    throw usageError(
      "error: you must specify the type of resource to delete, e.g. 'podvisor delete pod NAME' or 'podvisor delete -f FILE'",
    );
  }
  const { resourceWord, names } = parseTargets(first, rest);
  const resource = resolveResource(resourceWord, DELETABLE);
  if (names.length === 0 && !opts.all) {
    throw usageError('error: resource(s) were provided, but no name was specified: pass NAME..., or --all');
  }
  if (names.length > 0 && opts.all) throw usageError('error: pass either NAME... or --all, not both');
  return {
    targets: names.map((name) => ({ resource, namespace: opts.namespace || 'default', name })),
    resource,
  };
}

/** Waits until the pod (this uid) is gone: list, then watch from the list's RV until DELETED. */
async function waitForDeletion(
  client: ApiClient,
  target: Target,
  uid: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const fieldSelector = `metadata.name=${target.name}`;
  const path = collectionPath(target.resource, target.namespace);
  while (!signal.aborted) {
    const list = await client.get<List<Pod>>(path, { fieldSelector });
    const current = (list.items ?? []).find((p) => p.metadata?.name === target.name);
    if (!current || (uid && current.metadata?.uid !== uid)) return;
    const local = new AbortController();
    const stop = (): void => local.abort();
    signal.addEventListener('abort', stop, { once: true });
    let gone = false;
    try {
      await client.watch<Pod>(
        path,
        { fieldSelector, resourceVersion: list.metadata?.resourceVersion },
        (ev) => {
          if (ev.type === 'DELETED' || (uid && ev.object.metadata?.uid !== uid)) {
            gone = true;
            local.abort();
          }
        },
        local.signal,
      );
    } catch (err) {
      // An expired resourceVersion: list again and watch from the new one.
      if (!(err instanceof ApiError) || err.code !== 410) throw err;
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (gone) return;
  }
}
