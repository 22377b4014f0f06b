import {
  HEALTHY_CONDITION,
  PodvisorAnnotation,
  podKnobs,
  probesPaused,
} from '../api/podvisor-annotations.js';
import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from '../api/types.js';
import type { EventRecorder, ObjectStore } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import { isRunning, type ContainerRecord } from './container-record.js';
import { containerRef, podRef } from './events.js';
import type { ProbeKillGate } from './pod-actions.js';
import type { BudgetGroup, LivenessRestartBudgets } from './restart-budget.js';
import type { ResultsCache } from './results-cache.js';
import type { StoredPod } from './types.js';

/** Event reasons of podvisor's workload knobs (not the kubelet's: these knobs are podvisor's). */
export const KnobEventReason = {
  ProbesPaused: 'ProbesPaused',
  ProbesResumed: 'ProbesResumed',
  LivenessFailureReported: 'LivenessFailureReported',
  LivenessRestartDeferred: 'LivenessRestartDeferred',
} as const;

/** setTimeout's limit (about 24.8 days): a longer pause is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface KnobGateDeps {
  clock: Clock;
  recorder: EventRecorder;
  store: ObjectStore;
  budgets: LivenessRestartBudgets;
  /** The liveness results cache: report mode's Healthy condition reads it. */
  liveness: Pick<ResultsCache, 'get'>;
}

/** What the gate reads from its pod worker. */
export interface KnobGateHost {
  pod(): Pod;
  status(): PodStatus | undefined;
  records(): Iterable<ContainerRecord>;
  requestSync(): void;
}

/**
 * One pod's workload knobs on the kubelet side (issue 5 item 3): the probe pause (events and its
 * own end), `liveness-action: report` (no kill; the Healthy condition and an event instead) and
 * the liveness restart budget of the pod's ReplicaSet. computePodActions asks `mayKill` before
 * every probe-caused kill; the defaults let every kill through, as the kubelet does.
 */
export class PodKnobGate {
  private pausedUntil: number | undefined;
  private pauseTimer: Timer | undefined;
  /** The last pause that ended here: a late copy of the pod still carrying it is not news. */
  private endedUntil: number | undefined;
  /** Instances whose liveness failure was reported (one event per failure, not per sync). */
  private readonly reported = new Set<string>();
  /** Instances whose liveness restart is deferred (one event each). */
  private readonly deferred = new Set<string>();
  /** While the pod holds a budget slot: container name → the instance killed for liveness. */
  private readonly restarting = new Map<string, string>();
  private disposed = false;

  constructor(
    private readonly deps: KnobGateDeps,
    private readonly host: KnobGateHost,
  ) {}

  /** Does a liveness Success matter to this pod (report mode clears its Healthy condition)? */
  reportsLiveness(): boolean {
    return podKnobs(this.host.pod().metadata).livenessAction === 'report';
  }

  /**
   * A new version of the pod (or its admission): `podvisor.io/probes-paused-until` appeared,
   * changed, or went away. One timer ends the pause by itself and removes the annotation.
   */
  podChanged(): void {
    if (this.disposed) return;
    const until = podKnobs(this.host.pod().metadata).probesPausedUntil;
    const now = this.deps.clock.now();
    if (until !== undefined && until > now) {
      if (until === this.pausedUntil) return;
      this.pausedUntil = until;
      this.event(
        'Normal',
        KnobEventReason.ProbesPaused,
        `Liveness and startup probes paused until ${rfc3339(until)}`,
      );
      this.armPauseTimer();
      return;
    }
    if (this.pausedUntil !== undefined) {
      const ended = this.pausedUntil;
      this.endPause();
      this.event(
        'Normal',
        KnobEventReason.ProbesResumed,
        until === undefined
          ? 'Liveness and startup probes resumed'
          : `Liveness and startup probes resumed: the pause until ${rfc3339(ended)} ended`,
      );
    } else if (until === undefined || until === this.endedUntil) {
      // Not paused, and no pause annotation (or one whose end was told already, still in flight).
      return;
    } else {
      this.endedUntil = until;
      this.event(
        'Normal',
        KnobEventReason.ProbesResumed,
        `Liveness and startup probes resumed: the pause until ${rfc3339(until)} had ended`,
      );
    }
    if (until !== undefined) this.removePauseAnnotation();
    this.host.requestSync();
  }

  /**
   * computePodActions' question before a probe-caused kill. Paused: no liveness or startup kill.
   * Report mode: a liveness failure is reported instead. Restart budget: the kill waits for a slot.
   */
  readonly mayKill: ProbeKillGate = (container, instance, reason) => {
    const pod = this.host.pod();
    const knobs = podKnobs(pod.metadata);
    if (probesPaused(knobs, this.deps.clock.now())) return false;
    if (reason !== 'LivenessProbe') return true;
    if (knobs.livenessAction === 'report') {
      if (!this.reported.has(instance.id)) {
        this.reported.add(instance.id);
        this.event(
          'Warning',
          KnobEventReason.LivenessFailureReported,
          `Container ${container.name} failed liveness probe; not restarted (${PodvisorAnnotation.livenessAction}: report)`,
          container.name,
        );
      }
      return false;
    }
    const group = budgetGroupOf(this.deps.store, pod);
    if (!group) return true;
    const uid = pod.metadata?.uid ?? '';
    if (this.deps.budgets.tryAcquire(group, uid, pod.metadata?.name ?? '')) {
      this.restarting.set(container.name, instance.id);
      this.deferred.delete(instance.id);
      return true;
    }
    if (!this.deferred.has(instance.id)) {
      this.deferred.add(instance.id);
      const busy = this.deps.budgets.holders(group.key).length;
      this.event(
        'Warning',
        KnobEventReason.LivenessRestartDeferred,
        `Liveness restart of container ${container.name} deferred: ${busy} of ${group.limit} pods of ${group.label} are being restarted (${PodvisorAnnotation.livenessRestartBudget}: ${group.limit})`,
        container.name,
      );
    }
    this.deps.budgets.waitForSlot(group.key, uid, () => this.host.requestSync());
    return false;
  };

  /**
   * `podvisor.io/Healthy` for a report-mode pod (undefined otherwise): False naming the running
   * containers whose liveness verdict is Failure, True when there are none.
   */
  healthyCondition(): PodCondition | undefined {
    if (!this.reportsLiveness()) return undefined;
    const pod = this.host.pod();
    const probed = new Set(
      [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
        .filter((c) => c.livenessProbe)
        .map((c) => c.name),
    );
    const failing: string[] = [];
    const failingIds = new Set<string>();
    for (const rec of this.host.records()) {
      const cur = rec.current;
      if (!probed.has(rec.name) || !isRunning(cur)) continue;
      if (this.deps.liveness.get(cur.id) !== 'Failure') continue;
      failing.push(rec.name);
      failingIds.add(cur.id);
    }
    // A verdict back to Success: its next failure is reported again.
    for (const id of [...this.reported]) if (!failingIds.has(id)) this.reported.delete(id);
    if (failing.length === 0) return { type: HEALTHY_CONDITION, status: 'True' };
    const [first] = failing;
    const message =
      failing.length === 1
        ? `Container ${first} failed liveness probe; not restarted (${PodvisorAnnotation.livenessAction}: report)`
        : `Containers ${failing.join(', ')} failed liveness probes; not restarted (${PodvisorAnnotation.livenessAction}: report)`;
    return { type: HEALTHY_CONDITION, status: 'False', reason: 'LivenessProbeFailed', message };
  }

  /**
   * A status was generated or patched: a pod being liveness-restarted gives its budget slot back
   * once each restarted container is ready (started and running, without a readiness probe).
   */
  statusChanged(): void {
    if (this.restarting.size === 0) return;
    const status = this.host.status();
    const pod = this.host.pod();
    const all = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
    for (const [name, killedId] of this.restarting) {
      const s = all.find((c) => c.name === name);
      const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
        (c) => c.name === name,
      );
      if (!s || !spec || !restartedAndReady(s, spec, killedId)) return;
    }
    this.releaseSlot();
  }

  /** The pod is done or deleted, or the kubelet stops: the slot, the wait and the timer go. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pauseTimer?.cancel();
    this.pauseTimer = undefined;
    this.releaseSlot();
    this.deps.budgets.cancelWait(this.host.pod().metadata?.uid ?? '');
  }

  private releaseSlot(): void {
    this.restarting.clear();
    this.deps.budgets.release(this.host.pod().metadata?.uid ?? '');
  }

  private armPauseTimer(): void {
    this.pauseTimer?.cancel();
    const until = this.pausedUntil;
    if (until === undefined) return;
    const delay = Math.min(until - this.deps.clock.now(), MAX_TIMER_MS);
    this.pauseTimer = this.deps.clock.setTimer(delay, () => {
      this.pauseTimer = undefined;
      if (this.disposed || this.pausedUntil !== until) return;
      if (this.deps.clock.now() < until) {
        this.armPauseTimer();
        return;
      }
      this.endPause();
      this.event(
        'Normal',
        KnobEventReason.ProbesResumed,
        `Liveness and startup probes resumed: the pause until ${rfc3339(until)} ended`,
      );
      this.removePauseAnnotation();
      this.host.requestSync();
    });
  }

  private endPause(): void {
    this.pauseTimer?.cancel();
    this.pauseTimer = undefined;
    this.endedUntil = this.pausedUntil;
    this.pausedUntil = undefined;
  }

  /** An ended pause leaves the pod (so describe stops showing it), unless someone set a new one. */
  private removePauseAnnotation(): void {
    const pod = this.host.pod();
    const meta = pod.metadata ?? {};
    const key = PodvisorAnnotation.probesPausedUntil;
    try {
      this.deps.store.mutate<StoredPod>('pods', meta.namespace ?? 'default', meta.name ?? '', (cur) => {
        const value = cur.metadata?.annotations?.[key];
        if (cur.metadata?.uid !== meta.uid || value === undefined) return undefined;
        const t = Date.parse(value);
        if (!Number.isNaN(t) && t > this.deps.clock.now()) return undefined;
        const annotations = { ...cur.metadata.annotations };
        delete annotations[key];
        return { ...cur, metadata: { ...cur.metadata, annotations } };
      });
    } catch (err) {
      // The pod is gone, or this node lost its link to the store: nothing left to clean.
      process.emitWarning(
        `podvisor kubelet: could not remove ${key} from pod ${meta.name ?? ''}: ${String(err)}`,
      );
    }
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    const pod = this.host.pod();
    this.deps.recorder.record(container ? containerRef(pod, container) : podRef(pod), type, reason, message);
  }
}

/** A new instance (not the one killed) runs and is ready — or started, without a readiness probe. */
function restartedAndReady(s: ContainerStatus, spec: Container, killedId: string): boolean {
  if (!s.containerID || s.containerID === killedId || !s.state?.running) return false;
  return spec.readinessProbe ? s.ready === true : s.started === true;
}

/**
 * The budget over this pod: its controller (ReplicaSet or ReplicationController) and the
 * `podvisor.io/liveness-restart-budget` on it — or, when the ReplicaSet has none, on the
 * Deployment that owns it (the deployment controller copies its annotations to new ReplicaSets).
 */
export function budgetGroupOf(store: Pick<ObjectStore, 'get'>, pod: Pod): BudgetGroup | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (!ref) return undefined;
  const resource =
    ref.kind === 'ReplicaSet'
      ? 'replicasets'
      : ref.kind === 'ReplicationController'
        ? 'replicationcontrollers'
        : undefined;
  if (!resource) return undefined;
  const owner = store.get(resource, ns, ref.name);
  if (!owner || owner.metadata.uid !== ref.uid) return undefined;
  let value = owner.metadata.annotations?.[PodvisorAnnotation.livenessRestartBudget];
  if (value === undefined) {
    const dref = owner.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
    const deployment = dref ? store.get('deployments', ns, dref.name) : undefined;
    if (deployment?.metadata.uid === dref?.uid) {
      value = deployment?.metadata.annotations?.[PodvisorAnnotation.livenessRestartBudget];
    }
  }
  const limit = value === undefined ? Number.NaN : Number(value.trim());
  if (!Number.isSafeInteger(limit) || limit < 1) return undefined;
  return { key: ref.uid, label: `${ref.kind} ${ref.name}`, limit };
}
