import type { Pod } from '../../api/types.js';
import { connect, withInterrupt, type CommandContext } from '../context.js';
import { CliError, EXIT_OK } from '../errors.js';
import { objectPath, resolveResource, splitTypeName } from '../resources.js';

export interface LogsOptions {
  namespace?: string;
  container?: string;
  previous?: boolean;
  follow?: boolean;
  tail?: number;
  /** Milliseconds, from `--since DURATION`. */
  since?: number;
  timestamps?: boolean;
}

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/**
 * Which container kubectl logs picks without `-c` (kubectl-surface §2.4): the default-container
 * annotation, else the first; with more than one, a notice on stderr.
 */
export function defaultContainer(pod: Pod): { name: string; notice?: string } {
  const containers = pod.spec?.containers ?? [];
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const chosen = containers.find((c) => c.name === annotated)?.name ?? containers[0]?.name;
  if (!chosen) throw new CliError(`error: pod ${pod.metadata?.name ?? ''} has no containers`);
  const all = [
    ...containers.map((c) => c.name),
    ...(pod.spec?.initContainers ?? []).map((c) => `${c.name} (init)`),
  ];
  if (all.length > 1 && chosen !== annotated) {
    return { name: chosen, notice: `Defaulted container "${chosen}" out of: ${all.join(', ')}` };
  }
  return { name: chosen };
}

export async function runLogs(ctx: CommandContext, target: string, opts: LogsOptions): Promise<number> {
  const typed = splitTypeName(target);
  if (typed) resolveResource(typed.type, ['pods']);
  const podName = typed ? typed.name : target;
  const namespace = opts.namespace || 'default';
  const client = await connect(ctx);
  const pod = await client.get<Pod>(objectPath('pods', namespace, podName));
  let container = opts.container;
  if (!container) {
    const chosen = defaultContainer(pod);
    if (chosen.notice) ctx.io.stderr.write(`${chosen.notice}\n`);
    container = chosen.name;
  }
  const query = {
    container,
    follow: opts.follow || undefined,
    previous: opts.previous || undefined,
    tailLines: opts.tail !== undefined && opts.tail >= 0 ? opts.tail : undefined,
    timestamps: opts.timestamps || undefined,
    sinceSeconds: opts.since !== undefined ? Math.max(1, Math.ceil(opts.since / 1000)) : undefined,
  };
  await withInterrupt(async (signal) => {
    let res;
    try {
      res = await client.stream(`${objectPath('pods', namespace, podName)}/log`, query, signal);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    await new Promise<void>((resolve) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => ctx.io.stdout.write(chunk));
      res.on('end', resolve);
      res.on('close', resolve);
      res.on('error', () => resolve());
    });
  });
  return EXIT_OK;
}
