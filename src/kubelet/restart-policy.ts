import type { Pod } from '../api/types.js';
import type { ContainerRecord } from './container-record.js';

/**
 * ShouldContainerBeRestarted (pkg/kubelet/container/helpers.go), spec §4.1, judged on the newest
 * instance. A pod being deleted never restarts anything.
 */
export function shouldContainerBeRestarted(pod: Pod, rec: ContainerRecord): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const cur = rec.current;
  if (!cur) return true; // never created
  if (!cur.exit) return false; // running
  // Sidecars are restarted whatever the pod's policy (spec §4.7).
  if (pod.spec?.initContainers?.some((c) => c.name === rec.name && c.restartPolicy === 'Always')) {
    return true;
  }
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && cur.exit.exitCode === 0) return false;
  return true;
}

/** shouldRestartOnFailure: whether a killed container is started again (§4.2). */
export function restartsAfterKill(pod: Pod): boolean {
  return (pod.spec?.restartPolicy ?? 'Always') !== 'Never';
}
