/**
 * What a prober returns (the kubelet's pkg/probe Result plus output and error). Spec §2.5/§3.
 * - `success`, `warning` (HTTP 3xx; logically success), `failure`: verdicts, with `output`
 *   being exactly what the kubelet would put after "<Type> probe failed: ".
 * - `unknown` with `error`: the probe could not be run (bad named port, exec infrastructure
 *   failure). The kubelet retries it up to 3 times and then discards it (§2.6).
 */
export type ProbeVerdict = 'success' | 'warning' | 'failure' | 'unknown';

export interface ProbeOutcome {
  result: ProbeVerdict;
  output: string;
  /** Set only for probe *errors* (spec §2.6); the message used in "probe errored" events. */
  error?: string;
}

/** Exec output and HTTP bodies are capped at 10 KiB (maxRespBodyLength / maxReadLength). */
export const PROBE_OUTPUT_LIMIT = 10 * 1024;

/** The Kubernetes version podvisor follows; drives the User-Agent `kube-probe/1.33`. */
export const KUBE_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0' } as const;
