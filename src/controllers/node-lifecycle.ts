import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import type { KubeObject, Pod } from '../api/types.js';
import type { EventRecorder, ObjectStore, Watch } from '../store/types.js';
import { warnBackgroundFailure } from '../store/background-writes.js';
import type { Clock, Timer } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import {
  findToleration,
  isActivePod,
  readyCondition,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
} from './node-taints.js';
import { podRef } from '../kubelet/events.js';

type StoredPod = Pod & KubeObject;
type StoredNode = Node & KubeObject;

/** kube-controller-manager defaults (1.33): --node-monitor-grace-period 50s (40s before 1.29), --node-monitor-period 5s. */
export const DEFAULT_NODE_MONITOR_GRACE_MS = 50_000;
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
/** DefaultTolerationSeconds admission: not-ready and unreachable NoExecute tolerated for 300 s. */
export const DEFAULT_POD_EVICTION_TIMEOUT_MS = 300_000;

export interface NodeLifecycleOptions {
  store: ObjectStore;
  /** For node events (`node-controller`). */
  nodeRecorder: EventRecorder;
  /** For pod eviction events (`taint-eviction-controller`). */
  evictionRecorder: EventRecorder;
  clock: Clock;
  gracePeriodMs?: number;
  /** The tolerationSeconds pods get for the not-ready/unreachable taints when they set none themselves. */
  podEvictionTimeoutMs?: number;
  monitorPeriodMs?: number;
}

/** Conditions the kubelet reports; all go Unknown when it stops posting (tryUpdateNodeHealth). */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/**
 * The node lifecycle controller with its taint-based eviction (pkg/controller/nodelifecycle and
 * pkg/controller/tainteviction): a node whose Ready heartbeat has not changed for the grace period
 * (measured on this controller's clock, from when it last saw the heartbeat change, as upstream's
 * probeTimestamp) gets its conditions set to Unknown, the unreachable NoSchedule + NoExecute taints
 * and its pods Ready=False. Pods on a node with a NoExecute taint they do not tolerate are deleted
 * once their tolerationSeconds (default: the pod eviction timeout) have passed since the taint's
 * timeAdded. The deletion is graceful, as the apiserver makes it for a bound pod: the pod shows
 * Terminating until its kubelet comes back and finishes it — exactly what a dead node does.
 */
export class NodeLifecycleController {
  private readonly graceMs: number;
  private readonly evictionMs: number;
  private readonly periodMs: number;
  /** node name → [last heartbeat seen, when this controller saw it change]. */
  private readonly probes = new Map<string, { heartbeat: string; observedAt: number }>();
  private watch: Watch | undefined;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.graceMs = opts.gracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_MS;
    this.evictionMs = opts.podEvictionTimeoutMs ?? DEFAULT_POD_EVICTION_TIMEOUT_MS;
    this.periodMs =
      opts.monitorPeriodMs ?? Math.min(DEFAULT_NODE_MONITOR_PERIOD_MS, Math.max(100, this.graceMs / 4));
  }

  start(): void {
    if (this.watch || this.stopped) return;
    this.watch = this.opts.store.watch<StoredNode>('nodes', { shared: true }, (ev) => {
      if (ev.type === 'DELETED') this.probes.delete(ev.object.metadata.name);
      else this.observe(ev.object);
    });
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    this.timer?.cancel();
  }

  /** One monitor pass (also what the timer runs every node-monitor period). */
  monitor(): void {
    const { store } = this.opts;
    const nodes = store.list<StoredNode>('nodes', { shared: true }).items;
    for (const node of nodes) {
      this.observe(node);
      this.checkHealth(node);
    }
    this.evict(store.list<StoredNode>('nodes', { shared: true }).items);
  }

  private schedule(): void {
    if (this.stopped) return;
    const due = this.opts.clock.now() + this.periodMs;
    this.timer = this.opts.clock.setTimer(this.periodMs, () => {
      // Far too late: the whole process was suspended (a laptop asleep), kubelets included. Their
      // silence is ours, so every node gets a fresh grace period instead of being declared dead.
      if (this.opts.clock.now() - due > this.graceMs / 2) this.probes.clear();
      this.schedule();
      try {
        this.monitor();
      } catch (err) {
        // A refused write (a full disk) is tried again by the next pass, a period from now.
        warnBackgroundFailure('the node lifecycle controller', err);
      }
    });
  }

  private observe(node: StoredNode): void {
    const heartbeat = node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '';
    const seen = this.probes.get(node.metadata.name);
    // A node seen for the first time gets a full grace period (upstream's startup grace, simplified).
    if (!seen || seen.heartbeat !== heartbeat) {
      this.probes.set(node.metadata.name, { heartbeat, observedAt: this.opts.clock.now() });
    }
  }

  private checkHealth(node: StoredNode): void {
    const { store, clock, nodeRecorder } = this.opts;
    const name = node.metadata.name;
    const seen = this.probes.get(name);
    const stale = !!seen && clock.now() - seen.observedAt > this.graceMs;
    const ready = readyCondition(node);
    if (stale && ready !== 'Unknown') {
      const now = rfc3339(clock.now());
      store.mutate<StoredNode>('nodes', '', name, (cur) => ({
        ...cur,
        status: { ...cur.status, conditions: unknownConditions(cur.status?.conditions ?? [], now) },
      }));
      // RecordNodeStatusChange + MarkPodsNotReady.
      nodeRecorder.record(
        nodeRef(node),
        'Normal',
        'NodeNotReady',
        `Node ${name} status is now: NodeNotReady`,
      );
      this.markPodsNotReady(name);
    }
    this.syncTaints(store.get<StoredNode>('nodes', '', name) ?? node);
  }

  /** doNoExecuteTaintingPass + doNoScheduleTaintingPass: taints follow the Ready condition. */
  private syncTaints(node: StoredNode): void {
    const ready = readyCondition(node);
    const wanted = ready === 'Unknown' ? TAINT_UNREACHABLE : ready === 'False' ? TAINT_NOT_READY : undefined;
    const current = node.spec?.taints ?? [];
    const isOurs = (t: Taint): boolean => t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY;
    const has = (effect: string): boolean => current.some((t) => t.key === wanted && t.effect === effect);
    const stale = current.some((t) => isOurs(t) && t.key !== wanted);
    if (!stale && (wanted === undefined || (has('NoSchedule') && has('NoExecute')))) return;
    const now = rfc3339(this.opts.clock.now());
    this.opts.store.mutate<StoredNode>('nodes', '', node.metadata.name, (cur) => {
      const kept = (cur.spec?.taints ?? []).filter((t) => !isOurs(t) || t.key === wanted);
      const taints = [...kept];
      if (wanted && !kept.some((t) => t.key === wanted && t.effect === 'NoSchedule')) {
        taints.push({ key: wanted, effect: 'NoSchedule' });
      }
      if (wanted && !kept.some((t) => t.key === wanted && t.effect === 'NoExecute')) {
        taints.push({ key: wanted, effect: 'NoExecute', timeAdded: now });
      }
      const spec = { ...cur.spec };
      if (taints.length > 0) spec.taints = taints;
      else delete spec.taints;
      return { ...cur, spec };
    });
  }

  /** MarkPodsNotReady: the pods' Ready condition goes False, and each gets a `NodeNotReady` event. */
  private markPodsNotReady(nodeName: string): void {
    const { store, clock, nodeRecorder } = this.opts;
    const now = rfc3339(clock.now());
    for (const pod of store.list<StoredPod>('pods', { fieldSelector: `spec.nodeName=${nodeName}` }).items) {
      if (!isActivePod(pod)) continue;
      const changed = store.mutate<StoredPod>(
        'pods',
        pod.metadata.namespace ?? 'default',
        pod.metadata.name,
        (cur) => {
          if (cur.metadata.uid !== pod.metadata.uid) return undefined;
          const conditions = cur.status?.conditions ?? [];
          const ready = conditions.find((c) => c.type === 'Ready');
          if (ready?.status === 'False') return undefined;
          const next = conditions.filter((c) => c.type !== 'Ready');
          next.push({ ...ready, type: 'Ready', status: 'False', lastTransitionTime: now });
          return { ...cur, status: { ...cur.status, conditions: next } };
        },
      );
      if (changed) nodeRecorder.record(podRef(pod), 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }

  /** The taint eviction controller: delete pods whose toleration of a NoExecute taint ran out. */
  private evict(nodes: readonly StoredNode[]): void {
    const now = this.opts.clock.now();
    const tainted = new Map<string, Taint[]>();
    for (const n of nodes) {
      const noExecute = (n.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
      if (noExecute.length > 0) tainted.set(n.metadata.name, noExecute);
    }
    if (tainted.size === 0) return;
    for (const pod of this.opts.store.list<StoredPod>('pods').items) {
      const taints = tainted.get(pod.spec?.nodeName ?? '');
      if (!taints || pod.metadata.deletionTimestamp) continue;
      const due = this.evictionDue(pod, taints);
      if (due !== undefined && due <= now) this.deletePod(pod);
    }
  }

  /** When the pod must go: the earliest end of a toleration; undefined = tolerated forever. */
  private evictionDue(pod: Pod, taints: readonly Taint[]): number | undefined {
    let due: number | undefined;
    for (const taint of taints) {
      const added = taint.timeAdded ? Date.parse(taint.timeAdded) : this.opts.clock.now();
      const toleration = findToleration(pod, taint);
      let seconds: number | undefined;
      if (toleration) seconds = toleration.tolerationSeconds;
      else if (taint.key === TAINT_UNREACHABLE || taint.key === TAINT_NOT_READY) {
        // What the DefaultTolerationSeconds admission plugin would have given the pod.
        seconds = this.evictionMs / 1000;
      } else seconds = 0;
      if (seconds === undefined) continue;
      const end = added + Math.max(0, seconds) * 1000;
      due = due === undefined ? end : Math.min(due, end);
    }
    return due;
  }

  /** The apiserver's graceful delete of a bound pod: deletionTimestamp = now + grace. */
  private deletePod(pod: StoredPod): void {
    const { store, clock, evictionRecorder } = this.opts;
    const ns = pod.metadata.namespace ?? 'default';
    evictionRecorder.record(
      podRef(pod),
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${ns}/${pod.metadata.name}`,
    );
    const grace = Math.max(pod.spec?.terminationGracePeriodSeconds ?? 30, 0);
    if (grace === 0) {
      store.delete('pods', ns, pod.metadata.name);
      return;
    }
    store.mutate<StoredPod>('pods', ns, pod.metadata.name, (cur) => {
      if (cur.metadata.uid !== pod.metadata.uid || cur.metadata.deletionTimestamp) return undefined;
      return {
        ...cur,
        metadata: {
          ...cur.metadata,
          deletionTimestamp: rfc3339(clock.now() + grace * 1000),
          deletionGracePeriodSeconds: grace,
        },
      };
    });
  }
}

function unknownConditions(conditions: readonly NodeCondition[], now: string): NodeCondition[] {
  const byType = new Map(conditions.map((c) => [c.type, c]));
  for (const type of KUBELET_CONDITIONS) {
    const old = byType.get(type);
    byType.set(type, {
      ...old,
      type,
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
      lastTransitionTime: now,
      ...(old?.lastHeartbeatTime ? { lastHeartbeatTime: old.lastHeartbeatTime } : {}),
    });
  }
  return [...byType.values()];
}

type Involved = Parameters<EventRecorder['record']>[0];

function nodeRef(node: StoredNode): Involved {
  // Upstream node events name the node's name as its uid (RecordNodeStatusChange).
  return { kind: 'Node', apiVersion: 'v1', namespace: '', name: node.metadata.name, uid: node.metadata.name };
}
