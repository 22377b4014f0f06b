import type { ReplicaSetList } from 'kubernetes-types/apps/v1.js';
import { planRollback, rolloutHistory, rolloutStatus } from '../../controllers/deployment-rollback.js';
import type { Deployment, ReplicaSet } from '../../controllers/deployment-util.js';
import type { ApiClient } from '../client.js';
import { connect, namespaceOf, withInterrupt, type CommandContext } from '../context.js';
import { CliError, EXIT_OK, usageError } from '../errors.js';
import { DESCRIBE_TABWRITER, tabulate } from '../tabwriter.js';

/**
 * `podvisor rollout status|undo|history deploy/NAME`, with kubectl's messages (kubectl's
 * rollout_status.go, rollback.go and history.go; the computations are in
 * controllers/deployment-rollback.ts).
 */
export type RolloutAction = 'status' | 'undo' | 'history';

export interface RolloutOptions {
  namespace?: string;
  watch?: boolean;
  /** Milliseconds; 0 waits forever (kubectl's --timeout=0). */
  timeout?: number;
  toRevision?: number;
}

const DEPLOYMENT_KINDS = new Set([
  'deploy',
  'deploys',
  'deployment',
  'deployments',
  'deployment.apps',
  'deployments.apps',
]);

/** `deploy/web`, or `deployment web`. */
function parseTarget(resource: string, names: string[]): string {
  let kind = resource;
  let name = names[0];
  if (resource.includes('/')) {
    [kind = '', name] = resource.split('/', 2);
    if (names.length > 0)
      throw usageError(
        'error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form',
      );
  } else if (names.length > 1) throw usageError('error: rollout takes one deployment at a time');
  if (!DEPLOYMENT_KINDS.has(kind.toLowerCase())) {
    throw new CliError(
      `error: no rollout support for "${kind}": podvisor rolls out deployments (deploy/NAME)`,
    );
  }
  if (!name) throw usageError('error: required resource not specified: rollout needs deploy/NAME');
  return name;
}

const deploymentPath = (ns: string, name?: string): string =>
  `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments${name ? `/${encodeURIComponent(name)}` : ''}`;

export async function runRollout(
  ctx: CommandContext,
  action: RolloutAction,
  resource: string,
  names: string[],
  opts: RolloutOptions,
): Promise<number> {
  const name = parseTarget(resource, names);
  const ns = namespaceOf(opts) ?? 'default';
  const client = await connect(ctx);
  switch (action) {
    case 'status':
      return status(ctx, client, ns, name, opts);
    case 'undo':
      return undo(ctx, client, ns, name, opts.toRevision ?? 0);
    case 'history':
      return history(ctx, client, ns, name);
  }
}

async function fetchReplicaSets(client: ApiClient, ns: string): Promise<ReplicaSet[]> {
  const list = await client.get<ReplicaSetList>(
    `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`,
  );
  return list.items as ReplicaSet[];
}

async function undo(
  ctx: CommandContext,
  client: ApiClient,
  ns: string,
  name: string,
  toRevision: number,
): Promise<number> {
  const d = await client.get<Deployment>(deploymentPath(ns, name));
  let plan;
  try {
    plan = planRollback(d, await fetchReplicaSets(client, ns), toRevision);
  } catch (err) {
    throw new CliError(`error: ${(err as Error).message}`);
  }
  if (plan.kind === 'skip') {
    ctx.io.stdout.write(
      `deployment.apps/${name} skipped rollback (current template already matches revision ${plan.revision})\n`,
    );
    return EXIT_OK;
  }
  // kubectl patches with the resourceVersion it read as a precondition; a PUT of the read object does the same.
  d.spec = { ...d.spec!, template: plan.template };
  d.metadata.annotations = plan.annotations;
  await client.request('PUT', deploymentPath(ns, name), { body: d });
  ctx.io.stdout.write(`deployment.apps/${name} rolled back\n`);
  return EXIT_OK;
}

async function history(ctx: CommandContext, client: ApiClient, ns: string, name: string): Promise<number> {
  const d = await client.get<Deployment>(deploymentPath(ns, name));
  const rows = rolloutHistory(d, await fetchReplicaSets(client, ns));
  const table = tabulate(
    `REVISION\tCHANGE-CAUSE\n${rows.map((r) => `${r.revision}\t${r.changeCause}\n`).join('')}`,
    DESCRIBE_TABWRITER,
  );
  ctx.io.stdout.write(`deployment.apps/${name} \n${table}\n`);
  return EXIT_OK;
}

/**
 * Prints the status until the rollout is done (or once with --watch=false). Each distinct
 * message is printed once; the watch is re-opened if the server ends it.
 */
async function status(
  ctx: CommandContext,
  client: ApiClient,
  ns: string,
  name: string,
  opts: RolloutOptions,
): Promise<number> {
  let last = '';
  const report = (d: Deployment): boolean => {
    let verdict;
    try {
      verdict = rolloutStatus(d);
    } catch (err) {
      throw new CliError(`error: ${(err as Error).message}`);
    }
    if (verdict.message !== last) ctx.io.stdout.write(`${verdict.message}\n`);
    last = verdict.message;
    return verdict.done;
  };
  const first = await client.get<Deployment>(deploymentPath(ns, name));
  if (report(first) || opts.watch === false) return EXIT_OK;

  return withInterrupt(async (signal) => {
    const ac = new AbortController();
    signal.addEventListener('abort', () => ac.abort(), { once: true });
    let timedOut = false;
    const timer =
      opts.timeout && opts.timeout > 0
        ? setTimeout(() => {
            timedOut = true;
            ac.abort();
          }, opts.timeout)
        : undefined;
    try {
      let resourceVersion = first.metadata.resourceVersion;
      while (!ac.signal.aborted) {
        let done = false;
        await client.watch<Deployment>(
          deploymentPath(ns),
          { fieldSelector: `metadata.name=${name}`, resourceVersion },
          (ev) => {
            if (ev.type === 'BOOKMARK') return;
            if (ev.type === 'DELETED') throw new CliError(`error: object has been deleted`);
            resourceVersion = ev.object.metadata.resourceVersion;
            if (report(ev.object)) {
              done = true;
              ac.abort();
            }
          },
          ac.signal,
        );
        if (done) return EXIT_OK;
        if (timedOut) throw new CliError('error: timed out waiting for the condition');
        if (signal.aborted) return EXIT_OK;
        // The server ended the watch: look again, then resume from the latest object.
        const latest = await client.get<Deployment>(deploymentPath(ns, name));
        resourceVersion = latest.metadata.resourceVersion;
        if (report(latest)) return EXIT_OK;
      }
      if (timedOut) throw new CliError('error: timed out waiting for the condition');
      return EXIT_OK;
    } finally {
      if (timer) clearTimeout(timer);
    }
  });
}
