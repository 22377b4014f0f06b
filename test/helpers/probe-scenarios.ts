/**
 * The upstream e2e framework's probe helpers (spec e2e-probe-scenarios §0.1), on watch streams
 * instead of 2 s polling: every status change is seen, so the checks are at least as strict.
 */
import assert from 'node:assert/strict';
import type { ContainerStatus, Event, Pod } from '../../src/api/types.js';
import { isPodReady, totalRestarts } from './e2e-pods.js';
import { summarizePod, type PodvisorNode } from './podvisor-node.js';

export interface LivenessTestTiming {
  /** The observation window (upstream: 4 min, defaultObservationTimeout). */
  timeoutMs: number;
  /** Extra window per restart already seen at the start (upstream: 10 s). */
  perRestartMs: number;
}

/** What a pod change means to an observation: keep watching, done (pass), or a failure. */
type Verdict = 'pass' | Error | undefined;

/**
 * Watches a pod for `windowMs`: each status change goes to `onChange`, which may end the watch
 * early with a pass or a failure; when the window ends, `atEnd` decides (default: pass). Resolves
 * with the last pod seen (`initial` until the first change).
 */
function observePod(
  node: PodvisorNode,
  name: string,
  windowMs: number,
  check: { initial?: Pod; onChange: (p: Pod) => Verdict; atEnd?: (last: Pod | undefined) => Verdict },
): Promise<Pod> {
  return new Promise<Pod>((resolve, reject) => {
    let last = check.initial;
    let done = false;
    const end = (v: Verdict): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      w.stop();
      if (v instanceof Error) reject(v);
      else if (last) resolve(last);
      else reject(new Error(`pod ${name} was never observed`));
    };
    const timer = setTimeout(() => end(check.atEnd?.(last) ?? 'pass'), windowMs);
    const w = node.watchPod(name, (p) => {
      last = p;
      const v = check.onChange(p);
      if (v !== undefined) end(v);
    });
  });
}

/**
 * RunLivenessTest(pod, expectNumRestarts, timeout): create the pod, wait until containers[0] leaves
 * Waiting, take its restartCount as the baseline, then watch until baseline + expect restarts are
 * seen (expect > 0) or for the whole window (expect == 0, no restart allowed). restartCount must
 * never decrease. The pod is deleted with grace 0 afterwards, as upstream's cleanup does.
 * `opts.target` picks another container to follow (the sidecar variant follows initContainers[0]).
 */
export async function runLivenessTest(
  node: PodvisorNode,
  pod: Pod,
  expectNumRestarts: number,
  timing: LivenessTestTiming,
  opts: {
    deleteAfter?: boolean;
    target?: { name: string; status: (p: Pod) => ContainerStatus | undefined };
  } = {},
): Promise<Pod> {
  const name = pod.metadata?.name as string;
  const containerName = opts.target?.name ?? (pod.spec?.containers[0]?.name as string);
  const statusOf =
    opts.target?.status ??
    ((p: Pod): ContainerStatus | undefined =>
      p.status?.containerStatuses?.find((c) => c.name === containerName));
  await node.createPod(pod);
  try {
    const restartsOf = (p: Pod): number => statusOf(p)?.restartCount ?? 0;
    const started = await node.waitForPod(
      name,
      (p) => {
        const st = statusOf(p)?.state;
        return st !== undefined && (st.running !== undefined || st.terminated !== undefined);
      },
      timing.timeoutMs,
    );
    const baseline = restartsOf(started);
    const deadline = timing.timeoutMs + timing.perRestartMs * baseline;
    let lastCount = baseline;
    return await observePod(node, name, deadline, {
      initial: started,
      onChange: (p) => {
        const count = restartsOf(p);
        if (count < lastCount) {
          return new Error(
            `pod ${name}: restart count of ${containerName} should increment monotonically: ${lastCount} → ${count}`,
          );
        }
        lastCount = count;
        if (expectNumRestarts > 0 && count - baseline >= expectNumRestarts) return 'pass';
        if (expectNumRestarts === 0 && count > baseline) {
          return new Error(
            `pod ${name}: expected no restart, restart count went ${baseline} → ${count}; ${summarizePod(p)}`,
          );
        }
        return undefined;
      },
      atEnd: (last) =>
        expectNumRestarts > 0
          ? new Error(
              `pod ${name}: expected at least ${expectNumRestarts} restart(s) of ${containerName} within ${deadline} ms, ` +
                `saw ${lastCount - baseline}; last seen: ${last ? summarizePod(last) : 'nothing'}`,
            )
          : 'pass',
    });
  } finally {
    if (opts.deleteAfter !== false)
      await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

/**
 * runReadinessFailTest's *intended* check (spec §0.1): the live pod is never Ready for the whole
 * window. Upstream polled a stale object; this watches the real status.
 */
export function expectNeverReady(node: PodvisorNode, name: string, windowMs: number): Promise<Pod> {
  return observePod(node, name, windowMs, {
    onChange: (p) =>
      isPodReady(p) ? new Error(`pod ${name} should never be Ready, but is: ${summarizePod(p)}`) : undefined,
  });
}

/** Watches a pod for a window and fails at once if its total restart count ever goes up. */
export async function expectNoRestartsFor(node: PodvisorNode, name: string, windowMs: number): Promise<Pod> {
  const initial = totalRestarts(await node.getPod(name));
  return observePod(node, name, windowMs, {
    onChange: (p) =>
      totalRestarts(p) > initial ? new Error(`pod ${name} restarted: ${summarizePod(p)}`) : undefined,
  });
}

/** The messages of this pod's events with `reason`. */
export async function eventMessages(node: PodvisorNode, podName: string, reason: string): Promise<string[]> {
  const events = await node.podEvents(podName, reason);
  return events.map((e) => e.message ?? '');
}

/** Asserts that some event of the pod has `reason` and a message containing `text`. */
export async function assertEventContains(
  node: PodvisorNode,
  podName: string,
  reason: string,
  text: string,
): Promise<void> {
  const messages = await eventMessages(node, podName, reason);
  assert.ok(
    messages.some((m) => m.includes(text)),
    `pod ${podName}: no ${reason} event containing ${JSON.stringify(text)}; ${reason} events: ${JSON.stringify(messages)}`,
  );
}

/** Waits for an event of the pod with `reason` whose message contains `text`. */
export function waitForPodEvent(
  node: PodvisorNode,
  podName: string,
  reason: string,
  text: string,
  timeoutMs: number,
): Promise<unknown> {
  return node.waitForEvent(
    `involvedObject.kind=Pod,involvedObject.name=${podName},involvedObject.namespace=default`,
    (ev) => ev.involvedObject?.name === podName && ev.reason === reason && (ev.message ?? '').includes(text),
    timeoutMs,
  );
}

/**
 * Watches the pod's events for a whole window and fails as soon as one matches `forbidden`
 * (events that already exist count too: a watch without resourceVersion replays them first).
 */
export async function expectNoPodEventFor(
  node: PodvisorNode,
  podName: string,
  forbidden: (ev: Event) => boolean,
  windowMs: number,
): Promise<void> {
  const found = await node
    .waitForEvent(
      `involvedObject.kind=Pod,involvedObject.name=${podName},involvedObject.namespace=default`,
      (ev) => ev.involvedObject?.name === podName && forbidden(ev),
      windowMs,
    )
    .then(
      (ev) => ev,
      () => undefined,
    );
  assert.equal(found, undefined, `pod ${podName}: unexpected event ${found?.reason}: ${found?.message}`);
}
