import { PodvisorAnnotation } from '../../api/podvisor-annotations.js';
import type { Pod } from '../../api/types.js';
import { rfc3339 } from '../../util/duration.js';
import { connect, type CommandContext } from '../context.js';
import { EXIT_OK, usageError } from '../errors.js';
import { objectPath, splitTypeName } from '../resources.js';

export interface ProbesPauseOptions {
  namespace?: string;
  /** Milliseconds (from a Go duration flag). */
  for?: number;
}

export interface ProbesResumeOptions {
  namespace?: string;
}

/** `probes pause` without --for. */
export const DEFAULT_PAUSE_MS = 30 * 60_000;

const MERGE_PATCH = 'application/merge-patch+json';

/** `web` or `pod/web` (pods, po); any other type is a usage error naming the fix. */
function podName(target: string): string {
  const typed = splitTypeName(target);
  if (!typed) return target;
  if (!['pod', 'pods', 'po'].includes(typed.type.toLowerCase())) {
    throw usageError(
      `error: probes pause/resume act on pods, not ${typed.type}: pass a pod name, e.g. podvisor probes pause web-7d9c-x2x4q`,
    );
  }
  return typed.name;
}

/**
 * `podvisor probes pause POD [--for 30m]`: writes `podvisor.io/probes-paused-until` (now + for,
 * RFC 3339) with a JSON merge patch; the pod's kubelet then holds back every liveness and startup
 * kill until that time, records `ProbesPaused`, and ends the pause by itself.
 */
export async function runProbesPause(
  ctx: CommandContext,
  target: string,
  opts: ProbesPauseOptions,
): Promise<number> {
  const name = podName(target);
  const forMs = opts.for ?? DEFAULT_PAUSE_MS;
  if (forMs <= 0) throw usageError('error: --for must be positive, e.g. --for 30m');
  const namespace = opts.namespace || 'default';
  // Whole seconds (RFC 3339 as Kubernetes writes times), rounded up so the pause lasts at least --for.
  const until = Math.ceil((Date.now() + forMs) / 1000) * 1000;
  const client = await connect(ctx);
  await client.request<Pod>('PATCH', objectPath('pods', namespace, name), {
    body: { metadata: { annotations: { [PodvisorAnnotation.probesPausedUntil]: rfc3339(until) } } },
    contentType: MERGE_PATCH,
  });
  ctx.io.stdout.write(
    `pod/${name} probes paused until ${rfc3339(until)} (liveness and startup do not act)\n`,
  );
  return EXIT_OK;
}

/** `podvisor probes resume POD`: removes the annotation; liveness and startup act again at once. */
export async function runProbesResume(
  ctx: CommandContext,
  target: string,
  opts: ProbesResumeOptions,
): Promise<number> {
  const name = podName(target);
  const namespace = opts.namespace || 'default';
  const client = await connect(ctx);
  const path = objectPath('pods', namespace, name);
  const pod = await client.get<Pod>(path);
  if (pod.metadata?.annotations?.[PodvisorAnnotation.probesPausedUntil] === undefined) {
    ctx.io.stdout.write(`pod/${name} probes were not paused\n`);
    return EXIT_OK;
  }
  await client.request<Pod>('PATCH', path, {
    body: { metadata: { annotations: { [PodvisorAnnotation.probesPausedUntil]: null } } },
    contentType: MERGE_PATCH,
  });
  ctx.io.stdout.write(`pod/${name} probes resumed (liveness and startup act again)\n`);
  return EXIT_OK;
}
