import type { Pod } from 'kubernetes-types/core/v1.js';
import { isEmptySelector, selectorMatches } from '../api/workloads/selector.js';
import type { KubeObject } from '../api/types.js';
import type { EventRecorder, ObjectStore, Watch } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { DeploymentSync, controllerUidOf } from './deployment-sync.js';
import type { Deployment, ReplicaSet } from './deployment-util.js';

export interface DeploymentControllerOptions {
  store: ObjectStore;
  clock: Clock;
  /** Records as `deployment-controller`, the component kubectl shows in FROM. */
  recorder: EventRecorder;
}

type Named<T> = T & KubeObject;

/** client-go's default per-item rate limiter: 5ms doubling to 1000s. */
const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 1000 * 1000;

const keyOf = (ns: string | undefined, name: string | undefined): string =>
  `${ns ?? 'default'}/${name ?? ''}`;

/**
 * The Deployment controller: watches Deployments, ReplicaSets and Pods, and reconciles each
 * Deployment's ReplicaSets through a de-duplicating work queue (one sync per key at a time), as
 * pkg/controller/deployment does. The sync logic itself is in deployment-sync.ts.
 */
export class DeploymentController {
  private readonly store: ObjectStore;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly watches: Watch[] = [];
  private readonly queue = new Set<string>();
  private readonly delayed = new Map<string, { due: number; timer: Timer }>();
  private readonly failures = new Map<string, number>();
  private draining = false;
  private stopped = false;

  constructor(opts: DeploymentControllerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.recorder = opts.recorder;
  }

  start(): void {
    this.watches.push(
      this.store.watch<Named<Deployment>>('deployments', { shared: true }, (ev) => {
        if (ev.type !== 'BOOKMARK')
          this.enqueue(keyOf(ev.object.metadata.namespace, ev.object.metadata.name));
      }),
      this.store.watch<Named<ReplicaSet>>('replicasets', { shared: true }, (ev) => {
        if (ev.type !== 'BOOKMARK') this.enqueueForReplicaSet(ev.object);
      }),
      this.store.watch<Named<Pod>>('pods', { shared: true }, (ev) => {
        // Recreate waits for old pods to be gone: only their deletion matters here.
        if (ev.type === 'DELETED') this.enqueueForPod(ev.object);
      }),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches.splice(0)) w.stop();
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    this.queue.clear();
  }

  /** Adds a Deployment's key (`namespace/name`) to the queue. */
  enqueue(key: string): void {
    if (this.stopped) return;
    this.queue.add(key);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  /** AddAfter: the earlier of two pending delays wins, so a quick retry is never held back. */
  private enqueueAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const due = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.due <= due) return;
    pending?.timer.cancel();
    const timer = this.clock.setTimer(delayMs, () => {
      this.delayed.delete(key);
      this.enqueue(key);
    });
    this.delayed.set(key, { due, timer });
  }

  private enqueueForReplicaSet(rs: Named<ReplicaSet>): void {
    const ns = rs.metadata.namespace;
    const owner = rs.metadata.ownerReferences?.find((r) => r.controller);
    if (owner) {
      if (owner.kind === 'Deployment') this.enqueue(keyOf(ns, owner.name));
      return;
    }
    // An orphan: every Deployment that selects it may adopt it.
    for (const d of this.store.list<Named<Deployment>>('deployments', { namespace: ns }).items) {
      if (selectorMatches(d.spec?.selector, rs.metadata.labels)) this.enqueue(keyOf(ns, d.metadata.name));
    }
  }

  private enqueueForPod(pod: Named<Pod>): void {
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'ReplicaSet');
    if (!owner) return;
    const rs = this.store.get<Named<ReplicaSet>>(
      'replicasets',
      pod.metadata.namespace ?? 'default',
      owner.name,
    );
    if (rs) this.enqueueForReplicaSet(rs);
  }

  private drain(): void {
    this.draining = false;
    const keys = [...this.queue];
    this.queue.clear();
    for (const key of keys) {
      if (this.stopped) return;
      this.processKey(key);
    }
  }

  private processKey(key: string): void {
    try {
      const outcome = this.syncDeployment(key);
      this.failures.delete(key);
      if (outcome.requeueAfterMs !== undefined) this.enqueueAfter(key, outcome.requeueAfterMs);
    } catch {
      // Conflicts and races are retried with the queue's exponential backoff.
      const n = this.failures.get(key) ?? 0;
      this.failures.set(key, n + 1);
      this.enqueueAfter(key, Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** n));
    }
  }

  /** One reconcile of the Deployment named by `key`; exposed for tests and the manager. */
  syncDeployment(key: string): { requeueAfterMs?: number } {
    const [ns = 'default', name = ''] = key.split('/');
    const found = this.store.get<Named<Deployment>>('deployments', ns, name);
    if (!found) return {};
    const d = structuredClone(found);
    if (!d.spec?.selector || isEmptySelector(d.spec.selector)) {
      this.recorder.record(
        { kind: 'Deployment', apiVersion: 'apps/v1', namespace: ns, name, uid: d.metadata.uid ?? '' },
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata.generation };
        this.store.update('deployments', d);
      }
      return {};
    }
    const rsList = this.claimReplicaSets(d);
    const uids = new Set(rsList.map((rs) => rs.metadata?.uid));
    const podsByRs = new Map<string, Pod[]>();
    for (const pod of this.store.list<Named<Pod>>('pods', { namespace: ns }).items) {
      const uid = controllerUidOf(pod);
      if (uid && uids.has(uid)) podsByRs.set(uid, [...(podsByRs.get(uid) ?? []), pod]);
    }
    return new DeploymentSync(
      { store: this.store, clock: this.clock, recorder: this.recorder },
      d,
      rsList,
      podsByRs,
    ).run();
  }

  /**
   * ControllerRefManager.ClaimReplicaSets: keep owned ReplicaSets that still match, release the
   * ones that no longer do, adopt matching orphans (not while the Deployment is being deleted).
   */
  private claimReplicaSets(d: Named<Deployment>): ReplicaSet[] {
    const uid = d.metadata.uid;
    const claimed: ReplicaSet[] = [];
    for (const rs of this.store.list<Named<ReplicaSet>>('replicasets', { namespace: d.metadata.namespace })
      .items) {
      const owner = controllerUidOf(rs);
      const matches = selectorMatches(d.spec?.selector, rs.metadata.labels);
      if (owner === uid) {
        if (matches) claimed.push(rs);
        else if (!d.metadata.deletionTimestamp) {
          rs.metadata.ownerReferences = rs.metadata.ownerReferences?.filter((r) => r.uid !== uid);
          this.store.update('replicasets', rs);
        }
      } else if (!owner && matches && !d.metadata.deletionTimestamp && !rs.metadata.deletionTimestamp) {
        rs.metadata.ownerReferences = [
          ...(rs.metadata.ownerReferences ?? []),
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name,
            uid: uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ];
        claimed.push(this.store.update('replicasets', rs));
      }
    }
    return claimed;
  }
}
