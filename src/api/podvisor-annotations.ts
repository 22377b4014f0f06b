import type { ObjectMeta } from './types.js';

/**
 * podvisor's workload knobs (issue 5). Annotations keep the manifest valid Kubernetes: a real
 * cluster ignores them, podvisor reads them. Each knob's default is the kubelet's behaviour.
 */
export const PodvisorAnnotation = {
  /** `initial=1s,max=60s,reset=2m` on a pod or a pod template: this pod's CrashLoopBackOff. */
  crashloopBackoff: 'podvisor.io/crashloop-backoff',
  /** `restart` (default) or `report`: a failed liveness verdict only reports (Healthy=False + event). */
  livenessAction: 'podvisor.io/liveness-action',
  /** On a Deployment/ReplicaSet: at most N of its pods are being liveness-restarted at once. */
  livenessRestartBudget: 'podvisor.io/liveness-restart-budget',
  /** `default` or `verbose`: `(attempt k/N)` in Unhealthy messages and `ProbeRecovered` events. */
  probeEvents: 'podvisor.io/probe-events',
  /** RFC 3339 time (set by `podvisor probes pause`): until then liveness and startup do not act. */
  probesPausedUntil: 'podvisor.io/probes-paused-until',
} as const;

/** The condition a `liveness-action: report` pod carries (a custom, domain-prefixed condition type). */
export const HEALTHY_CONDITION = 'podvisor.io/Healthy';

export interface CrashLoopKnob {
  initialMs?: number;
  maxMs?: number;
  /** An instance that ran longer than this resets the back-off (the kubelet: 600 s). */
  resetMs?: number;
}

export interface PodKnobs {
  livenessAction: 'restart' | 'report';
  probeEvents: 'default' | 'verbose';
  crashloop?: CrashLoopKnob;
  /** Epoch ms; absent when not paused (an expired time is still returned: callers compare). */
  probesPausedUntil?: number;
}

/**
 * The knobs of a pod, read leniently: admission has already refused invalid values
 * (validatePodvisorAnnotations), so anything unreadable here means "the default".
 */
export function podKnobs(meta: ObjectMeta | undefined): PodKnobs {
  const a = meta?.annotations ?? {};
  const knobs: PodKnobs = {
    livenessAction: a[PodvisorAnnotation.livenessAction] === 'report' ? 'report' : 'restart',
    probeEvents: a[PodvisorAnnotation.probeEvents] === 'verbose' ? 'verbose' : 'default',
  };
  const crash = a[PodvisorAnnotation.crashloopBackoff];
  if (crash !== undefined) {
    const parsed = parseCrashLoopKnob(crash);
    if (!('error' in parsed)) knobs.crashloop = parsed;
  }
  const paused = a[PodvisorAnnotation.probesPausedUntil];
  if (paused !== undefined) {
    const t = Date.parse(paused);
    if (!Number.isNaN(t)) knobs.probesPausedUntil = t;
  }
  return knobs;
}

/** Are liveness and startup paused at `now`? */
export function probesPaused(knobs: PodKnobs, now: number): boolean {
  return knobs.probesPausedUntil !== undefined && now < knobs.probesPausedUntil;
}

/**
 * `initial=1s,max=60s,reset=2m` → milliseconds. Keys may be given in any order and any subset;
 * durations are Go durations. Implemented by the workload-knobs engineer (stub: see their report).
 */
export function parseCrashLoopKnob(value: string): CrashLoopKnob | { error: string } {
  void value;
  return { error: 'not implemented yet' };
}
