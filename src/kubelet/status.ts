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
  if (!cur) state = { waiting: { reason: 'ContainerCreating' } };
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

/** getPhase (kubelet_pods.go), spec §4.6, for regular containers. */
export function podPhase(pod: Pod, statuses: ContainerStatus[], podIsTerminal: boolean): string {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
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

/** GenerateContainersReadyCondition (status/generate.go), spec §2.4. */
export function containersReadyCondition(pod: Pod, statuses: ContainerStatus[], phase: string): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
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

/** GeneratePodInitializedCondition for a pod without init containers. */
export function initializedCondition(phase: string): PodCondition {
  if (phase === 'Succeeded') return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  return { type: 'Initialized', status: 'True' };
}

export interface PodStatusInput {
  pod: Pod;
  /** The previously generated status (the status manager's cache), or the stored one. */
  previous: PodStatus | undefined;
  now: number;
  containerStatuses: ContainerStatus[];
  /** The kubelet is finishing the pod (deletion): containers will not restart (§4.6). */
  podIsTerminal: boolean;
  podIP: string | undefined;
  /** A sandbox exists (PodReadyToStartContainers). */
  sandboxReady: boolean;
}

/**
 * generateAPIPodStatus + the status manager's bookkeeping: phase (terminal phases stick),
 * kubelet-owned conditions in the API server's order with lastTransitionTime changing only when
 * a condition's status flips, startTime fixed at the first status.
 */
export function buildPodStatus(input: PodStatusInput): PodStatus {
  const { pod, previous, containerStatuses } = input;
  let phase = podPhase(pod, containerStatuses, input.podIsTerminal);
  const prevPhase = previous?.phase ?? pod.status?.phase;
  if ((prevPhase === 'Succeeded' || prevPhase === 'Failed') && phase !== prevPhase) phase = prevPhase;

  const others = (pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const containersReady = containersReadyCondition(pod, containerStatuses, phase);
  const generated: PodCondition[] = [
    { type: 'PodReadyToStartContainers', status: input.sandboxReady ? 'True' : 'False' },
    initializedCondition(phase),
    readyCondition(pod, containersReady, others),
    containersReady,
    { type: 'PodScheduled', status: 'True' },
  ];
  const earlier = [...(pod.status?.conditions ?? []), ...(previous?.conditions ?? [])];
  const conditions = [...generated.map((c) => withTransitionTime(c, earlier, input.now)), ...others];

  const status: PodStatus = { phase, conditions, hostIP: HOST_IP, hostIPs: [{ ip: HOST_IP }] };
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  status.startTime = previous?.startTime ?? pod.status?.startTime ?? rfc3339(input.now);
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
  const others = (pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const containersReady = containersReadyCondition(pod, statuses, phase);
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
