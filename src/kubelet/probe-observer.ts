import type { Pod, ProbeType } from '../api/types.js';

/** Which probe worker a result or a stop belongs to (the kubelet's metric labels). */
export interface ProbeWorkerIdentity {
  probeType: ProbeType;
  container: string;
  pod: string;
  namespace: string;
  podUID: string;
}

/**
 * One probe run that produced a result (worker.doProbe after prober.probe): errors are discarded
 * before this point, as in the kubelet, so `unknown` only appears if a handler reports it.
 */
export interface ProbeResultObservation extends ProbeWorkerIdentity {
  result: 'successful' | 'failed' | 'unknown';
  /** From the start of the probe run to its result, retries included. */
  durationSeconds: number;
}

/**
 * Told about every counted probe run and about workers that stop (so their series can go, as
 * the kubelet's worker deletes its ProberResults/ProberDuration labels on exit). Defined here so
 * the kubelet stays free of any metrics library; src/server implements it.
 */
export interface ProbeObserver {
  onProbeResult(observation: ProbeResultObservation): void;
  onProbeWorkerStopped?(worker: ProbeWorkerIdentity): void;
}

export function workerIdentity(probeType: ProbeType, container: string, pod: Pod): ProbeWorkerIdentity {
  const meta = pod.metadata;
  return {
    probeType,
    container,
    pod: meta?.name ?? '',
    namespace: meta?.namespace ?? 'default',
    podUID: meta?.uid ?? '',
  };
}
