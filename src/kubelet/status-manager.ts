import type { Pod, PodStatus } from '../api/types.js';
import { BACKGROUND_RETRY_MS, isStoreRefusal, warnBackgroundFailure } from '../store/background-writes.js';
import type { ObjectStore } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import type { ResultUpdate } from './results-cache.js';
import { sameStatus, withReadyConditions } from './status.js';
import type { StoredPod } from './types.js';

/**
 * The kubelet's status manager for one pod: the cached status (what probe workers read), written
 * to the store only when it changed, and the final delete of a pod that finished terminating.
 * A write the store refuses (a full disk) is retried until it lands, as the kubelet's status
 * manager resyncs a status the API server did not take: the cache is the truth meanwhile.
 */
export class PodStatusManager {
  private status: PodStatus | undefined;
  /** Set while the cached status is not in the store: the pending retry. */
  private retry: Timer | undefined;
  /** A pod already terminal when admitted: its stored status is the record, never rewritten. */
  frozen = false;
  /** The pod object is gone from the store: nothing more to write. */
  detached = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly uid: string,
  ) {}

  current(): PodStatus | undefined {
    return this.status;
  }

  /** SetPodStatus: a freshly generated status; written when it differs from the cached one. */
  set(pod: Pod, next: PodStatus): void {
    if (this.frozen || sameStatus(next, this.status)) return;
    this.status = next;
    this.write(pod);
  }

  /**
   * SetContainerReadiness / SetContainerStartup (status_manager.go): the instance's `ready` (with
   * the Ready and ContainersReady conditions) or `started` in the cached status, nothing else.
   */
  patch(pod: Pod, u: ResultUpdate): void {
    const prev = this.status;
    if (!prev || this.frozen) return;
    // A sidecar's result patches initContainerStatuses (spec §4.7).
    const list = prev.containerStatuses?.some((c) => c.containerID === u.containerId)
      ? 'containerStatuses'
      : 'initContainerStatuses';
    const idx = prev[list]?.findIndex((c) => c.containerID === u.containerId) ?? -1;
    const old = prev[list]?.[idx];
    if (!old) return;
    const value = u.result === 'Success';
    const field = u.probeType === 'Readiness' ? 'ready' : 'started';
    if (old[field] === value) return;
    const statuses = [...(prev[list] ?? [])];
    statuses[idx] = { ...old, [field]: value };
    let next: PodStatus = { ...prev, [list]: statuses };
    if (field === 'ready') next = withReadyConditions(pod, next, this.clock.now());
    this.status = next;
    this.write(pod);
  }

  /** The API server's removal once the kubelet is done with a deleted pod (grace 0, UID precondition). */
  deleteFromStore(pod: Pod): void {
    if (this.detached) return;
    this.detached = true;
    this.retry?.cancel();
    this.retry = undefined;
    this.deletePodObject(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '');
  }

  private deletePodObject(ns: string, name: string): void {
    if (this.store.get<StoredPod>('pods', ns, name)?.metadata?.uid !== this.uid) return;
    try {
      this.store.delete('pods', ns, name);
    } catch (err) {
      // NotFound: someone else removed it first. A refusal: the pod must not stay behind forever.
      if (!isStoreRefusal(err)) return;
      this.retry = this.clock.setTimer(BACKGROUND_RETRY_MS, () => {
        this.retry = undefined;
        this.deletePodObject(ns, name);
      });
    }
  }

  private write(pod: Pod): void {
    this.retry?.cancel();
    this.retry = undefined;
    const status = this.status;
    if (!status || this.detached || this.frozen) return;
    try {
      this.store.mutate<StoredPod>(
        'pods',
        pod.metadata?.namespace ?? 'default',
        pod.metadata?.name ?? '',
        (cur) => (cur.metadata?.uid === this.uid ? { ...cur, status } : undefined),
      );
    } catch (err) {
      warnBackgroundFailure(`the status update of pod ${pod.metadata?.name ?? ''}`, err);
      this.retry = this.clock.setTimer(BACKGROUND_RETRY_MS, () => {
        this.retry = undefined;
        this.write(pod);
      });
    }
  }
}
