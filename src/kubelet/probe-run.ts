import { podKnobs, probesPaused, type PodKnobs } from '../api/podvisor-annotations.js';
import { PODVISOR_API_VERSION, type ProbeRunReport, type ProbeRunRequest } from '../api/probe-history.js';
import type { Container, ContainerStatus, Pod, PodStatus, ProbeType } from '../api/types.js';
import { probeHandlerText } from './probe-history.js';
import type { ProbeWorker, ProbeWorkerState } from './probe-worker.js';
import { probeSpec } from './prober.js';
import type { ProbeRunOptions, ProbeRunResult } from './types.js';

/** Why `check pod/NAME` could not run: 404 (no such pod here) or 400 (a bad or impossible request). */
export class ProbeRunError extends Error {
  constructor(
    readonly code: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeRunError';
  }
}

export interface RunNowContext {
  pod: Pod | undefined;
  status: PodStatus | undefined;
  worker(container: string, type: ProbeType): ProbeWorker | undefined;
  run(
    type: ProbeType,
    container: Container,
    containerId: string,
    opts: ProbeRunOptions,
  ): Promise<ProbeRunResult>;
  now: number;
}

const PROBE_TYPES: Readonly<Record<string, ProbeType>> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

/**
 * Runs a container's configured probe once now against its running instance, as the worker
 * would (same prober, same message, verbose attempt counts included), but records no event and
 * does not feed the worker; says when the probe would act given the worker's current run.
 */
export async function runProbeNow(ctx: RunNowContext, req: ProbeRunRequest): Promise<ProbeRunReport> {
  const pod = ctx.pod;
  if (!pod) throw new ProbeRunError(404, 'the pod is not running on this node');
  const podName = pod.metadata?.name ?? '';
  const word = req.probe ?? 'liveness';
  const probeType = PROBE_TYPES[word];
  if (!probeType) {
    throw new ProbeRunError(
      400,
      `probe: Unsupported value: ${JSON.stringify(word)}: supported values: "liveness", "readiness", "startup"`,
    );
  }
  const container = chooseContainer(pod, probeType, word, req.container);
  const spec = probeSpec(container, probeType);
  const status = findStatus(ctx.status, container.name);
  const containerId = status?.containerID ?? '';
  if (!status?.state?.running || !containerId) {
    const waiting =
      status?.state?.waiting?.reason ?? (status?.state?.terminated ? 'terminated' : 'not started');
    throw new ProbeRunError(
      400,
      `container ${JSON.stringify(container.name)} of pod ${podName} is not running (${waiting}): there is nothing to probe; try again once it runs`,
    );
  }
  const knobs = podKnobs(pod.metadata);
  const worker = ctx.worker(container.name, probeType);
  const state = worker?.state();
  const failureThreshold = spec?.failureThreshold || 3;
  const failuresSoFar = state && !state.fresh && state.lastResult === 'Failure' ? state.resultRun : 0;
  const opts: ProbeRunOptions = { quiet: true };
  if (knobs.probeEvents === 'verbose') opts.attempt = { k: failuresSoFar + 1, n: failureThreshold };
  const run = await ctx.run(probeType, container, containerId, opts);
  const verdict =
    run.error !== undefined ? 'error' : (run.verdict ?? (run.result === 'Success' ? 'success' : 'failure'));
  return {
    apiVersion: PODVISOR_API_VERSION,
    kind: 'ProbeRunReport',
    pod: podName,
    namespace: pod.metadata?.namespace ?? 'default',
    container: container.name,
    containerID: containerId,
    probeType,
    handler: spec ? probeHandlerText(spec) : '',
    verdict,
    latencyMs: run.latencyMs ?? 0,
    output: run.error ?? run.output ?? '',
    kubeletMessage: run.message ?? '',
    current: currentRun(state),
    wouldAct: wouldAct({
      probeType,
      state,
      knobs,
      now: ctx.now,
      started: status.started === true,
      failureThreshold,
      periodSeconds: spec?.periodSeconds || 10,
      failuresSoFar,
    }),
  };
}

function chooseContainer(
  pod: Pod,
  probeType: ProbeType,
  word: string,
  requested: string | undefined,
): Container {
  const podName = pod.metadata?.name ?? '';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  const all = [...sidecars, ...(pod.spec?.containers ?? [])];
  const withProbe = all.filter((c) => probeSpec(c, probeType) !== undefined);
  const names = (cs: Container[]): string => `[${cs.map((c) => c.name).join(' ')}]`;
  if (requested) {
    const found = all.find((c) => c.name === requested);
    if (!found) {
      throw new ProbeRunError(
        400,
        `container ${requested} is not valid for pod ${podName}: choose one of ${names(all)}`,
      );
    }
    if (!probeSpec(found, probeType)) {
      const hint =
        withProbe.length > 0
          ? `; containers with one: ${names(withProbe)}`
          : `; no container of the pod has one`;
      throw new ProbeRunError(400, `container ${requested} of pod ${podName} has no ${word} probe${hint}`);
    }
    return found;
  }
  const only = withProbe[0];
  if (withProbe.length === 1 && only) return only;
  if (withProbe.length === 0) {
    throw new ProbeRunError(
      400,
      `pod ${podName} has no container with a ${word} probe: pass --probe liveness|readiness|startup for one it has`,
    );
  }
  throw new ProbeRunError(
    400,
    `pod ${podName} has ${withProbe.length} containers with a ${word} probe: choose one of ${names(withProbe)} with -c`,
  );
}

function findStatus(status: PodStatus | undefined, name: string): ContainerStatus | undefined {
  return (
    status?.containerStatuses?.find((s) => s.name === name) ??
    status?.initContainerStatuses?.find((s) => s.name === name)
  );
}

function currentRun(state: ProbeWorkerState | undefined): ProbeRunReport['current'] {
  if (!state || state.fresh || state.lastResult === 'Unknown') return { result: 'None', count: 0 };
  return { result: state.lastResult, count: state.resultRun };
}

interface ActInput {
  probeType: ProbeType;
  state: ProbeWorkerState | undefined;
  knobs: PodKnobs;
  now: number;
  started: boolean;
  failureThreshold: number;
  periodSeconds: number;
  failuresSoFar: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** When the probe would act, in words, from the worker's current consecutive run. */
export function wouldAct(a: ActInput): string {
  const remaining = Math.max(1, a.failureThreshold - a.failuresSoFar);
  const eta = `about ${remaining * a.periodSeconds}s at periodSeconds ${a.periodSeconds}`;
  const soFar = a.failuresSoFar > 0 ? `; ${a.failuresSoFar} of ${a.failureThreshold} so far` : '';
  if (a.probeType === 'Readiness') {
    return `readiness never restarts: ${plural(remaining, 'more consecutive failure')} mark the container not ready (${eta})${soFar}`;
  }
  if (a.probeType === 'Startup' && a.started) {
    return 'no restart: the startup probe has succeeded and no longer runs for this instance';
  }
  if (probesPaused(a.knobs, a.now)) {
    const until = new Date(a.knobs.probesPausedUntil ?? a.now).toISOString();
    return `no restart: probes are paused until ${until} (podvisor probes resume ends it)`;
  }
  if (a.probeType === 'Liveness' && a.knobs.livenessAction === 'report') {
    return `no restart: liveness-action is report; ${plural(remaining, 'more consecutive failure')} set podvisor.io/Healthy=False (${eta})${soFar}`;
  }
  if (a.state?.onHold) {
    return `restart due now: the worker already reached ${a.failureThreshold} consecutive failures and the container is being restarted`;
  }
  if (a.failuresSoFar === 0) {
    const last = a.state && !a.state.fresh ? 'the last result was a success' : 'no result counted yet';
    return `no restart yet: ${last}; restart after ${plural(a.failureThreshold, 'consecutive failure')} (${eta})`;
  }
  return `restart after ${plural(remaining, 'more consecutive failure')} (${eta})${soFar}`;
}
