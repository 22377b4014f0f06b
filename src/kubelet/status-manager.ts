import type { Pod, PodStatus } from '../api/types.js';
import type { ObjectStore } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { ResultUpdate } from './results-cache.js';
import { sameStatus, withReadyConditions } from './status.js';
import type { StoredPod } from './types.js';

/**
 * The kubelet's status manager for one pod: the cached status (what probe workers read), written
 * to the store only when it changed, and the final delete of a pod that finished terminating.
 */
export class PodStatusManager {
  private status: PodStatus | undefined;
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
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    if (this.store.get<StoredPod>('pods', ns, name)?.metadata?.uid !== this.uid) return;
    try {
      this.store.delete('pods', ns, name);
    } catch {
      // Someone else removed it first.
    }
  }

  private write(pod: Pod): void {
    const status = this.status;
    if (!status || this.detached || this.frozen) return;
    this.store.mutate<StoredPod>(
      'pods',
      pod.metadata?.namespace ?? 'default',
      pod.metadata?.name ?? '',
      (cur) => (cur.metadata?.uid === this.uid ? { ...cur, status } : undefined),
    );
  }
}
