import type { ProbeType } from './types.js';

/**
 * podvisor's own API group (issue 5). Probe history is served here, never as fake core fields.
 *   GET  /apis/podvisor.io/v1alpha1/namespaces/{ns}/probehistories[/{pod}]   (list, get; -A too)
 *   POST /apis/podvisor.io/v1alpha1/namespaces/{ns}/probehistories/{pod}/run  body ProbeRunRequest
 */
export const PODVISOR_GROUP = 'podvisor.io';
export const PODVISOR_VERSION = 'v1alpha1';
export const PODVISOR_API_VERSION = `${PODVISOR_GROUP}/${PODVISOR_VERSION}`;

/** Results kept per probe (a ring: the oldest goes first). */
export const PROBE_HISTORY_LIMIT = 100;
/** Restart records kept per pod. */
export const RESTART_HISTORY_LIMIT = 20;
/** A result's message is cut to this many bytes (UTF-8); HTTP bodies are never stored. */
export const PROBE_MESSAGE_LIMIT = 1024;

/**
 * One probe run as the worker saw it. `verdict` is the handler's: `warning` counts as success,
 * `error` was discarded by the kubelet (spec §2.6), `skipped` ran while probes were paused.
 */
export interface ProbeRecord {
  /** RFC 3339 with milliseconds. */
  time: string;
  containerID: string;
  verdict: 'success' | 'warning' | 'failure' | 'error' | 'unknown';
  latencyMs: number;
  /** The handler's output or error, ≤ PROBE_MESSAGE_LIMIT bytes ("" on a plain success). */
  message: string;
  /** The consecutive count of this result after this run (the worker's resultRun). */
  consecutive: number;
  /** Set when this run changed the kubelet's cached result (the edge that acts). */
  acted?: 'Success' | 'Failure';
  /** Ran while `podvisor probes pause` held liveness/startup: recorded, not counted. */
  paused?: boolean;
}

export interface ProbeHistoryEntry {
  container: string;
  probeType: ProbeType;
  /** `httpGet GET http://:8080/healthz`, `exec [podvisor check log …]`, as describe prints probes. */
  handler: string;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  /** Oldest first, at most PROBE_HISTORY_LIMIT. */
  results: ProbeRecord[];
}

/** A restart a probe caused, with the verdicts that caused it (oldest first). */
export interface RestartRecord {
  time: string;
  container: string;
  probeType: ProbeType;
  /** The instance that was killed. */
  containerID: string;
  /** The `Killing` event message. */
  message: string;
  verdicts: ProbeRecord[];
}

export interface ProbeHistory {
  apiVersion: typeof PODVISOR_API_VERSION;
  kind: 'ProbeHistory';
  /** name and namespace are the pod's; uid is the pod's uid. */
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    creationTimestamp?: string;
    /**
     * The version of its latest change (a counter of the node's run, not of the store); in a
     * watch event, the version to resume that watch from (src/server/virtual-watch.ts).
     */
    resourceVersion?: string;
  };
  probes: ProbeHistoryEntry[];
  /** Oldest first, at most RESTART_HISTORY_LIMIT. */
  restarts: RestartRecord[];
}

export interface ProbeRunRequest {
  apiVersion?: typeof PODVISOR_API_VERSION;
  kind?: 'ProbeRunRequest';
  /** Default: the only container with that probe, else an error naming the choices. */
  container?: string;
  /** Default `liveness`. */
  probe?: 'liveness' | 'readiness' | 'startup';
}

/** The answer of `podvisor check pod/NAME`: one run now, without events and without acting. */
export interface ProbeRunReport {
  apiVersion: typeof PODVISOR_API_VERSION;
  kind: 'ProbeRunReport';
  pod: string;
  namespace: string;
  container: string;
  containerID: string;
  probeType: ProbeType;
  handler: string;
  verdict: ProbeRecord['verdict'];
  latencyMs: number;
  /** The handler's output / error. */
  output: string;
  /** The exact event message the kubelet would record for this run ("" when it records none). */
  kubeletMessage: string;
  /** The worker's current consecutive run: result and count, from its recent results. */
  current: { result: 'Success' | 'Failure' | 'None'; count: number };
  /**
   * When this probe would act: e.g. `restart after 2 more consecutive failures (about 20s)`,
   * `no restart: the last result was a success`, `readiness never restarts`.
   */
  wouldAct: string;
}
