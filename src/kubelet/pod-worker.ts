import type { Container, ContainerStatus, Pod, PodStatus } from '../api/types.js';
import type { ContainerRuntime, PodSandbox } from '../runtime/types.js';
import type { EventRecorder, ObjectStore } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { backoffKeyPrefix, type CrashLoopBackOff } from './backoff.js';
import { isRunning, type ContainerRecord, type InstanceRecord } from './container-record.js';
import { ContainerRunner, SYNC_RETRY_MS } from './container-runner.js';
import { containerRef, EventReason, messages, podRef } from './events.js';
import { PodKnobGate } from './knob-gate.js';
import { computePodActions, DEFAULT_TERMINATION_GRACE_SECONDS, MIN_GRACE_SECONDS } from './pod-actions.js';
import type { ProbeManager } from './probe-manager.js';
import type { LivenessRestartBudgets } from './restart-budget.js';
import { shouldContainerBeRestarted } from './restart-policy.js';
import type { ResultUpdate } from './results-cache.js';
import { seedRecords } from './seed.js';
import { initContainerNamed, isSidecar } from './init-actions.js';
import { buildPodStatus, containerStatus } from './status.js';
import { PodStatusManager } from './status-manager.js';

export interface PodWorkerDeps {
  nodeName: string;
  store: ObjectStore;
  recorder: EventRecorder;
  runtime: ContainerRuntime;
  clock: Clock;
  probes: ProbeManager;
  backoff: CrashLoopBackOff;
  /** podvisor.io/liveness-restart-budget slots, shared by every kubelet of the process. */
  budgets: LivenessRestartBudgets;
  baseEnv: Record<string, string>;
  workingDirBase: string;
  /** The worker has finished a deletion: the kubelet forgets it. */
  onFinished: (uid: string) => void;
}

/**
 * - active: containers are kept per restartPolicy;
 * - terminal: phase Succeeded/Failed, nothing runs, status is kept;
 * - terminating: the pod is being deleted (graceful or not);
 * - stopping: podvisor is shutting down; - finished: gone.
 */
type Mode = 'active' | 'terminal' | 'terminating' | 'stopping' | 'finished';

/**
 * One pod's worker (the kubelet's pod worker + SyncPod): every change to the pod's containers
 * happens in `sync`, and syncs of one pod never overlap. Status is regenerated whenever something
 * changes and written to the store only when it differs.
 */
export class PodWorker {
  readonly uid: string;
  private pod: Pod;
  private sandboxInfo: PodSandbox | undefined;
  private sandboxReady = false;
  private podIsTerminal = false;
  private mode: Mode = 'active';
  private readonly records = new Map<string, ContainerRecord>();
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly runner: ContainerRunner;
  private readonly statuses: PodStatusManager;
  /** podvisor's knobs: probe pause, liveness report mode, liveness restart budget. */
  private readonly knobs: PodKnobGate;

  private syncing: Promise<void> | undefined;
  private dirty = false;
  private retry: { at: number; timer: Timer } | undefined;
  private removedFromStore = false;
  private terminationGraceSeconds = Infinity;
  /** Admitted again after a podvisor restart with instances of an earlier sandbox (seed.ts). */
  private sandboxChanged = false;
  /** When the current sandbox was created: older instances do not count as init progress. */
  private sandboxCreatedAt = 0;
  /** Init containers have all completed / started once (getPhase's podHasInitialized). */
  private podInitialized = false;

  constructor(
    pod: Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.statuses = new PodStatusManager(deps.store, deps.clock, this.uid);
    this.knobs = new PodKnobGate(
      { ...deps, liveness: deps.probes.liveness },
      {
        pod: () => this.pod,
        status: () => this.statuses.current(),
        records: () => this.records.values(),
        requestSync: () => this.requestSync(),
      },
    );
    this.runner = new ContainerRunner(deps, {
      pod: () => this.pod,
      sandbox: () => {
        if (!this.sandboxInfo) throw new Error('no sandbox');
        return this.sandboxInfo;
      },
      record: (name) => this.record(name),
      instanceStarted: (rec, inst) => this.instanceStarted(rec, inst),
      instanceExited: () => this.instanceExited(),
      retryAfter: (ms) => this.retryAfter(ms),
    });
  }

  /** Admission: terminal pods keep their status; others get probe workers and a first sync. */
  start(): void {
    const phase = this.pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.mode = 'terminal';
      this.statuses.frozen = true;
      if (this.pod.metadata?.deletionTimestamp) this.requestSync();
      return;
    }
    // After a podvisor restart the stored status remembers instances that are gone (§4.4).
    for (const rec of seedRecords(this.pod, this.deps.clock.now())) {
      this.records.set(rec.name, rec);
      if (rec.current) this.instances.set(rec.current.id, rec.current);
      if (rec.current) this.sandboxChanged = true;
    }
    this.deps.probes.addPod(this.pod, {
      pod: () => this.pod,
      podStatus: () => this.statuses.current(),
      podIP: () => this.sandboxInfo?.podIP ?? '',
      instance: (id) => this.instances.get(id),
    });
    this.knobs.podChanged();
    this.refreshStatus(false);
    this.requestSync();
  }

  /** A newer version of the pod from the store. */
  update(pod: Pod): void {
    if (this.mode === 'finished') return;
    const before = this.pod;
    this.pod = pod;
    const deletionStarted = !before.metadata?.deletionTimestamp && !!pod.metadata?.deletionTimestamp;
    const specChanged = JSON.stringify(before.spec) !== JSON.stringify(pod.spec);
    // A knob that changed (podvisor.io/ annotations) may change what the next sync does.
    const annotationsChanged =
      JSON.stringify(before.metadata?.annotations) !== JSON.stringify(pod.metadata?.annotations);
    if (deletionStarted || specChanged || annotationsChanged) this.requestSync();
    if (this.mode === 'active') this.knobs.podChanged();
    if (this.mode === 'terminating') this.shortenGrace(this.deletionGraceSeconds());
  }

  /** The pod object is gone from the store (force deletion, or our own final delete). */
  removed(): void {
    if (this.mode === 'finished') return;
    this.removedFromStore = true;
    this.statuses.detached = true;
    if (this.mode === 'terminating') this.shortenGrace(0);
    this.requestSync();
  }

  /** A results-cache change for one of this pod's containers (kubelet syncLoopIteration, §2.4). */
  probeUpdated(u: ResultUpdate): void {
    if (this.mode === 'finished' || this.mode === 'stopping') return;
    if (u.probeType === 'Liveness') {
      // Report mode: a return to Success sets podvisor.io/Healthy back to True.
      if (u.result === 'Failure' || this.knobs.reportsLiveness()) this.requestSync();
      return;
    }
    // SetContainerReadiness / SetContainerStartup patch the cached status at once (ready and the
    // Ready conditions, or started) — even while a sync is busy, e.g. stopping the pod — and a
    // sync follows.
    this.statuses.patch(this.pod, u);
    this.knobs.statusChanged();
    this.requestSync();
  }

  /** The status manager's cached status (what probe workers read). */
  currentStatus(): PodStatus | undefined {
    return this.statuses.current();
  }

  /**
   * podvisor shutdown: every running container is stopped concurrently with the pod's grace
   * (capped by `maxGraceMs`); the pod object stays.
   */
  async shutdown(maxGraceMs?: number): Promise<void> {
    if (this.mode === 'finished') return;
    this.mode = 'stopping';
    this.cancelRetry();
    this.knobs.dispose();
    this.deps.probes.removePod(this.uid);
    let graceMs =
      Math.max(
        this.pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS,
        MIN_GRACE_SECONDS,
      ) * 1000;
    if (maxGraceMs !== undefined) graceMs = Math.min(graceMs, maxGraceMs);
    const stopAll = (): Promise<unknown> =>
      Promise.all(
        this.runningContainers().map(([c, inst]) => {
          this.deps.recorder.record(
            containerRef(this.pod, c),
            'Normal',
            EventReason.Killing,
            messages.stopping(c),
          );
          return this.runner.stop(inst, graceMs);
        }),
      );
    await stopAll();
    // A sync may have been in the middle of starting a container: wait for it, stop that too.
    await this.syncing;
    await stopAll();
    this.refreshStatus(false);
    this.mode = 'finished';
  }

  private record(name: string): ContainerRecord {
    let rec = this.records.get(name);
    if (!rec) {
      rec = { name, restartCount: 0 };
      this.records.set(name, rec);
    }
    return rec;
  }

  private instanceStarted(rec: ContainerRecord, inst: InstanceRecord): void {
    if (rec.previous) this.instances.delete(rec.previous.id);
    if (rec.current) rec.previous = rec.current;
    rec.current = inst;
    this.instances.set(inst.id, inst);
  }

  /**
   * An exit is seen by the next sync (the kubelet's PLEG → pod sync), which also regenerates
   * status: status is never generated halfway through a sync, where a container killed for a
   * restart would look finished and could make the phase terminal for good.
   */
  private instanceExited(): void {
    if (this.mode === 'finished' || this.mode === 'stopping') return;
    this.requestSync();
  }

  private requestSync(): void {
    this.dirty = true;
    if (this.syncing) return;
    this.syncing = (async () => {
      await Promise.resolve(); // never sync inside the caller's stack
      while (this.dirty && this.mode !== 'finished' && this.mode !== 'stopping') {
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          // A sync that throws is retried like a failed one.
          process.emitWarning(`podvisor kubelet: sync of pod ${this.uid} failed: ${String(err)}`);
          this.retryAfter(SYNC_RETRY_MS);
        }
      }
      this.syncing = undefined;
    })();
  }

  private retryAfter(delayMs: number): void {
    const at = this.deps.clock.now() + delayMs;
    if (this.retry && this.retry.at <= at) return;
    this.retry?.timer.cancel();
    this.retry = {
      at,
      timer: this.deps.clock.setTimer(delayMs, () => {
        this.retry = undefined;
        this.requestSync();
      }),
    };
  }

  private cancelRetry(): void {
    this.retry?.timer.cancel();
    this.retry = undefined;
  }

  /** SyncPod: one pass of computePodActions → kills → starts, then status. */
  private async sync(): Promise<void> {
    if (this.pod.metadata?.deletionTimestamp || this.removedFromStore) {
      await this.terminate();
      return;
    }
    if (this.mode !== 'active') return;
    if (!this.sandboxInfo) {
      const ok = await this.createSandbox();
      if (!ok) return;
    }
    const { probes } = this.deps;
    const actions = computePodActions(
      this.pod,
      this.records,
      probes.liveness,
      probes.startup,
      this.sandboxCreatedAt,
      this.knobs.mayKill,
    );
    if (actions.initialized) this.podInitialized = true;
    if (actions.killPod) {
      // KillPod: SyncPod stops whatever still runs through killPodWithSyncResult — concurrently,
      // with "Stopping container <name>" and no probe-level grace — and the pod is done. So a
      // lone container failing liveness under Never gets that message, not "failed liveness
      // probe" (which appears when another container keeps the pod alive).
      await this.killInOrder(undefined);
      this.finishPod();
      return;
    }
    // Kills inside one sync are sequential and blocking (§4.2).
    for (const k of actions.kills) await this.runner.kill(k.container, k.instance, k.message, k.reason);
    for (const s of actions.starts) {
      if (this.mode !== 'active' || this.pod.metadata?.deletionTimestamp || this.removedFromStore) break;
      const before = this.records.get(s.container.name)?.current;
      await this.runner.start(s.container, s.backoffFrom);
      // The PLEG's ContainerStarted: a sidecar that started may let the next container start.
      const now = this.records.get(s.container.name)?.current;
      if (now !== before && isRunning(now) && isSidecarIn(this.pod, s.container.name)) this.requestSync();
    }
    this.refreshStatus(true);
  }

  private async createSandbox(): Promise<boolean> {
    const meta = this.pod.metadata ?? {};
    if (this.sandboxChanged) {
      // The previous podvisor's sandbox is gone (stopped or crashed): its containers start again.
      this.sandboxChanged = false;
      this.deps.recorder.record(
        podRef(this.pod),
        'Normal',
        EventReason.SandboxChanged,
        messages.sandboxChanged,
      );
    }
    try {
      this.sandboxInfo = await this.deps.runtime.preparePod({
        uid: this.uid,
        namespace: meta.namespace ?? 'default',
        name: meta.name ?? '',
        hostNetwork: this.pod.spec?.hostNetwork === true,
      });
      this.sandboxReady = true;
      this.sandboxCreatedAt = this.deps.clock.now();
      return true;
    } catch (err) {
      this.deps.recorder.record(
        podRef(this.pod),
        'Warning',
        'FailedCreatePodSandBox',
        `Failed to create pod sandbox: ${String(err instanceof Error ? err.message : err)}`,
      );
      this.retryAfter(SYNC_RETRY_MS);
      return false;
    }
  }

  /** KillPod for a pod whose containers are all done: it becomes terminal and keeps its status. */
  private finishPod(): void {
    this.mode = 'terminal';
    this.cancelRetry();
    this.knobs.dispose();
    this.sandboxReady = false;
    this.refreshStatus(false);
    this.deps.probes.removePod(this.uid);
  }

  /**
   * Graceful deletion (§2.7, §4.3): liveness/startup stop, readiness keeps probing, every running
   * container is stopped concurrently with `Stopping container <name>`; then the final status, and
   * the pod object is removed (the status manager's delete with grace 0) and the sandbox released.
   */
  private async terminate(): Promise<void> {
    if (this.mode !== 'terminating') {
      this.mode = 'terminating';
      this.cancelRetry();
      this.knobs.dispose();
      this.deps.probes.stopLivenessAndStartup(this.uid);
      this.refreshStatus(false);
    }
    this.terminationGraceSeconds = this.deletionGraceSeconds();
    await this.killInOrder(this.terminationGraceSeconds);
    if (this.mode !== 'terminating') return;
    this.sandboxReady = false;
    this.podIsTerminal = true;
    this.refreshStatus(false);
    this.deps.probes.removePod(this.uid);
    this.mode = 'finished';
    this.deps.backoff.forgetPrefix(backoffKeyPrefix(this.pod));
    this.statuses.deleteFromStore(this.pod);
    try {
      await this.deps.runtime.removePod(this.uid);
    } catch {
      // Nothing was prepared for this pod, or it is gone already.
    }
    this.deps.onFinished(this.uid);
  }

  /** calculateEffectiveGracePeriod: the deletion grace (0 on force deletion), else the pod's. */
  private deletionGraceSeconds(): number {
    if (this.removedFromStore && !this.pod.metadata?.deletionTimestamp) return 0;
    return (
      this.pod.metadata?.deletionGracePeriodSeconds ??
      this.pod.spec?.terminationGracePeriodSeconds ??
      DEFAULT_TERMINATION_GRACE_SECONDS
    );
  }

  /** A second, shorter deletion (or a force delete) while containers are still stopping. */
  private shortenGrace(seconds: number): void {
    if (seconds >= this.terminationGraceSeconds) return;
    this.terminationGraceSeconds = seconds;
    const ms = Math.max(seconds, MIN_GRACE_SECONDS) * 1000;
    for (const [, inst] of this.runningContainers()) void this.runner.stop(inst, ms);
  }

  /**
   * killContainersWithSyncResult with terminationOrdering (spec §4.7): every `Stopping container`
   * event at once, regular containers stopped concurrently, sidecars only after them and after
   * the sidecars that follow them in the spec (reverse order), each within its own grace.
   */
  private async killInOrder(graceOverride: number | undefined): Promise<void> {
    const running = new Map(this.runningContainers());
    const kill = (name: string, inst: InstanceRecord, turn?: Promise<void>): Promise<void> =>
      this.runner.kill(this.containerSpec(name), inst, messages.stopping(name), 'Other', graceOverride, turn);
    const sidecars = (this.pod.spec?.initContainers ?? []).filter(
      (c) => c.restartPolicy === 'Always' && running.has(c.name),
    );
    const sidecarNames = new Set(sidecars.map((c) => c.name));
    const regular = [...running].filter(([name]) => !sidecarNames.has(name));
    const regularDone = Promise.all(regular.map(([name, inst]) => kill(name, inst)));
    const done: Promise<unknown>[] = [regularDone];
    for (const c of [...sidecars].reverse()) {
      const turn = Promise.all([...done]).then(() => undefined);
      done.push(kill(c.name, running.get(c.name)!, turn));
    }
    await Promise.all(done);
  }

  private containerSpec(name: string): Container {
    return (
      this.pod.spec?.containers?.find((c) => c.name === name) ??
      this.pod.spec?.initContainers?.find((c) => c.name === name) ?? { name }
    );
  }

  private runningContainers(): [string, InstanceRecord][] {
    const out: [string, InstanceRecord][] = [];
    for (const rec of this.records.values()) if (isRunning(rec.current)) out.push([rec.name, rec.current]);
    return out;
  }

  /** generateAPIPodStatus + UpdatePodStatus; `trigger` lets readiness run at once (§2.1). */
  private refreshStatus(trigger: boolean): void {
    if (this.mode === 'finished' || this.statuses.frozen) return;
    const pod = this.pod;
    const hasInit = (pod.spec?.initContainers ?? []).length > 0;
    const toStatus = (spec: Container): ContainerStatus => {
      const record = this.record(spec.name);
      return containerStatus({
        spec,
        record,
        shouldRestart: shouldContainerBeRestarted(pod, record),
        ready: false,
        started: false,
        // convertToAPIContainerStatuses: not created yet, in a pod with init containers.
        ...(hasInit ? { defaultWaitingReason: 'PodInitializing' } : {}),
      });
    };
    const statuses = (pod.spec?.containers ?? []).map(toStatus);
    const initStatuses = hasInit ? (pod.spec?.initContainers ?? []).map(toStatus) : undefined;
    const triggerReadiness = trigger && this.mode !== 'stopping';
    if (initStatuses) this.deps.probes.updateInitContainerStatuses(pod, initStatuses, triggerReadiness);
    this.deps.probes.updatePodStatus(this.uid, statuses, triggerReadiness);
    const next = buildPodStatus({
      pod,
      previous: this.statuses.current(),
      now: this.deps.clock.now(),
      containerStatuses: statuses,
      ...(initStatuses
        ? { initContainerStatuses: initStatuses, podHasInitialized: this.podInitialized }
        : {}),
      podIsTerminal: this.podIsTerminal,
      podIP: this.sandboxInfo?.podIP,
      sandboxReady: this.sandboxReady,
      healthy: this.knobs.healthyCondition(),
    });
    this.statuses.set(pod, next);
    this.knobs.statusChanged();
  }
}

function isSidecarIn(pod: Pod, name: string): boolean {
  return isSidecar(initContainerNamed(pod, name));
}
