import type { FieldError } from './field-errors.js';
import type { ObjectMeta } from './types.js';
import { parseGoDuration } from '../util/go-duration.js';

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

/**
 * On a Node, set by its kubelet: which mechanism keeps each container's processes together
 * (`cgroup` or `scan`, runtime/cgroup.ts) and why, so `kubectl describe node` shows it.
 */
export const NodeAnnotation = {
  processContainment: 'podvisor.io/process-containment',
  processContainmentReason: 'podvisor.io/process-containment-reason',
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

/** The keys of `podvisor.io/crashloop-backoff`, and the CrashLoopKnob field each sets. */
const CRASHLOOP_KEYS = { initial: 'initialMs', max: 'maxMs', reset: 'resetMs' } as const;

const CRASHLOOP_EXAMPLE = 'initial=1s,max=60s,reset=2m';

/**
 * `initial=1s,max=60s,reset=2m` → milliseconds. Keys may be given in any order and any subset;
 * durations are Go durations. Each must be positive, and `initial` at most `max` when both are
 * given (a node-wide cap below the initial delay lowers the initial delay, as the kubelet does).
 */
export function parseCrashLoopKnob(value: string): CrashLoopKnob | { error: string } {
  const knob: CrashLoopKnob = {};
  const parts = value.split(',').map((p) => p.trim());
  if (value.trim() === '') {
    return { error: `is empty: give one or more of initial, max and reset, e.g. "${CRASHLOOP_EXAMPLE}"` };
  }
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const text = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!Object.hasOwn(CRASHLOOP_KEYS, key)) {
      return {
        error: `unknown key "${key}": the keys are initial, max and reset, written key=duration and separated by commas, e.g. "${CRASHLOOP_EXAMPLE}"`,
      };
    }
    const field = CRASHLOOP_KEYS[key as keyof typeof CRASHLOOP_KEYS];
    if (knob[field] !== undefined) return { error: `${key} is given twice: give each key once` };
    if (eq < 0 || text === '') {
      return { error: `${key} has no value: write ${key}=<duration>, e.g. "${CRASHLOOP_EXAMPLE}"` };
    }
    const ms = parseGoDuration(text);
    if (ms === undefined) {
      return {
        error: `${key}: "${text}" is not a duration: use a Go duration such as 500ms, 10s, 1m30s or 2h`,
      };
    }
    if (ms <= 0) return { error: `${key}: ${text} must be positive, e.g. ${key}=10s` };
    knob[field] = ms;
  }
  if (knob.initialMs !== undefined && knob.maxMs !== undefined && knob.initialMs > knob.maxMs) {
    return { error: 'initial is greater than max: the first delay must not exceed the cap' };
  }
  return knob;
}

/** What carries the annotations being validated: a pod (or a pod template), or a workload object. */
export type AnnotatedObject = 'Pod' | 'PodTemplate' | 'Workload';

/** The knobs read from pods (a pod, or a template whose annotations reach its pods). */
const POD_KNOBS: readonly string[] = [
  PodvisorAnnotation.crashloopBackoff,
  PodvisorAnnotation.livenessAction,
  PodvisorAnnotation.probeEvents,
  PodvisorAnnotation.probesPausedUntil,
];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function knobError(path: string, key: string, value: string, detail: string): FieldError {
  return { type: 'Invalid value', field: `${path}[${key}]`, value, detail };
}

function oneOf(path: string, key: string, value: string, supported: readonly string[]): FieldError[] {
  if (supported.includes(value)) return [];
  return [
    {
      type: 'Unsupported value',
      field: `${path}[${key}]`,
      value,
      detail: `supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
    },
  ];
}

/**
 * podvisor's knobs on an object being admitted, as Kubernetes field errors on
 * `<path>[podvisor.io/…]` (path: `metadata.annotations` or `spec.template.metadata.annotations`),
 * each naming the value and the fix. Pod knobs belong on pods and templates; the restart budget
 * on a Deployment, ReplicaSet or ReplicationController. Unknown `podvisor.io/` names are only
 * warned about (podvisorAnnotationWarnings).
 */
export function validatePodvisorAnnotations(
  meta: ObjectMeta | undefined,
  path: string,
  on: AnnotatedObject,
): FieldError[] {
  const a = meta?.annotations ?? {};
  const errs: FieldError[] = [];
  const misplaced = (key: string, detail: string): void => {
    if (a[key] !== undefined) errs.push(knobError(path, key, a[key], detail));
  };
  if (on === 'Workload') {
    const where = path.replace(/^metadata\.annotations$/, 'spec.template.metadata.annotations');
    for (const key of POD_KNOBS) {
      misplaced(key, `podvisor reads this knob from pods: put it in ${where} (the pod template) instead`);
    }
    const budget = a[PodvisorAnnotation.livenessRestartBudget];
    if (budget !== undefined && !/^[1-9]\d{0,8}$/.test(budget.trim())) {
      errs.push(
        knobError(
          path,
          PodvisorAnnotation.livenessRestartBudget,
          budget,
          'must be a whole number of pods, at least 1, e.g. "1" (to never restart on liveness, use podvisor.io/liveness-action: report on the pod template)',
        ),
      );
    }
    return errs;
  }
  misplaced(
    PodvisorAnnotation.livenessRestartBudget,
    "the restart budget is read from the Deployment, ReplicaSet or ReplicationController that owns the pods: put it in that object's metadata.annotations",
  );
  const crash = a[PodvisorAnnotation.crashloopBackoff];
  if (crash !== undefined) {
    const parsed = parseCrashLoopKnob(crash);
    if ('error' in parsed) {
      errs.push(knobError(path, PodvisorAnnotation.crashloopBackoff, crash, parsed.error));
    }
  }
  const action = a[PodvisorAnnotation.livenessAction];
  if (action !== undefined) {
    errs.push(...oneOf(path, PodvisorAnnotation.livenessAction, action, ['report', 'restart']));
  }
  const events = a[PodvisorAnnotation.probeEvents];
  if (events !== undefined) {
    errs.push(...oneOf(path, PodvisorAnnotation.probeEvents, events, ['default', 'verbose']));
  }
  const paused = a[PodvisorAnnotation.probesPausedUntil];
  if (paused !== undefined && (!RFC3339.test(paused) || Number.isNaN(Date.parse(paused)))) {
    errs.push(
      knobError(
        path,
        PodvisorAnnotation.probesPausedUntil,
        paused,
        'must be an RFC 3339 time such as 2026-11-21T10:00:00Z: set it with `podvisor probes pause POD --for 30m`, remove it with `podvisor probes resume POD`',
      ),
    );
  }
  return errs;
}

const KNOWN: ReadonlySet<string> = new Set(Object.values(PodvisorAnnotation));

/** `podvisor.io/` annotations podvisor does not know (a typo, most likely): warnings, not errors. */
export function podvisorAnnotationWarnings(meta: ObjectMeta | undefined, path: string): string[] {
  const out: string[] = [];
  for (const key of Object.keys(meta?.annotations ?? {})) {
    if (!key.startsWith('podvisor.io/') || KNOWN.has(key)) continue;
    out.push(
      `${path}[${key}]: unknown podvisor annotation, ignored: the known ones are ${[...KNOWN].join(', ')}`,
    );
  }
  return out;
}
