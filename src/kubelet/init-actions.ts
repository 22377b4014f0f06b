import type { Container, Pod } from '../api/types.js';
import { latestExitTime, type ContainerRecord, type InstanceRecord } from './container-record.js';
import { messages } from './events.js';
import type { KillAction, StartAction } from './pod-actions.js';
import type { ResultsCache } from './results-cache.js';
import { containerSpecHash } from './spec-hash.js';

/** A restartable init container (`restartPolicy: Always`): a sidecar, spec §4.7. */
export function isSidecar(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

/** The init container of that name, if `name` is one. */
export function initContainerNamed(pod: Pod, name: string): Container | undefined {
  return pod.spec?.initContainers?.find((c) => c.name === name);
}

export interface InitContainerActions {
  kills: KillAction[];
  /** In spec order. */
  starts: StartAction[];
  /** A plain init container failed under restartPolicy Never: the pod fails (KillPod). */
  killPod: boolean;
  /** Every init container is done (plain ones completed, sidecars started): regular ones may run. */
  initialized: boolean;
}

/**
 * The instance that counts for this sandbox: instances from before the sandbox was (re)created
 * (a podvisor restart, seed.ts) are as good as absent, so initialization runs again from the
 * first init container, as the kubelet does for a new sandbox.
 */
function currentOf(rec: ContainerRecord | undefined, freshSince: number): InstanceRecord | undefined {
  const cur = rec?.current;
  if (!cur) return undefined;
  if (cur.exit && cur.exit.finishedAt <= freshSince && cur.startedAt < freshSince) return undefined;
  return cur;
}

/**
 * computeInitContainerActions (kuberuntime_manager.go, SidecarContainers GA in 1.33), spec §4.7.
 * Init containers are walked from last to first, so the newest progress decides what is next;
 * plain ones run to completion one at a time, a failed one is restarted (with back-off) unless
 * the pod's restartPolicy is Never; sidecars are always restarted, and the next init container
 * starts only once a sidecar is started (running, startup probe succeeded if it has one).
 */
export function computeInitContainerActions(
  pod: Pod,
  records: ReadonlyMap<string, ContainerRecord>,
  liveness: Pick<ResultsCache, 'get'>,
  startup: Pick<ResultsCache, 'get'>,
  freshSince = 0,
): InitContainerActions {
  const inits = pod.spec?.initContainers ?? [];
  const out: InitContainerActions = { kills: [], starts: [], killPod: false, initialized: true };
  if (inits.length === 0) return out;
  // A regular container that runs means initialization finished at some point (its init
  // containers may have been removed since); only sidecars are then kept running.
  let podHasInitialized = (pod.spec?.containers ?? []).some((c) => {
    const cur = currentOf(records.get(c.name), freshSince);
    return cur !== undefined && !cur.exit;
  });
  let previouslyInitialized = podHasInitialized;
  const restartOnFailure = (pod.spec?.restartPolicy ?? 'Always') !== 'Never';
  const startIdx: number[] = [];
  const starts = new Map<number, number | undefined>();
  const start = (i: number, backoffFrom: number | undefined): void => {
    startIdx.push(i);
    starts.set(i, backoffFrom);
  };

  for (let i = inits.length - 1; i >= 0; i--) {
    const container = inits[i]!;
    const rec = records.get(container.name);
    const cur = currentOf(rec, freshSince);
    const sidecar = isSidecar(container);
    if (!cur) {
      if (previouslyInitialized && sidecar) start(i, undefined);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;
    const backoffFrom = rec ? latestExitTime(rec) : undefined;
    if (!cur.exit) {
      if (sidecar) {
        const kill = (message: string, reason: KillAction['reason']): void => {
          out.kills.push({ container, instance: cur, message, reason });
          start(i, backoffFrom);
        };
        if (container.startupProbe) {
          const result = startup.get(cur.id);
          if (result !== 'Success') {
            // Not found or Unknown: wait for the startup probe.
            if (result === 'Failure') kill(messages.initStartupKill(container.name), 'StartupProbe');
            if (!previouslyInitialized) previouslyInitialized = true;
            continue;
          }
        }
        if (i === inits.length - 1) podHasInitialized = true;
        else if (!previouslyInitialized) start(i + 1, undefined);
        if (cur.specHash !== containerSpecHash(container)) {
          kill(messages.initDefinitionChanged(container.name), 'Other');
        } else if (container.livenessProbe && liveness.get(cur.id) === 'Failure') {
          kill(messages.initLivenessKill(container.name), 'LivenessProbe');
        }
      }
      // A plain init container that runs: wait for it to finish.
    } else if (sidecar) {
      start(i, backoffFrom);
    } else if (cur.exit.exitCode !== 0) {
      if (!restartOnFailure) {
        return { kills: out.kills, starts: [], killPod: true, initialized: false };
      }
      start(i, backoffFrom);
    } else if (i === inits.length - 1) {
      podHasInitialized = true;
    } else {
      start(i + 1, undefined);
    }
    if (!previouslyInitialized) previouslyInitialized = true;
  }
  // Nothing has run yet: the first init container starts.
  if (!previouslyInitialized) start(0, undefined);

  for (const i of [...new Set(startIdx)].sort((a, b) => a - b)) {
    out.starts.push({ container: inits[i]!, backoffFrom: starts.get(i) });
  }
  out.initialized = podHasInitialized;
  return out;
}
