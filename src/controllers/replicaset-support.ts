import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/types.js';
import type { ObjectStore } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';

/**
 * Pieces of client-go's controller machinery the ReplicaSet controller and the garbage collector
 * share: a de-duplicating work queue, ControllerExpectations, and the pod helpers of
 * pkg/controller/controller_utils.go.
 */

export type StoredPod = Pod & KubeObject;

/**
 * A work queue keyed by object: a key enqueued many times before it is processed is processed
 * once (workqueue semantics). Processing runs on the next macrotask, never on a timer loop.
 */
export class KeyQueue {
  private readonly pending = new Set<string>();
  private readonly timers = new Set<Timer>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly process: (key: string) => void,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** AddAfter: the key comes back after `ms` (minReadySeconds checks, retries after errors). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const timer = this.clock.setTimer(ms, () => {
      this.timers.delete(timer);
      this.add(key);
    });
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }

  private drain(): void {
    this.scheduled = false;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        this.process(key);
      } catch (err) {
        this.onError(key, err);
      }
    }
  }
}

/** ExpectationsTimeout: after 5 minutes unobserved expectations stop blocking a sync. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  setAt: number;
}

/**
 * ControllerExpectations: how many pod creations and deletions a controller has asked for but not
 * yet seen in its watch. While any are outstanding the controller does not create or delete
 * again, so it never double-creates while its own watch events are in flight.
 */
export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  constructor(private readonly clock: Clock) {}

  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.setAt > EXPECTATIONS_TIMEOUT_MS;
  }

  expect(key: string, add: number, del: number): void {
    this.byKey.set(key, { add, del, setAt: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.add--;
  }

  deletionObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.del--;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}

export function objectKey(obj: { metadata?: { namespace?: string; name?: string } }): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** FilterActivePods: not Succeeded, not Failed, not being deleted. */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** The Ready condition's transition time when the pod is ready, else undefined. */
export function readySince(pod: Pod): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status !== 'True') return undefined;
  const t = Date.parse(c.lastTransitionTime ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** IsPodAvailable: ready for at least minReadySeconds. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const since = readySince(pod);
  if (since === undefined) return false;
  return minReadySeconds === 0 || since + minReadySeconds * 1000 <= now;
}

/**
 * Deletes a pod the way the API server does for a client without a grace period (the pod strategy's
 * CheckGracefulDelete): a pod a kubelet has taken up gets deletionTimestamp = now + its
 * terminationGracePeriodSeconds and the kubelet finishes; anything else goes at once.
 */
export function deletePodGracefully(store: ObjectStore, clock: Clock, pod: StoredPod): void {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name;
  if (pod.metadata.deletionTimestamp) return;
  const started =
    !!pod.spec?.nodeName ||
    (pod.status?.containerStatuses?.length ?? 0) > 0 ||
    pod.status?.phase === 'Running';
  const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  let grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (grace < 0) grace = 1;
  if (!started || finished || grace === 0) {
    store.delete('pods', ns, name);
    return;
  }
  store.mutate<StoredPod>('pods', ns, name, (cur) =>
    cur.metadata.deletionTimestamp
      ? undefined
      : {
          ...cur,
          metadata: {
            ...cur.metadata,
            deletionTimestamp: rfc3339(clock.now() + grace * 1000),
            deletionGracePeriodSeconds: grace,
          },
        },
  );
}

function phaseRank(pod: Pod): number {
  const phase = pod.status?.phase;
  return phase === 'Pending' ? 0 : phase === 'Unknown' ? 1 : phase === 'Running' ? 2 : 0;
}

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/**
 * ActivePodsWithRanks' order, the pods to delete first at the front: unscheduled before scheduled,
 * Pending < Unknown < Running, not ready before ready, ready for less time before more, more
 * restarts before fewer, newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const scheduled = (p: Pod): number => (p.spec?.nodeName ? 1 : 0);
  if (scheduled(a) !== scheduled(b)) return scheduled(a) - scheduled(b);
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ra = readySince(a);
  const rb = readySince(b);
  if ((ra === undefined) !== (rb === undefined)) return ra === undefined ? -1 : 1;
  if (ra !== undefined && rb !== undefined && ra !== rb) return rb - ra;
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const cb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return cb - ca;
}
