import type { Container, Pod } from '../api/types.js';
import { latestExitTime, type ContainerRecord, type InstanceRecord } from './container-record.js';
import { messages } from './events.js';
import { computeInitContainerActions } from './init-actions.js';
import { restartsAfterKill, shouldContainerBeRestarted } from './restart-policy.js';
import type { ResultsCache } from './results-cache.js';
import { containerSpecHash } from './spec-hash.js';
import type { ProbeResult } from './types.js';

export type KillReason = 'LivenessProbe' | 'StartupProbe' | 'Other';

/** A results cache as computePodActions reads it. */
export type ProbeResults = Pick<ResultsCache, 'get'>;

/**
 * Asked before a kill that a liveness or startup Failure would cause: false keeps the container
 * running for now (podvisor's knobs: probes paused, `liveness-action: report`, a restart budget
 * with no free slot). Asked only when that kill would otherwise happen, so it may take a slot.
 */
export type ProbeKillGate = (
  container: Container,
  instance: InstanceRecord,
  reason: 'LivenessProbe' | 'StartupProbe',
) => boolean;

/** The kubelet's behaviour: every probe-caused kill goes ahead. */
export const allowEveryKill: ProbeKillGate = () => true;

export interface KillAction {
  container: Container;
  instance: InstanceRecord;
  /** The `Killing` event message (§4.2). */
  message: string;
  reason: KillReason;
}

export interface StartAction {
  container: Container;
  /**
   * finishedAt of the newest *exited* instance in the snapshot this sync started from: doBackOff
   * counts from it. A container killed in this same sync was still running in that snapshot, so
   * the instance before it is used (spec §4.5, "snapshot taken before the kill").
   */
  backoffFrom: number | undefined;
}

export interface PodActions {
  kills: KillAction[];
  /** In spec order, killed-and-restarted containers included. */
  starts: StartAction[];
  /** Nothing running is kept and nothing is to start: the pod is done (KillPod). */
  killPod: boolean;
}

/**
 * computePodActions (kuberuntime_manager.go) for regular containers, spec §4.1/§4.2: the first
 * matching reason wins for a running container — definition changed (always restarts), liveness
 * Failure, startup Failure — otherwise it is kept; a stopped container is started per §4.1.
 */
export function computePodActions(
  pod: Pod,
  records: ReadonlyMap<string, ContainerRecord>,
  liveness: ProbeResults,
  startup: ProbeResults,
  freshSince = 0,
  gate: ProbeKillGate = allowEveryKill,
): PodActions & { initialized: boolean } {
  // Initialization first (spec §4.7): while it fails or is in progress, regular containers wait.
  // Sidecars see a held liveness Failure as Success and a held startup Failure as not yet known.
  const init = computeInitContainerActions(
    pod,
    records,
    gatedResults(liveness, records, (c, i) => gate(c, i, 'LivenessProbe'), 'Success', pod),
    gatedResults(startup, records, (c, i) => gate(c, i, 'StartupProbe'), 'Unknown', pod),
    freshSince,
  );
  if (init.killPod || !init.initialized) return init;
  const kills: KillAction[] = [...init.kills];
  const starts: StartAction[] = [...init.starts];
  let keep = 0;
  for (const container of pod.spec?.containers ?? []) {
    const rec = records.get(container.name) ?? { name: container.name, restartCount: 0 };
    const cur = rec.current;
    if (!cur || cur.exit) {
      if (shouldContainerBeRestarted(pod, rec)) starts.push({ container, backoffFrom: latestExitTime(rec) });
      continue;
    }
    let restart = restartsAfterKill(pod);
    let message: string;
    let reason: KillReason = 'Other';
    if (cur.specHash !== containerSpecHash(container)) {
      message = messages.definitionChanged(container.name);
      restart = true;
    } else if (liveness.get(cur.id) === 'Failure' && gate(container, cur, 'LivenessProbe')) {
      message = messages.livenessKill(container.name);
      reason = 'LivenessProbe';
    } else if (startup.get(cur.id) === 'Failure' && gate(container, cur, 'StartupProbe')) {
      message = messages.startupKill(container.name);
      reason = 'StartupProbe';
    } else {
      keep++;
      continue;
    }
    if (restart) {
      message = messages.willRestart(message);
      starts.push({ container, backoffFrom: latestExitTime(rec) });
    }
    kills.push({ container, instance: cur, message, reason });
  }
  // Sidecars do not keep a pod alive: once no regular container is kept or started, it is done.
  const regularStarts = starts.length - init.starts.length;
  if (keep === 0 && regularStarts === 0) return { kills, starts: [], killPod: true, initialized: true };
  return { kills, starts, killPod: false, initialized: true };
}

/** A view of `results` in which a Failure the gate holds back reads as `held`. */
function gatedResults(
  results: ProbeResults,
  records: ReadonlyMap<string, ContainerRecord>,
  allow: (container: Container, instance: InstanceRecord) => boolean,
  held: ProbeResult,
  pod: Pod,
): ProbeResults {
  return {
    get(id) {
      const result = results.get(id);
      if (result !== 'Failure') return result;
      for (const rec of records.values()) {
        if (rec.current?.id !== id) continue;
        const container = pod.spec?.initContainers?.find((c) => c.name === rec.name);
        return container && !allow(container, rec.current) ? held : result;
      }
      return result;
    },
  };
}

/** Minimum grace for any stop (minimumGracePeriodInSeconds). */
export const MIN_GRACE_SECONDS = 2;
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/**
 * setTerminationGracePeriod (§4.3): the deletion grace while the pod is being deleted; else the
 * probe's own terminationGracePeriodSeconds for a kill that probe caused; else the pod's.
 * The 2 s minimum is applied by the caller, after any override.
 */
export function killGraceSeconds(pod: Pod, container: Container, reason: KillReason): number {
  const deletionGrace = pod.metadata?.deletionGracePeriodSeconds;
  if (deletionGrace !== undefined && deletionGrace !== null) return deletionGrace;
  if (reason === 'StartupProbe' && container.startupProbe?.terminationGracePeriodSeconds != null) {
    return container.startupProbe.terminationGracePeriodSeconds;
  }
  if (reason === 'LivenessProbe' && container.livenessProbe?.terminationGracePeriodSeconds != null) {
    return container.livenessProbe.terminationGracePeriodSeconds;
  }
  return pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS;
}
