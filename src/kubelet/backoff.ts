import type { CrashLoopKnob } from '../api/podvisor-annotations.js';
import type { Container, Pod } from '../api/types.js';
import { formatGoDuration } from '../util/duration.js';
import { containerSpecHash } from './spec-hash.js';

export interface BackOffOptions {
  /** initialCrashLoopBackOff: 10 s. */
  initialMs?: number;
  /** MaxContainerBackOff, or kubelet config `crashLoopBackOff.maxContainerRestartPeriod`: 300 s. */
  maxMs?: number;
  /** An instance that ran longer than this resets the back-off (`up --crash-loop-backoff-reset`): 600 s. */
  resetMs?: number;
}

/** The three numbers one pod's back-off runs on: the node's, or its `podvisor.io/crashloop-backoff`. */
export interface BackOffPolicy {
  initialMs: number;
  maxMs: number;
  resetMs: number;
}

export const DEFAULT_INITIAL_BACKOFF_MS = 10_000;
export const DEFAULT_MAX_BACKOFF_MS = 300_000;
/** The kubelet's HasExpiredFunc (≥1.32): an entry older than 600 s at the exit is forgotten. */
export const BACKOFF_EXPIRY_MS = 600_000;

interface Entry {
  backoffMs: number;
  /** When the last restart was let through (flowcontrol's lastUpdate). */
  lastUpdate: number;
}

/**
 * CrashLoopBackOff (client-go flowcontrol.Backoff as the kubelet configures it), spec §4.5:
 * no jitter, ×2 per restart, capped; an entry resets when the instance that just exited had run
 * for more than 600 s (`exit − lastUpdate > 600 s`). Time is passed in, so this is a pure state
 * machine.
 */
export class CrashLoopBackOff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: BackOffOptions = {}) {
    const max = opts.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
    // KubeletCrashLoopBackOffMax: a cap below the initial delay lowers the initial delay too.
    this.initialMs = Math.min(opts.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS, max);
    this.maxMs = max;
    this.resetMs = opts.resetMs ?? BACKOFF_EXPIRY_MS;
  }

  /**
   * The policy for a pod: its `podvisor.io/crashloop-backoff` keys over the node's values; a cap
   * below the initial delay lowers the initial delay, as for the node-wide flags.
   */
  policy(knob?: CrashLoopKnob): BackOffPolicy {
    const maxMs = knob?.maxMs ?? this.maxMs;
    const initialMs = Math.min(knob?.initialMs ?? this.initialMs, maxMs);
    return { initialMs, maxMs, resetMs: knob?.resetMs ?? this.resetMs };
  }

  /** The current delay for `key` (Get), 0 when there is no entry. */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** IsInBackOffSince: is `now` still within the delay counted from `eventTime` (the exit)? */
  isInBackOffSince(key: string, eventTime: number, now: number, policy?: BackOffPolicy): boolean {
    return this.remainingMs(key, eventTime, now, policy) > 0;
  }

  /** How long until the delay counted from `eventTime` runs out; 0 when not in back-off. */
  remainingMs(key: string, eventTime: number, now: number, policy = this.policy()): number {
    const e = this.entries.get(key);
    if (!e || expired(eventTime, e, policy.resetMs)) return 0;
    return Math.max(0, e.backoffMs - (now - eventTime));
  }

  /** Next: a restart is let through; the delay for the next one starts or doubles. */
  next(key: string, eventTime: number, now: number, policy = this.policy()): void {
    const e = this.entries.get(key);
    if (!e || expired(eventTime, e, policy.resetMs)) {
      this.entries.set(key, { backoffMs: policy.initialMs, lastUpdate: now });
      return;
    }
    e.backoffMs = Math.min(e.backoffMs * 2, policy.maxMs);
    e.lastUpdate = now;
  }

  /** Drops every entry whose key starts with `prefix` (a removed pod). */
  forgetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

function expired(eventTime: number, e: Entry, resetMs: number): boolean {
  return eventTime - e.lastUpdate > resetMs;
}

/** `<name>_<namespace>(<uid>)`, the kubelet's format.Pod. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;
}

/** getStableKey: `podName_namespace_podUID_containerName_<spec-hash hex>`. */
export function backoffKey(pod: Pod, container: Container): string {
  return `${backoffKeyPrefix(pod)}${container.name}_${containerSpecHash(container)}`;
}

export function backoffKeyPrefix(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}_${pod.metadata?.uid ?? ''}_`;
}

/** The waiting message of a CrashLoopBackOff container (doBackOff's error text, ≥1.26 case). */
export function backOffWaitingMessage(delayMs: number, container: Container, pod: Pod): string {
  return `back-off ${formatGoDuration(delayMs)} restarting failed container=${container.name} pod=${formatPod(pod)}`;
}

/** The `BackOff` Warning event message. */
export function backOffEventMessage(container: Container, pod: Pod): string {
  return `Back-off restarting failed container ${container.name} in pod ${formatPod(pod)}`;
}
