import { HEALTHY_CONDITION } from '../api/podvisor-annotations.js';
import { podQosClass } from '../api/qos.js';
import type {
  Container,
  ContainerState,
  ContainerStateTerminated,
  ContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from '../api/types.js';
import { rfc3339 } from '../util/duration.js';
import type { ContainerRecord, InstanceRecord } from './container-record.js';

/** podvisor is one machine: the node's address, as hostIP/hostIPs report it. */
export const HOST_IP = '127.0.0.1';

/** Conditions the kubelet owns and regenerates; any other condition on the pod is kept. */
const KUBELET_CONDITIONS = new Set([
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
]);

export interface ContainerStatusInput {
  spec: Container;
  record: ContainerRecord;
  /** §4.1 for the newest instance: a failed start / back-off is shown as waiting only then. */
  shouldRestart: boolean;
  ready: boolean;
  started: boolean;
  /** The waiting reason before the first instance: `PodInitializing` in a pod with init containers. */
  defaultWaitingReason?: string;
}

export function terminatedState(inst: InstanceRecord): ContainerStateTerminated {
  const exit = inst.exit;
  if (!exit) throw new Error(`instance ${inst.id} has not exited`);
  const t: ContainerStateTerminated = { exitCode: exit.exitCode, reason: exit.reason };
  if (exit.message) t.message = exit.message;
  t.startedAt = rfc3339(inst.startedAt);
  t.finishedAt = rfc3339(exit.finishedAt);
  t.containerID = inst.id;
  return t;
}

/**
 * convertToAPIContainerStatuses for one container, spec §4.4: the newest instance gives `state`,
 * the one before it `lastState`; when the container will be restarted and the reason cache holds
 * a start failure (back-off, start error), the state becomes that waiting reason and a terminated
 * state moves into `lastState`.
 */
export function containerStatus(input: ContainerStatusInput): ContainerStatus {
  const { spec, record } = input;
  const cur = record.current;
  let state: ContainerState;
  if (!cur) state = { waiting: { reason: input.defaultWaitingReason ?? 'ContainerCreating' } };
  else if (cur.exit) state = { terminated: terminatedState(cur) };
  else state = { running: { startedAt: rfc3339(cur.startedAt) } };
  let lastState: ContainerState = record.previous?.exit
    ? { terminated: terminatedState(record.previous) }
    : {};
  if (input.shouldRestart && record.waiting) {
    if (state.terminated) lastState = state;
    state = { waiting: { reason: record.waiting.reason, message: record.waiting.message } };
  }
  const status: ContainerStatus = {
    name: spec.name,
    state,
    lastState,
    ready: input.ready,
    restartCount: record.restartCount,
    image: spec.image ?? '',
    imageID: '',
  };
  if (cur) status.containerID = cur.id;
  status.started = input.started;
  return status;
}

export interface InitStatusInput {
  statuses: ContainerStatus[];
  /** Initialization completed once (a new sandbox would start it over). */
  podHasInitialized: boolean;
}

/**
 * getPhase (kubelet_pods.go), spec §4.6 and §4.7: plain init containers still to complete keep
 * the pod Pending, a failed one fails it under Never; sidecars count as running containers, and
 * only while they are not started do they keep an uninitialized pod Pending.
 */
export function podPhase(
  pod: Pod,
  statuses: ContainerStatus[],
  podIsTerminal: boolean,
  init?: InitStatusInput,
): string {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    const s = init?.statuses.find((x) => x.name === c.name);
    if (c.restartPolicy === 'Always') {
      if (!s) {
        unknown++;
      } else if (s.state?.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state?.waiting && !s.lastState?.terminated) {
        pendingSidecars++;
        waiting++;
      } else if (!s.state?.terminated && !s.state?.waiting) {
        pendingSidecars++;
        unknown++;
      }
      continue;
    }
    const lastExit = s?.state?.terminated ?? (s?.state?.waiting ? s.lastState?.terminated : undefined);
    if (!s || s.state?.running || !lastExit) pendingInit++;
    else if (lastExit.exitCode !== 0) failedInit++;
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) {
      unknown++;
    } else if (s.state?.running) {
      running++;
    } else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else {
      unknown++;
    }
  }
  if (failedInit > 0 && pod.spec?.restartPolicy === 'Never') return 'Failed';
  if (pendingInit > 0 || (pendingSidecars > 0 && !init?.podHasInitialized)) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

/** GenerateContainersReadyCondition (status/generate.go), spec §2.4; sidecars count (§4.7). */
export function containersReadyCondition(
  pod: Pod,
  statuses: ContainerStatus[],
  phase: string,
  initStatuses: ContainerStatus[] = [],
): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) {
    return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  }
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length > 0) {
    return {
      type: 'ContainersReady',
      status: 'False',
      reason: 'ContainersNotReady',
      message: messages.join(', '),
    };
  }
  return { type: 'ContainersReady', status: 'True' };
}

/** GeneratePodReadyCondition: ContainersReady, then every readiness gate. */
export function readyCondition(
  pod: Pod,
  containersReady: PodCondition,
  otherConditions: PodCondition[],
): PodCondition {
  if (containersReady.status !== 'True') {
    const c: PodCondition = { type: 'Ready', status: containersReady.status };
    if (containersReady.reason) c.reason = containersReady.reason;
    if (containersReady.message) c.message = containersReady.message;
    return c;
  }
  const unready: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const cond = otherConditions.find((c) => c.type === gate.conditionType);
    if (!cond)
      unready.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (cond.status !== 'True') {
      unready.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${cond.status}`,
      );
    }
  }
  if (unready.length > 0) {
    return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: unready.join(', ') };
  }
  return { type: 'Ready', status: 'True' };
}

/**
 * GeneratePodInitializedCondition (status/generate.go): True once plain init containers completed
 * and sidecars started, or once any regular container ran; else ContainersNotInitialized.
 */
export function initializedCondition(
  phase: string,
  pod?: Pod,
  initStatuses: ContainerStatus[] = [],
  statuses: ContainerStatus[] = [],
): PodCondition {
  const inits = pod?.spec?.initContainers ?? [];
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (c.restartPolicy === 'Always') {
      if (!s.started) incomplete.push(c.name);
    } else if (s.state?.terminated?.exitCode !== 0) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) {
    return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  }
  if (inits.length === 0) return { type: 'Initialized', status: 'True' };
  const regularStarted = statuses.some(
    (s) =>
      (s.state?.running || s.state?.terminated) &&
      (pod?.spec?.containers ?? []).some((c) => c.name === s.name),
  );
  if (regularStarted) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length > 0) {
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: messages.join(', '),
    };
  }
  return { type: 'Initialized', status: 'True' };
}

export interface PodStatusInput {
  pod: Pod;
  /** The previously generated status (the status manager's cache), or the stored one. */
  previous: PodStatus | undefined;
  now: number;
  containerStatuses: ContainerStatus[];
  /** Present when the pod has init containers (spec §4.7). */
  initContainerStatuses?: ContainerStatus[];
  podHasInitialized?: boolean;
  /** The kubelet is finishing the pod (deletion): containers will not restart (§4.6). */
  podIsTerminal: boolean;
  podIP: string | undefined;
  /** A sandbox exists (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /**
   * `podvisor.io/Healthy` of a `liveness-action: report` pod (knob-gate.ts); absent for other
   * pods, which then carry no such condition (a stale one is dropped).
   */
  healthy?: PodCondition;
}

/**
 * generateAPIPodStatus + the status manager's bookkeeping: phase (terminal phases stick),
 * kubelet-owned conditions in the API server's order with lastTransitionTime changing only when
 * a condition's status flips, startTime fixed at the first status.
 */
export function buildPodStatus(input: PodStatusInput): PodStatus {
  const { pod, previous, containerStatuses } = input;
  const initStatuses = input.initContainerStatuses;
  const init = initStatuses
    ? { statuses: initStatuses, podHasInitialized: input.podHasInitialized === true }
    : undefined;
  let phase = podPhase(pod, containerStatuses, input.podIsTerminal, init);
  const prevPhase = previous?.phase ?? pod.status?.phase;
  if ((prevPhase === 'Succeeded' || prevPhase === 'Failed') && phase !== prevPhase) phase = prevPhase;

  const others = (pod.status?.conditions ?? []).filter(
    (c) => !KUBELET_CONDITIONS.has(c.type) && c.type !== HEALTHY_CONDITION,
  );
  const healthy = input.healthy ? [input.healthy] : [];
  const containersReady = containersReadyCondition(pod, containerStatuses, phase, initStatuses);
  const generated: PodCondition[] = [
    { type: 'PodReadyToStartContainers', status: input.sandboxReady ? 'True' : 'False' },
    initializedCondition(phase, pod, initStatuses, containerStatuses),
    // A readiness gate may name podvisor.io/Healthy.
    readyCondition(pod, containersReady, [...others, ...healthy]),
    containersReady,
    { type: 'PodScheduled', status: 'True' },
    ...healthy,
  ];
  const earlier = [...(pod.status?.conditions ?? []), ...(previous?.conditions ?? [])];
  const conditions = [...generated.map((c) => withTransitionTime(c, earlier, input.now)), ...others];

  const status: PodStatus = { phase, conditions, hostIP: HOST_IP, hostIPs: [{ ip: HOST_IP }] };
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  status.startTime = previous?.startTime ?? pod.status?.startTime ?? rfc3339(input.now);
  if (initStatuses) status.initContainerStatuses = initStatuses;
  status.containerStatuses = containerStatuses;
  status.qosClass = podQosClass(pod);
  return status;
}

/**
 * Ready and ContainersReady regenerated for an otherwise unchanged status (SetContainerReadiness):
 * phase and container states stay as they were.
 */
export function withReadyConditions(pod: Pod, status: PodStatus, now: number): PodStatus {
  const statuses = status.containerStatuses ?? [];
  const phase = status.phase ?? 'Pending';
  const others = [
    ...(pod.status?.conditions ?? []).filter(
      (c) => !KUBELET_CONDITIONS.has(c.type) && c.type !== HEALTHY_CONDITION,
    ),
    ...(status.conditions ?? []).filter((c) => c.type === HEALTHY_CONDITION),
  ];
  const containersReady = containersReadyCondition(pod, statuses, phase, status.initContainerStatuses);
  const fresh: Record<string, PodCondition> = {
    Ready: readyCondition(pod, containersReady, others),
    ContainersReady: containersReady,
  };
  const earlier = status.conditions ?? [];
  const conditions = earlier.map((c) => {
    const f = fresh[c.type];
    return f ? withTransitionTime(f, earlier, now) : c;
  });
  return { ...status, conditions };
}

/** The newest earlier condition of that type wins; its time is kept while the status is the same. */
function withTransitionTime(c: PodCondition, earlier: PodCondition[], now: number): PodCondition {
  let prev: PodCondition | undefined;
  for (const e of earlier) if (e.type === c.type) prev = e;
  const lastTransitionTime =
    prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
  const out: PodCondition = { type: c.type, status: c.status, lastTransitionTime };
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  return out;
}

/** Whether two generated statuses would serialise the same (both are built by this module). */
export function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
