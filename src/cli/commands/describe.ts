import { PODVISOR_API_VERSION, type ProbeHistory } from '../../api/probe-history.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Event, Pod } from '../../api/types.js';
import { ApiError, type ApiClient } from '../client.js';
import { connect, type CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../errors.js';
import { describeNode } from '../printers/describe-node.js';
import { describePod } from '../printers/describe-pod.js';
import { collectionPath, objectPath, resolveResource } from '../resources.js';
import { parseTargets } from './get.js';

export interface DescribeOptions {
  namespace?: string;
  selector?: string;
}

interface List<T> {
  items?: T[];
}

/**
 * `describe pod NAME...` (kubectl-surface §2.3): the pod, then its events by involvedObject field
 * selector. A name that is not found falls back to every pod whose name starts with it, as kubectl
 * does.
 */
export async function runDescribe(
  ctx: CommandContext,
  first: string,
  rest: string[],
  opts: DescribeOptions,
): Promise<number> {
  const { resourceWord, names } = parseTargets(first, rest);
  const resource = resolveResource(resourceWord, ['pods', 'nodes']);
  if (names.length > 0 && opts.selector) {
    throw new CliError(
      'error: name cannot be provided when a selector is specified: use either NAME or -l SELECTOR',
    );
  }
  const client = await connect(ctx);
  if (resource === 'nodes') return describeNodes(ctx, client, names, opts.selector);
  const namespace = opts.namespace || 'default';
  const pods: Pod[] = [];
  let failed = false;
  if (names.length === 0) {
    const list = await client.get<List<Pod>>(collectionPath('pods', namespace), {
      labelSelector: opts.selector,
    });
    pods.push(...(list.items ?? []));
    if (pods.length === 0) ctx.io.stderr.write(`No resources found in ${namespace} namespace.\n`);
  }
  for (const name of names) {
    try {
      pods.push(await client.get<Pod>(objectPath('pods', namespace, name)));
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 404) throw err;
      const list = await client.get<List<Pod>>(collectionPath('pods', namespace));
      const matches = (list.items ?? []).filter((p) => p.metadata?.name?.startsWith(name));
      if (matches.length === 0) {
        ctx.io.stderr.write(`${err.message}\n`);
        failed = true;
      }
      pods.push(...matches);
    }
  }
  const texts: string[] = [];
  for (const pod of pods)
    texts.push(describePod(pod, await eventsOf(client, pod), Date.now(), await probeHistoryOf(client, pod)));
  if (texts.length > 0) ctx.io.stdout.write(texts.join('\n\n'));
  return failed ? EXIT_ERROR : EXIT_OK;
}

/** The pod's probe history (podvisor.io), or undefined when the node has none for it. */
async function probeHistoryOf(client: ApiClient, pod: Pod): Promise<ProbeHistory | undefined> {
  const ns = encodeURIComponent(pod.metadata?.namespace ?? 'default');
  const name = encodeURIComponent(pod.metadata?.name ?? '');
  try {
    return await client.get<ProbeHistory>(
      `/apis/${PODVISOR_API_VERSION}/namespaces/${ns}/probehistories/${name}`,
    );
  } catch (err) {
    // Not on a node (yet), or a server without podvisor.io: describe shows the rest.
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

/** The pod's events, or undefined when they cannot be listed (describe then leaves them out). */
async function eventsOf(client: ApiClient, pod: Pod): Promise<Event[] | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const terms = [`involvedObject.name=${pod.metadata?.name ?? ''}`, `involvedObject.namespace=${ns}`];
  if (pod.metadata?.uid) terms.push(`involvedObject.uid=${pod.metadata.uid}`);
  try {
    const list = await client.get<List<Event>>(collectionPath('events', ns), {
      fieldSelector: terms.join(','),
    });
    return list.items ?? [];
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

/**
 * `describe node [NAME...]`: each node with its non-terminated pods and its events (the kubelet
 * records node events with the node's name as their uid). A name that is not found falls back to
 * every node whose name starts with it, as kubectl does.
 */
async function describeNodes(
  ctx: CommandContext,
  client: ApiClient,
  names: string[],
  selector: string | undefined,
): Promise<number> {
  const all = await client.get<List<Node>>(collectionPath('nodes', undefined), { labelSelector: selector });
  const nodes: Node[] = [];
  let failed = false;
  if (names.length === 0) {
    nodes.push(...(all.items ?? []));
    if (nodes.length === 0) ctx.io.stderr.write('No resources found\n');
  }
  for (const name of names) {
    const exact = (all.items ?? []).find((n) => n.metadata?.name === name);
    const matches = exact ? [exact] : (all.items ?? []).filter((n) => n.metadata?.name?.startsWith(name));
    if (matches.length === 0) {
      ctx.io.stderr.write(`Error from server (NotFound): nodes "${name}" not found\n`);
      failed = true;
    }
    nodes.push(...matches);
  }
  const pods = nodes.length > 0 ? ((await client.get<List<Pod>>('/api/v1/pods')).items ?? []) : [];
  const texts: string[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const onNode = pods.filter((p) => p.spec?.nodeName === name);
    texts.push(describeNode(node, onNode, await nodeEventsOf(client, name), Date.now()));
  }
  if (texts.length > 0) ctx.io.stdout.write(texts.join('\n\n'));
  return failed ? EXIT_ERROR : EXIT_OK;
}

/** The node's events in every namespace, or undefined when they cannot be listed. */
async function nodeEventsOf(client: ApiClient, name: string): Promise<Event[] | undefined> {
  try {
    const list = await client.get<List<Event>>('/api/v1/events', {
      fieldSelector: `involvedObject.kind=Node,involvedObject.name=${name}`,
    });
    return list.items ?? [];
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}
