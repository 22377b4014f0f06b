import type { Container, ContainerStatus, Pod } from './types.js';
import { humanDuration } from '../util/duration.js';
import { parseTime, since } from './kube-time.js';

/**
 * What `kubectl get pods` shows for a pod (pkg/printers/internalversion/printers.go printPod),
 * spec §6.3. Pure, so the CLI's printers and the server's Tables compute the same cells.
 */
export interface PodSummary {
  ready: number;
  total: number;
  status: string;
  restarts: number;
  /** Epoch ms of the newest lastState.terminated.finishedAt that counts, if any. */
  lastRestartAt?: number;
}

/** The nine cells of printPod with Wide set, as strings in column order. */
export interface PodCells {
  name: string;
  ready: string;
  status: string;
  restarts: string;
  age: string;
  ip: string;
  node: string;
  nominatedNode: string;
  readinessGates: string;
}

const isSidecar = (c: Container | undefined): boolean => c?.restartPolicy === 'Always';

function lastFinishedAt(s: ContainerStatus): number | undefined {
  return parseTime(s.lastState?.terminated?.finishedAt);
}

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  b === undefined ? a : a === undefined || b > a ? b : a;

export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const conditions = status.conditions ?? [];
  let total = spec?.containers?.length ?? 0;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestartAt: number | undefined;
  let lastSidecarRestartAt: number | undefined;

  let reason: string = status.reason || status.phase || '';
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const initSpecs = new Map<string, Container>();
  for (const c of spec?.initContainers ?? []) {
    initSpecs.set(c.name, c);
    if (isSidecar(c)) total++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    lastRestartAt = later(lastRestartAt, lastFinishedAt(c));
    const sidecar = isSidecar(initSpecs.get(c.name));
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestartAt = later(lastSidecarRestartAt, lastFinishedAt(c));
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestartAt = lastSidecarRestartAt;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Last to first, so the lowest-index container with something to report wins (spec §6.3).
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      lastRestartAt = later(lastRestartAt, lastFinishedAt(c));
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (pod.metadata?.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') {
    reason = 'Terminating';
  }

  return {
    ready,
    total,
    status: reason,
    restarts,
    ...(lastRestartAt !== undefined ? { lastRestartAt } : {}),
  };
}

/** RESTARTS: `5 (32s ago)` since the newest lastState.terminated.finishedAt, else `5` (spec §6.3). */
export function formatRestarts(summary: PodSummary, now: number): string {
  if (summary.restarts !== 0 && summary.lastRestartAt !== undefined) {
    return `${summary.restarts} (${humanDuration(now - summary.lastRestartAt)} ago)`;
  }
  return String(summary.restarts);
}

/** READINESS GATES: `<true>/<gates>` over spec.readinessGates, `<none>` without gates. */
function readinessGatesCell(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const trueCount = gates.filter(
    (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
  ).length;
  return `${trueCount}/${gates.length}`;
}

/** Every cell printPod produces, `-o wide` ones included. */
export function podCells(pod: Pod, now: number): PodCells {
  const s = summarizePod(pod);
  return {
    name: pod.metadata?.name ?? '',
    ready: `${s.ready}/${s.total}`,
    status: s.status,
    restarts: formatRestarts(s, now),
    age: since(pod.metadata?.creationTimestamp, now),
    // kubectl reads podIPs[0] only; podIP is a fallback for servers that fill in just that.
    ip: pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>',
    node: pod.spec?.nodeName || '<none>',
    nominatedNode: pod.status?.nominatedNodeName || '<none>',
    readinessGates: readinessGatesCell(pod),
  };
}
