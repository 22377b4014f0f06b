import {
  type Deployment,
  type ReplicaSet,
  activeReplicaSets,
  byCreation,
  bySizeNewer,
  bySizeOlder,
  deploymentReplicas,
  desiredReplicasAnnotation,
  isRollingUpdate,
  maxReplicasAnnotation,
  maxSurge,
  specReplicas,
  sumSpecReplicas,
} from './deployment-util.js';

/**
 * Replica arithmetic of pkg/controller/deployment (NewRSNewReplicas, FindActiveOrLatest,
 * IsSaturated and the proportional part of scale()), as pure functions.
 */

/** NewRSNewReplicas: how far the new RS may grow now (the surge budget for RollingUpdate). */
export function newRsNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  const want = deploymentReplicas(d);
  if (!isRollingUpdate(d)) return want;
  const current = sumSpecReplicas(allRSs);
  const maxTotal = want + maxSurge(d);
  if (current >= maxTotal) return specReplicas(newRS);
  return specReplicas(newRS) + Math.min(maxTotal - current, want - specReplicas(newRS));
}

/** FindActiveOrLatest: the only active ReplicaSet, or the latest when none is active. */
export function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** IsSaturated: the new RS has all desired replicas, annotated so, and all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = deploymentReplicas(d);
  return (
    specReplicas(rs) === want &&
    desiredReplicasAnnotation(rs) === want &&
    (rs.status?.availableReplicas ?? 0) === want
  );
}

/** GetProportion / getReplicaSetFraction, rounded half away from zero as integer.RoundToInt32. */
function proportion(d: Deployment, rs: ReplicaSet, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (deploymentReplicas(d) === 0) fraction = -specReplicas(rs);
  else {
    const total = deploymentReplicas(d) + maxSurge(d);
    const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
    const size = (specReplicas(rs) * total) / annotated;
    fraction = Math.sign(size) * Math.round(Math.abs(size)) - specReplicas(rs);
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * scale()'s proportional split of a resize over the active ReplicaSets: each grows or shrinks by
 * its share of max-replicas; rounding leftovers go to the first (largest) one.
 */
export function proportionalSizes(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: ReplicaSet[],
): { operation: string; sizes: { rs: ReplicaSet; size: number }[] } {
  const want = deploymentReplicas(d);
  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - sumSpecReplicas(all);
  let operation = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    const p = toAdd === 0 ? 0 : proportion(d, rs, toAdd, added);
    added += p;
    return { rs, size: specReplicas(rs) + p };
  });
  const first = sizes[0];
  if (first && toAdd !== 0) first.size = Math.max(0, first.size + toAdd - added);
  return { operation, sizes };
}
