/**
 * `podvisor lint` (issue 5, item 4): advice on probe configuration, from manifests alone.
 *
 * The `-o json` output is one LintReport:
 * ```
 * {
 *   "apiVersion": "podvisor.io/v1alpha1", "kind": "LintReport",
 *   "summary": { "errors": 1, "warnings": 3, "infos": 0, "objects": 4, "notes": 12 },
 *   "findings": [ LintFinding, … ],            // sorted by file, line, field path
 *   "containers": [ ContainerTimings, … ],     // every container that has a probe
 *   "notes": [ "file:line: …", … ]             // podvisor's apply-time remarks (image not pulled, …)
 * }
 * ```
 */

export type Severity = 'error' | 'warning' | 'info';

/** Every rule `podvisor lint` has, by its stable id, with what it flags. */
export const LINT_RULES: Readonly<Record<string, string>> = {
  'liveness-identical-to-readiness': 'liveness asks the same endpoint as readiness with the same timing',
  'liveness-uses-readiness-endpoint':
    'liveness asks the readiness endpoint and gives up less than twice as late',
  'liveness-external-dependency': 'liveness reaches another host, or names a database or downstream service',
  'liveness-checks-own-connections': 'a `podvisor check conn` liveness: a dependency on purpose (info)',
  'probe-host-not-pod': 'httpGet/tcpSocket host is not the pod',
  'probe-timeout-not-below-period': 'timeoutSeconds ≥ periodSeconds',
  'probe-port-not-declared': "a probe's numeric port is not in the container's ports",
  'probe-named-port-missing':
    "a probe's port name is not in the container's ports (the probe errors for ever)",
  'exec-probe-heavy': 'an exec probe starting an interpreter or a JVM with a period under 10 s',
  'exec-probe-podvisor-check': 'a `podvisor check` exec probe runs in-process under podvisor (info)',
  'exec-probe-retry-loop': 'an exec probe that loops, sleeps or retries by itself',
  'liveness-initial-delay-instead-of-startup-probe':
    'a large liveness initialDelaySeconds and no startup probe',
  'readiness-not-sooner-than-liveness': 'readiness detection time ≥ liveness detection time',
  'podvisor-check-invalid': 'a `podvisor check` exec probe whose arguments do not parse',
  'probe-success-threshold-not-one': 'liveness or startup successThreshold other than 1 (invalid)',
  'invalid-manifest': 'an object the API server refuses',
  'manifest-parse-error': 'a file that is not valid YAML or JSON',
  'unreadable-path': 'a path that cannot be read',
  'unknown-field': 'a field Kubernetes does not know (dropped; a misspelt probe is no probe)',
};

export interface LintFinding {
  severity: Severity;
  /** Stable, kebab-case: scripts may filter on it (e.g. `probe-named-port-missing`). */
  rule: string;
  file: string;
  /** 1-based: the line of the field (or of its nearest ancestor written in the file). */
  line: number;
  /** `Pod/web`, `Deployment/api` (namespace added when the manifest sets one); '' for file problems. */
  object: string;
  /** The container's name, when the finding is about one. */
  container?: string;
  /** e.g. `spec.template.spec.containers[0].livenessProbe.timeoutSeconds`; '' for a whole file. */
  fieldPath: string;
  /** What is wrong. */
  message: string;
  /** Why it matters. */
  why: string;
  /** What to change. */
  fix: string;
}

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** A time with the formula that gave it, so a reader can check the arithmetic. */
export interface Timing {
  seconds: number;
  /** e.g. `periodSeconds + (failureThreshold-1) × max(periodSeconds, timeoutSeconds) + timeoutSeconds = 3 + 2×3 + 1` */
  formula: string;
}

export interface ProbeTiming {
  probe: ProbeKind;
  fieldPath: string;
  line: number;
  /** kubectl describe's probe line (spec §6.1), e.g. `http-get http://:http/ delay=0s timeout=1s …`. */
  description: string;
  /**
   * Worst case from the app going dead (right after a passing probe) to the verdict: liveness →
   * the kill starts, readiness → the pod leaves its Services, startup → the start-up budget is spent.
   */
  detect: Timing;
}

export interface ContainerTimings {
  file: string;
  line: number;
  object: string;
  container: string;
  fieldPath: string;
  probes: ProbeTiming[];
  /**
   * How long a starting container may take before it is killed: the startup probe's budget, else
   * liveness' initial delay + its detection time; null when nothing limits it (no liveness, no startup).
   */
  startupWindow: Timing | null;
  /** Seconds between the kill decision and SIGKILL (probe-level or pod terminationGracePeriodSeconds). */
  killGraceSeconds: number;
}

export interface LintSummary {
  errors: number;
  warnings: number;
  infos: number;
  objects: number;
  notes: number;
}

export interface LintReport {
  apiVersion: 'podvisor.io/v1alpha1';
  kind: 'LintReport';
  summary: LintSummary;
  findings: LintFinding[];
  containers: ContainerTimings[];
  notes: string[];
}

/**
 * How lint recognises and checks podvisor's own `check` inside an exec probe. The api layer may not
 * import src/probe, so the CLI passes src/probe/checks' functions in; without them a
 * `podvisor check …` exec probe is linted as any other command.
 */
export interface CheckRecognizer {
  /** The arguments after `check` if argv is podvisor's check (checkInvocation), else undefined. */
  invocation(argv: readonly string[]): string[] | undefined;
  /** parseCheckArgs: `{ error }` names the bad flag and the fix. */
  parse(args: readonly string[]): { error: string } | { kind: string };
}

export interface LintOptions {
  checks?: CheckRecognizer;
  /** The text of each file as read (by path as loaded), for the line of each field; else the document's line. */
  sources?: ReadonlyMap<string, string>;
}
