import type { Clock } from '../util/clock.js';

/** The pods one `podvisor.io/liveness-restart-budget` covers: those of one ReplicaSet (or RC). */
export interface BudgetGroup {
  /** The owner's uid: stable across renames and shared by every kubelet of the process. */
  key: string;
  /** `ReplicaSet web-7d9c`, for events. */
  label: string;
  /** At most this many of the group's pods are being liveness-restarted at once (≥ 1). */
  limit: number;
}

export interface BudgetHolder {
  podUid: string;
  podName: string;
  /** When the pod took its slot (its liveness kill). */
  since: number;
}

interface Waiter {
  podUid: string;
  onFree: () => void;
}

/**
 * The liveness restart budgets of every kubelet in this process (one registry for all of them:
 * virtual nodes share it, so a budget holds across nodes). A pod takes a slot of its group when it
 * is killed for liveness and gives it back once its restarted container is ready, or when the pod
 * goes away. A pod that found the group full registers a waiter; when a slot frees, every waiter
 * of that group is told once (event-driven, no polling) and tries again — the first to sync wins,
 * the others register again.
 */
export class LivenessRestartBudgets {
  private readonly slots = new Map<string, Map<string, BudgetHolder>>();
  /** podUid → the group it holds a slot in. */
  private readonly heldBy = new Map<string, string>();
  private readonly waiters = new Map<string, Waiter[]>();
  /** The most slots ever held at once per group (what the budget promises: never above its limit). */
  private readonly peaks = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /**
   * Takes a slot of `group` for the pod; true when it has one (also when it already held one, so a
   * second container of a pod being restarted is not held back). False when the group is full.
   */
  tryAcquire(group: BudgetGroup, podUid: string, podName: string): boolean {
    const held = this.heldBy.get(podUid);
    if (held === group.key) return true;
    if (held !== undefined) this.release(podUid);
    let holders = this.slots.get(group.key);
    if (!holders) {
      holders = new Map();
      this.slots.set(group.key, holders);
    }
    if (holders.size >= group.limit) return false;
    holders.set(podUid, { podUid, podName, since: this.clock.now() });
    this.heldBy.set(podUid, group.key);
    this.peaks.set(group.key, Math.max(this.peaks.get(group.key) ?? 0, holders.size));
    this.cancelWait(podUid);
    return true;
  }

  /** The pod's slot (if any) is free again; the group's waiters are told. */
  release(podUid: string): void {
    const key = this.heldBy.get(podUid);
    if (key === undefined) return;
    this.heldBy.delete(podUid);
    const holders = this.slots.get(key);
    holders?.delete(podUid);
    if (holders?.size === 0) this.slots.delete(key);
    const waiting = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const w of waiting) w.onFree();
  }

  holds(podUid: string): boolean {
    return this.heldBy.has(podUid);
  }

  /** The pods holding a slot of the group, oldest first. */
  holders(groupKey: string): BudgetHolder[] {
    return [...(this.slots.get(groupKey)?.values() ?? [])].sort((a, b) => a.since - b.since);
  }

  /** The most pods of the group that ever held a slot at the same time. */
  peak(groupKey: string): number {
    return this.peaks.get(groupKey) ?? 0;
  }

  /** `onFree` runs once, the next time a slot of the group frees (replacing the pod's earlier wait). */
  waitForSlot(groupKey: string, podUid: string, onFree: () => void): void {
    this.cancelWait(podUid);
    const list = this.waiters.get(groupKey) ?? [];
    list.push({ podUid, onFree });
    this.waiters.set(groupKey, list);
  }

  cancelWait(podUid: string): void {
    for (const [key, list] of this.waiters) {
      const kept = list.filter((w) => w.podUid !== podUid);
      if (kept.length === 0) this.waiters.delete(key);
      else if (kept.length !== list.length) this.waiters.set(key, kept);
    }
  }

  /**
   * A budget annotation changed (raised, lowered or removed): every waiter is told, as if a slot
   * had freed, and asks again under the new limit — a raise lets deferred restarts go at once.
   */
  budgetsChanged(): void {
    const all = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const w of all) w.onFree();
  }

  /** Pods waiting for a slot of the group. */
  waiting(groupKey: string): number {
    return this.waiters.get(groupKey)?.length ?? 0;
  }
}
