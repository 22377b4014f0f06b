import type { DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import {
  type Deployment,
  type ReplicaSet,
  Reason,
  deploymentComplete,
  deploymentProgressing,
  deploymentReplicas,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  removeCondition,
  setCondition,
  sumAvailableReplicas,
  sumReadyReplicas,
  sumSpecReplicas,
  sumStatusReplicas,
} from './deployment-util.js';

/**
 * The Deployment's status as pkg/controller/deployment computes it (sync.go calculateStatus,
 * progress.go syncRolloutStatus and requeueStuckDeployment), as pure functions of the
 * Deployment, its ReplicaSets and the time.
 */

type MaybeRs = ReplicaSet | undefined;

/** calculateStatus: counters over the ReplicaSets and the Available condition. */
export function calculateStatus(
  d: Deployment,
  allRSs: MaybeRs[],
  newRS: MaybeRs,
  nowIso: string,
): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumSpecReplicas(allRSs) - available),
    collisionCount: d.status?.collisionCount,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  const condition =
    available >= deploymentReplicas(d) - maxUnavailable(d)
      ? newCondition(
          'Available',
          'True',
          Reason.MinimumReplicasAvailable,
          'Deployment has minimum availability.',
          nowIso,
        )
      : newCondition(
          'Available',
          'False',
          Reason.MinimumReplicasUnavailable,
          'Deployment does not have minimum availability.',
          nowIso,
        );
  setCondition(status, condition);
  return status;
}

/**
 * syncRolloutStatus' status: the Progressing condition refreshed on progress, completed when the
 * new ReplicaSet is fully available, or False/ProgressDeadlineExceeded once the deadline passed
 * without progress.
 */
export function rolloutProgressStatus(
  d: Deployment,
  allRSs: MaybeRs[],
  newRS: MaybeRs,
  nowMs: number,
  nowIso: string,
): DeploymentStatus {
  const status = calculateStatus(d, allRSs, newRS, nowIso);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete =
    status.replicas === status.updatedReplicas && current?.reason === Reason.NewReplicaSetAvailable;
  if (!hasProgressDeadline(d) || complete) return status;
  const who = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (deploymentComplete(d, status)) {
    const msg = `${who} has successfully progressed.`;
    setCondition(status, newCondition('Progressing', 'True', Reason.NewReplicaSetAvailable, msg, nowIso));
  } else if (deploymentProgressing(d, status)) {
    const cond = newCondition(
      'Progressing',
      'True',
      Reason.ReplicaSetUpdated,
      `${who} is progressing.`,
      nowIso,
    );
    // Progress refreshes lastUpdateTime, which is what the deadline is measured from.
    if (current) {
      if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, 'Progressing');
    }
    setCondition(status, cond);
  } else if (deploymentTimedOut(d, status, nowMs)) {
    const msg = `${who} has timed out progressing.`;
    setCondition(status, newCondition('Progressing', 'False', Reason.ProgressDeadlineExceeded, msg, nowIso));
  }
  return status;
}

/** requeueStuckDeployment: when to look again so a stalled rollout is seen to time out. */
export function stuckRequeueAfterMs(
  d: Deployment,
  status: DeploymentStatus,
  nowMs: number,
): number | undefined {
  const current = getCondition(d.status, 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === Reason.ProgressDeadlineExceeded) return undefined;
  const deadline = Date.parse(current.lastUpdateTime ?? '') + (d.spec?.progressDeadlineSeconds ?? 0) * 1000;
  const after = deadline - nowMs;
  return after < 1000 ? 1000 : after + 1000;
}

/** Status as the apiserver serializes it: zero counters and absent fields are omitted (omitempty). */
export function compactStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  const counters = [
    'observedGeneration',
    'replicas',
    'updatedReplicas',
    'readyReplicas',
    'availableReplicas',
    'unavailableReplicas',
  ] as const;
  for (const key of counters) {
    const v = s[key];
    if (v !== undefined && v !== 0) out[key] = v;
  }
  if (s.collisionCount !== undefined) out.collisionCount = s.collisionCount;
  if (s.conditions && s.conditions.length > 0)
    out.conditions = s.conditions.map((c) => JSON.parse(JSON.stringify(c)) as typeof c);
  return out;
}
