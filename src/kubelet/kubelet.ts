import { PodvisorAnnotation } from '../api/podvisor-annotations.js';
import type { ProbeHistory, ProbeRunReport, ProbeRunRequest } from '../api/probe-history.js';
import type { Pod, PodCondition } from '../api/types.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { EventRecorder, ObjectStore, Watch, WatchEvent } from '../store/types.js';
import type { ChangeFeed } from '../util/change-feed.js';
import { BACKGROUND_RETRY_MS, warnBackgroundFailure } from '../store/background-writes.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import { CrashLoopBackOff } from './backoff.js';
import { defaultProbeHandlers } from './default-handlers.js';
import { EventReason, podRef } from './events.js';
import { PodWorker } from './pod-worker.js';
import type { PodIdentity } from './probe-history.js';
import { ProbeManager } from './probe-manager.js';
import type { ProbeObserver } from './probe-observer.js';
import { Prober } from './prober.js';
import { LivenessRestartBudgets } from './restart-budget.js';
import { ProbeRunError } from './probe-run.js';
import type { ResultUpdate } from './results-cache.js';
import type { ProbeHandlers, StoredPod } from './types.js';

export interface KubeletOptions {
  nodeName: string;
  store: ObjectStore;
  recorder: EventRecorder;
  runtime: ContainerRuntime;
  clock: Clock;
  handlers?: ProbeHandlers;
  /**
   * CrashLoopBackOff: initial 10 s; max = kubelet config `crashLoopBackOff.maxContainerRestartPeriod`
   * (300 s); reset: an instance that ran longer than this resets it (600 s). A pod's
   * `podvisor.io/crashloop-backoff` overrides any of them for that pod.
   */
  backoff?: { initialMs?: number; maxMs?: number; resetMs?: number };
  /**
   * `podvisor.io/liveness-restart-budget` slots. Pass one registry to every kubelet of the process
   * (virtual nodes) so a ReplicaSet's budget holds across them; default: this kubelet's own.
   */
  livenessRestartBudgets?: LivenessRestartBudgets;
  /** The node's environment given to every container before its own (PATH, HOME, ...). */
  baseEnv?: Record<string, string>;
  /**
   * podvisor runs no images, so a relative `workingDir` means "relative to where the node was
   * started" (default: process.cwd()); an absent one means the pod's private directory.
   */
  workingDirBase?: string;
  /** For first-probe jitter; Math.random by default. */
  random?: () => number;
  /**
   * Bind unbound pods to this node, as the scheduler would (default true: a kubelet on its own).
   * False when a scheduler runs (src/controllers/scheduler.ts): then only pods bound here run.
   */
  bindUnboundPods?: boolean;
  /**
   * Touched (keyed by pod uid) whenever a probe history changes: the `probehistories` watch.
   * One feed for every kubelet of the process, so resourceVersions are one sequence.
   */
  probeHistoryChanges?: ChangeFeed<PodIdentity>;
  /** Told about every counted probe run and stopped probe worker (the node's /metrics). */
  probeObserver?: ProbeObserver;
}

export interface ProbeStats {
  /** Probe workers alive now. */
  workers: number;
  /** Probe runs that reached a prober since the kubelet started. */
  probesRun: number;
  /** Pods with a worker. */
  pods: number;
}

/**
 * The node agent: watches pods, admits those bound to this node (binding unbound ones, as the
 * scheduler would), runs one PodWorker per pod and routes probe results to it. Graceful deletion
 * ends with the pod object removed from the store, as the kubelet's final status update does.
 */
export class Kubelet {
  private readonly opts: KubeletOptions;
  private readonly probes: ProbeManager;
  private readonly backoff: CrashLoopBackOff;
  private readonly budgets: LivenessRestartBudgets;
  private readonly baseEnv: Record<string, string>;
  private readonly workers = new Map<string, PodWorker>();
  private watch: Watch | undefined;
  /** The owners a restart budget can be set on (knob-gate budgetGroupOf). */
  private readonly ownerWatches: Watch[] = [];
  /** owner uid → its budget annotation, to tell a change from the owner's other updates. */
  private readonly budgetAnnotations = new Map<string, string>();
  private stopped = false;

  constructor(opts: KubeletOptions) {
    this.opts = opts;
    this.backoff = new CrashLoopBackOff(opts.backoff);
    this.budgets = opts.livenessRestartBudgets ?? new LivenessRestartBudgets(opts.clock);
    this.baseEnv = opts.baseEnv ?? { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
    const prober = new Prober(opts.handlers ?? defaultProbeHandlers, opts.recorder, opts.clock);
    this.probes = new ProbeManager({
      clock: opts.clock,
      random: opts.random ?? Math.random,
      prober,
      onUpdate: (u) => this.probeUpdated(u),
      runtime: opts.runtime,
      ...(opts.probeHistoryChanges ? { historyChanges: opts.probeHistoryChanges } : {}),
      ...(opts.probeObserver ? { observer: opts.probeObserver } : {}),
    });
  }

  start(): void {
    if (this.watch || this.stopped) return;
    this.probes.startedAt = this.opts.clock.now();
    // The store's own frozen objects (no deep copy per event): pod workers only read their pod.
    this.watch = this.opts.store.watch<StoredPod>('pods', { shared: true }, (ev) => this.onPodEvent(ev));
    for (const resource of ['replicasets', 'replicationcontrollers', 'deployments']) {
      this.ownerWatches.push(
        this.opts.store.watch(resource, { shared: true }, (ev) => this.onOwnerEvent(ev)),
      );
    }
  }

  /** A changed `podvisor.io/liveness-restart-budget` wakes the pods waiting for a slot. */
  private onOwnerEvent(ev: WatchEvent): void {
    if (ev.type === 'BOOKMARK') return;
    const uid = ev.object.metadata.uid ?? '';
    const value =
      ev.type === 'DELETED'
        ? undefined
        : ev.object.metadata.annotations?.[PodvisorAnnotation.livenessRestartBudget];
    if (value === this.budgetAnnotations.get(uid)) return;
    if (value === undefined) this.budgetAnnotations.delete(uid);
    else this.budgetAnnotations.set(uid, value);
    if (ev.type !== 'ADDED') this.budgets.budgetsChanged();
  }

  /**
   * podvisor shutdown: every container of every pod is stopped concurrently, each with its pod's
   * grace (capped by `graceMs`); pod objects stay in the store.
   */
  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    this.watch = undefined;
    for (const w of this.ownerWatches.splice(0)) w.stop();
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => w.shutdown(graceMs)));
    // Histories die with the kubelet (nobody can read them any more): watchers see them DELETED.
    this.probes.forgetAll();
  }

  probeStats(): ProbeStats {
    return { ...this.probes.stats(), pods: this.workers.size };
  }

  /** The probe history of a pod on this node (podvisor.io ProbeHistory), or undefined. */
  probeHistory(namespace: string, name: string): ProbeHistory | undefined {
    const uid = this.podUid(namespace, name);
    return uid === undefined ? undefined : this.probes.history(uid);
  }

  /** The probe history of the pod with this uid, if it is on this node. */
  probeHistoryOfUid(uid: string): ProbeHistory | undefined {
    return this.probes.history(uid);
  }

  /** Every pod's probe history on this node, or one namespace's. */
  probeHistories(namespace?: string): ProbeHistory[] {
    const all = this.probes.histories();
    return namespace === undefined ? all : all.filter((h) => h.metadata.namespace === namespace);
  }

  /**
   * `podvisor check pod/NAME`: the configured probe once now (no event, the worker not fed).
   * Rejects with a ProbeRunError: 404 when the pod is not on this node, 400 for a bad request.
   */
  runProbeNow(namespace: string, name: string, req: ProbeRunRequest): Promise<ProbeRunReport> {
    const uid = this.podUid(namespace, name);
    if (uid === undefined) {
      return Promise.reject(new ProbeRunError(404, `pods "${name}" not found on node ${this.opts.nodeName}`));
    }
    return this.probes.runNow(uid, req);
  }

  /** The uid of the pod the store names, if this kubelet keeps a probe history for it. */
  private podUid(namespace: string, name: string): string | undefined {
    const uid = this.opts.store.get<StoredPod>('pods', namespace, name)?.metadata?.uid;
    const known = this.probes.podIdentities();
    if (uid !== undefined && known.some((p) => p.uid === uid)) return uid;
    // The store may already have the next pod of that name while the old one terminates.
    return known.find((p) => p.namespace === namespace && p.name === name)?.uid;
  }

  private probeUpdated(u: ResultUpdate): void {
    this.workers.get(u.podUid)?.probeUpdated(u);
  }

  private onPodEvent(ev: WatchEvent<StoredPod>): void {
    if (this.stopped) return;
    const pod = ev.object;
    const uid = pod.metadata?.uid ?? '';
    if (ev.type === 'DELETED') {
      this.workers.get(uid)?.removed();
      return;
    }
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
    const existing = this.workers.get(uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (nodeName && nodeName !== this.opts.nodeName) return;
    if (!nodeName) {
      if (this.opts.bindUnboundPods === false) return;
      let bound: Pod | undefined;
      try {
        bound = this.bind(pod);
      } catch (err) {
        // A refused bind (a full disk): the pod is still unbound; look at it again shortly.
        warnBackgroundFailure(`binding pod ${pod.metadata?.name ?? ''}`, err);
        this.rebindLater(pod);
        return;
      }
      if (!bound) return;
      this.admit(bound);
      return;
    }
    this.admit(pod);
  }

  private rebindLater(pod: StoredPod): void {
    const meta = pod.metadata ?? {};
    this.opts.clock.setTimer(BACKGROUND_RETRY_MS, () => {
      if (this.stopped) return;
      const cur = this.opts.store.get<StoredPod>('pods', meta.namespace ?? 'default', meta.name ?? '');
      if (cur && cur.metadata?.uid === meta.uid) this.onPodEvent({ type: 'MODIFIED', object: cur });
    });
  }

  /** The scheduler's part for a one-node cluster: spec.nodeName and PodScheduled=True. */
  private bind(pod: Pod): Pod | undefined {
    const { store, clock, nodeName, recorder } = this.opts;
    const meta = pod.metadata ?? {};
    if (meta.deletionTimestamp) return undefined;
    const now = rfc3339(clock.now());
    const bound = store.mutate<StoredPod>('pods', meta.namespace ?? 'default', meta.name ?? '', (cur) => {
      if (cur.metadata?.uid !== meta.uid || cur.spec?.nodeName) return undefined;
      const others = (cur.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: now };
      return {
        ...cur,
        spec: { ...cur.spec, containers: cur.spec?.containers ?? [], nodeName },
        status: { ...cur.status, phase: cur.status?.phase ?? 'Pending', conditions: [...others, scheduled] },
      };
    });
    if (!bound || bound.spec?.nodeName !== nodeName) return undefined;
    recorder.record(
      podRef(bound),
      'Normal',
      EventReason.Scheduled,
      `Successfully assigned ${meta.namespace ?? 'default'}/${meta.name ?? ''} to ${nodeName}`,
    );
    return bound;
  }

  private admit(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (!uid || this.workers.has(uid)) return;
    const { store, recorder, runtime, clock, nodeName } = this.opts;
    const worker = new PodWorker(pod, {
      nodeName,
      store,
      recorder,
      runtime,
      clock,
      probes: this.probes,
      backoff: this.backoff,
      budgets: this.budgets,
      baseEnv: this.baseEnv,
      workingDirBase: this.opts.workingDirBase ?? process.cwd(),
      onFinished: (id) => {
        if (this.workers.get(id) === worker) this.workers.delete(id);
        this.probes.forgetPod(id);
      },
    });
    this.workers.set(uid, worker);
    worker.start();
  }
}
