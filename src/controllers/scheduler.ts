import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import type { KubeObject, Pod, PodCondition } from '../api/types.js';
import type { EventRecorder, ObjectStore, Watch } from '../store/types.js';
import { BACKGROUND_RETRY_MS, warnBackgroundFailure } from '../store/background-writes.js';
import type { Clock, Timer } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import { findToleration, isActivePod, readyCondition, TAINT_NOT_READY } from './node-taints.js';
import { podRef } from '../kubelet/events.js';

type StoredPod = Pod & KubeObject;
type StoredNode = Node & KubeObject;

/** Where a pod goes, or why it goes nowhere (the scheduler's FitError). */
export type Placement = { node: string } | { node?: undefined; message: string };

/**
 * The default scheduler's decision for one pod, reduced to what podvisor's nodes can differ in:
 * NodeUnschedulable, NodeAffinity (`nodeSelector`), TaintToleration (NoSchedule/NoExecute), then
 * the least-loaded feasible node (fewest active pods; ties by name, so placement is repeatable).
 * `podsPerNode` counts active pods already bound to each node.
 */
export function placePod(
  pod: Pod,
  nodes: readonly Node[],
  podsPerNode: ReadonlyMap<string, number>,
): Placement {
  if (nodes.length === 0) return { message: 'no nodes available to schedule pods' };
  const reasons = new Map<string, number>();
  const feasible: string[] = [];
  for (const node of nodes) {
    const reason = unfitReason(pod, node);
    if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    else feasible.push(node.metadata?.name ?? '');
  }
  if (feasible.length === 0) return { message: fitErrorMessage(nodes.length, reasons) };
  feasible.sort((a, b) => (podsPerNode.get(a) ?? 0) - (podsPerNode.get(b) ?? 0) || a.localeCompare(b));
  return { node: feasible[0] as string };
}

function unfitReason(pod: Pod, node: Node): string | undefined {
  if (node.spec?.unschedulable && !findToleration(pod, UNSCHEDULABLE_TAINT))
    return 'node(s) were unschedulable';
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  // A node not (yet) Ready is treated as the lifecycle controller will taint it (TaintNodesByCondition).
  if (readyCondition(node) !== 'True' && !taints.some((t) => t.effect === 'NoSchedule')) {
    taints.push({ key: TAINT_NOT_READY, effect: 'NoSchedule' });
  }
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!findToleration(pod, taint))
      return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  return undefined;
}

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/**
 * FitError.Error() plus the default PostFilter's (preemption) verdict, as in 1.33:
 * `0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: ...`.
 * Reasons are "<count> <reason>" strings, sorted.
 */
function fitErrorMessage(total: number, reasons: ReadonlyMap<string, number>): string {
  const parts = [...reasons].map(([reason, n]) => `${n} ${reason}`).sort();
  return (
    `0/${total} nodes are available: ${parts.join(', ')}. ` +
    `preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`
  );
}

export interface SchedulerOptions {
  store: ObjectStore;
  /** Events come from `default-scheduler`, as upstream's do. */
  recorder: EventRecorder;
  clock: Clock;
}

/**
 * Binds pods without `spec.nodeName` to a node (issue 4 item 3). A pod whose `nodeName` the user
 * set is never touched. Pods that fit nowhere get PodScheduled=False/Unschedulable and a
 * `FailedScheduling` event, and are retried whenever something about the nodes that scheduling
 * looks at changes (not on every heartbeat, so a pending pod does not flood its events).
 */
export class Scheduler {
  private readonly watches: Watch[] = [];
  private readonly pending = new Map<string, StoredPod>();
  /** uid → the nodes' fingerprint of the last failed attempt: no retry until it changes. */
  private readonly failedAt = new Map<string, string>();
  private passQueued = false;
  private stopped = false;
  private retry: Timer | undefined;

  constructor(private readonly opts: SchedulerOptions) {}

  start(): void {
    const { store } = this.opts;
    this.watches.push(
      store.watch<StoredPod>('pods', { shared: true }, (ev) => {
        const uid = ev.object.metadata.uid ?? '';
        if (ev.type === 'DELETED' || !this.needsScheduling(ev.object)) {
          this.pending.delete(uid);
          this.failedAt.delete(uid);
          return;
        }
        this.pending.set(uid, ev.object);
        this.queuePass();
      }),
      store.watch<StoredNode>('nodes', { shared: true }, () => this.queuePass()),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches.splice(0)) w.stop();
    this.retry?.cancel();
    this.retry = undefined;
  }

  private retryPass(): void {
    this.retry ??= this.opts.clock.setTimer(BACKGROUND_RETRY_MS, () => {
      this.retry = undefined;
      this.queuePass();
    });
  }

  private needsScheduling(pod: StoredPod): boolean {
    return !pod.spec?.nodeName && !pod.metadata.deletionTimestamp && isActivePod(pod);
  }

  /** Watch events come in bursts: one pass handles all of them. */
  private queuePass(): void {
    if (this.passQueued || this.stopped) return;
    this.passQueued = true;
    queueMicrotask(() => {
      this.passQueued = false;
      if (this.stopped) return;
      try {
        this.schedulePending();
      } catch (err) {
        // A refused bind (a full disk): the pods are still pending; another pass binds them.
        warnBackgroundFailure('the scheduler', err);
        this.retryPass();
      }
    });
  }

  private schedulePending(): void {
    if (this.pending.size === 0) return;
    const { store } = this.opts;
    const nodes = store.list<StoredNode>('nodes', { shared: true }).items;
    const fingerprint = nodesFingerprint(nodes);
    const counts = new Map<string, number>();
    for (const p of store.list<StoredPod>('pods', { shared: true }).items) {
      const n = p.spec?.nodeName;
      if (n && isActivePod(p)) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    // Oldest first, as the scheduling queue pops pods by creation order within a priority.
    const queue = [...this.pending.values()].sort((a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''),
    );
    for (const pod of queue) {
      const uid = pod.metadata.uid ?? '';
      const key = `${fingerprint}|${JSON.stringify([pod.spec?.nodeSelector, pod.spec?.tolerations])}`;
      if (this.failedAt.get(uid) === key) continue;
      const placement = placePod(pod, nodes, counts);
      if (placement.node !== undefined) {
        if (this.bind(pod, placement.node)) counts.set(placement.node, (counts.get(placement.node) ?? 0) + 1);
        this.pending.delete(uid);
        this.failedAt.delete(uid);
      } else {
        // Only once the condition is stored: a refused write is tried again by the next pass.
        this.markUnschedulable(pod, placement.message);
        this.failedAt.set(uid, key);
      }
    }
  }

  /** The binding subresource's effect: spec.nodeName and PodScheduled=True, then `Scheduled`. */
  private bind(pod: StoredPod, nodeName: string): boolean {
    const { store, clock, recorder } = this.opts;
    const meta = pod.metadata;
    const ns = meta.namespace ?? 'default';
    const bound = store.mutate<StoredPod>('pods', ns, meta.name, (cur) => {
      if (cur.metadata.uid !== meta.uid || cur.spec?.nodeName || cur.metadata.deletionTimestamp)
        return undefined;
      const scheduled: PodCondition = {
        type: 'PodScheduled',
        status: 'True',
        lastTransitionTime: rfc3339(clock.now()),
      };
      return {
        ...cur,
        spec: { ...cur.spec, containers: cur.spec?.containers ?? [], nodeName },
        status: {
          ...cur.status,
          phase: cur.status?.phase ?? 'Pending',
          conditions: withCondition(cur, scheduled),
        },
      };
    });
    if (bound?.spec?.nodeName !== nodeName || bound.metadata.uid !== meta.uid) return false;
    recorder.record(
      podRef(bound),
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${meta.name} to ${nodeName}`,
    );
    return true;
  }

  private markUnschedulable(pod: StoredPod, message: string): void {
    const { store, clock, recorder } = this.opts;
    const meta = pod.metadata;
    store.mutate<StoredPod>('pods', meta.namespace ?? 'default', meta.name, (cur) => {
      if (cur.metadata.uid !== meta.uid || cur.spec?.nodeName) return undefined;
      const old = cur.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (old?.status === 'False' && old.message === message) return undefined;
      const unschedulable: PodCondition = {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
        lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : rfc3339(clock.now()),
      };
      return {
        ...cur,
        status: {
          ...cur.status,
          phase: cur.status?.phase ?? 'Pending',
          conditions: withCondition(cur, unschedulable),
        },
      };
    });
    recorder.record(podRef(pod), 'Warning', 'FailedScheduling', message);
  }
}

function withCondition(pod: Pod, condition: PodCondition): PodCondition[] {
  return [...(pod.status?.conditions ?? []).filter((c) => c.type !== condition.type), condition];
}

/** What scheduling looks at: a heartbeat alone does not change it. */
function nodesFingerprint(nodes: readonly StoredNode[]): string {
  return JSON.stringify(
    nodes.map((n) => [
      n.metadata.name,
      n.metadata.labels,
      n.spec?.taints,
      n.spec?.unschedulable,
      readyCondition(n),
    ]),
  );
}
