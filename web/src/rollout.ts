/**
 * The Deployments view as data: kubectl's columns, the rollout conditions, new vs old ReplicaSets
 * and whether `kubectl rollout status` would call the rollout done. Pure (the rule is ported from
 * src/controllers/deployment-rollback.ts rolloutStatus, which imports Node modules and cannot ship
 * to the browser), so it is unit-tested with hand-built objects.
 */
import type { Deployment, DeploymentCondition, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { humanDuration } from '../../src/util/duration.js';

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export interface ReplicaSetSummary {
  name: string;
  revision: number;
  desired: number;
  current: number;
  ready: number;
}

export interface RolloutSummary {
  name: string;
  namespace: string;
  desired: number;
  /** kubectl get deploy READY: `ready/desired`. */
  ready: string;
  upToDate: number;
  available: number;
  age: string;
  /** Counts for the progress bar, each out of `desired`. */
  bar: { updated: number; ready: number; available: number };
  progressing?: ConditionSummary;
  availableCondition?: ConditionSummary;
  newReplicaSet?: ReplicaSetSummary;
  oldReplicaSets: ReplicaSetSummary[];
  /** What `kubectl rollout status` prints, and whether it would exit (done or failed). */
  status: { message: string; done: boolean; failed: boolean };
  paused: boolean;
}

export interface ConditionSummary {
  status: string;
  reason: string;
  message: string;
}

export function summarizeRollout(
  d: Deployment,
  replicaSets: readonly ReplicaSet[],
  now: number,
): RolloutSummary {
  const s = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const owned = replicaSets
    .filter((rs) => rs.metadata?.namespace === d.metadata?.namespace)
    .filter((rs) =>
      (rs.metadata?.ownerReferences ?? []).some((o) => o.controller && o.uid === d.metadata?.uid),
    );
  const revision = revisionOf(d);
  const newest = owned.reduce<ReplicaSet | undefined>(
    (a, b) => (!a || revisionOf(b) > revisionOf(a) ? b : a),
    undefined,
  );
  // The controller stamps the Deployment with its new ReplicaSet's revision; before it has, the
  // newest ReplicaSet is the best guess.
  const newRs = owned.find((rs) => revision > 0 && revisionOf(rs) === revision) ?? newest;
  const olds = owned
    .filter((rs) => rs !== newRs && ((rs.spec?.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
  const summary: RolloutSummary = {
    name: d.metadata?.name ?? '',
    namespace: d.metadata?.namespace ?? 'default',
    desired,
    ready: `${s.readyReplicas ?? 0}/${desired}`,
    upToDate: s.updatedReplicas ?? 0,
    available: s.availableReplicas ?? 0,
    age: d.metadata?.creationTimestamp
      ? humanDuration(now - Date.parse(d.metadata.creationTimestamp))
      : '<unknown>',
    bar: {
      updated: Math.min(desired, s.updatedReplicas ?? 0),
      ready: Math.min(desired, s.readyReplicas ?? 0),
      available: Math.min(desired, s.availableReplicas ?? 0),
    },
    oldReplicaSets: olds.map(rsSummary),
    status: rolloutStatus(d),
    paused: d.spec?.paused === true,
  };
  const progressing = condition(s.conditions, 'Progressing');
  if (progressing) summary.progressing = progressing;
  const available = condition(s.conditions, 'Available');
  if (available) summary.availableCondition = available;
  if (newRs) summary.newReplicaSet = rsSummary(newRs);
  return summary;
}

/**
 * kubectl's DeploymentStatusViewer.Status (rollout_status.go), as the CLI's rolloutStatus: a
 * deadline exceeded is a failure (the CLI exits with that error), everything else waits or is done.
 */
export function rolloutStatus(d: Deployment): { message: string; done: boolean; failed: boolean } {
  const name = d.metadata?.name ?? '';
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) {
    return { message: 'Waiting for deployment spec update to be observed...', done: false, failed: false };
  }
  if (condition(s.conditions, 'Progressing')?.reason === 'ProgressDeadlineExceeded') {
    return { message: `deployment "${name}" exceeded its progress deadline`, done: false, failed: true };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  const waiting = (what: string): { message: string; done: boolean; failed: boolean } => ({
    message: `Waiting for deployment "${name}" rollout to finish: ${what}...`,
    done: false,
    failed: false,
  });
  if (updated < want) return waiting(`${updated} out of ${want} new replicas have been updated`);
  if ((s.replicas ?? 0) > updated)
    return waiting(`${(s.replicas ?? 0) - updated} old replicas are pending termination`);
  if ((s.availableReplicas ?? 0) < updated) {
    return waiting(`${s.availableReplicas ?? 0} of ${updated} updated replicas are available`);
  }
  return { message: `deployment "${name}" successfully rolled out`, done: true, failed: false };
}

function condition(
  conditions: DeploymentCondition[] | undefined,
  type: string,
): ConditionSummary | undefined {
  const c = conditions?.find((x) => x.type === type);
  return c ? { status: c.status, reason: c.reason ?? '', message: c.message ?? '' } : undefined;
}

function revisionOf(o: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = Number(o.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
  return Number.isInteger(v) && v > 0 ? v : 0;
}

function rsSummary(rs: ReplicaSet): ReplicaSetSummary {
  return {
    name: rs.metadata?.name ?? '',
    revision: revisionOf(rs),
    desired: rs.spec?.replicas ?? 1,
    current: rs.status?.replicas ?? 0,
    ready: rs.status?.readyReplicas ?? 0,
  };
}
