import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { controllerUidOf } from './deployment-sync.js';
import {
  CHANGE_CAUSE_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  type Deployment,
  type ReplicaSet,
  equalIgnoreHash,
  getCondition,
  isSkippedAnnotation,
  Reason,
  revisionOf,
} from './deployment-util.js';

/**
 * What `kubectl rollout undo|history|status` compute for a Deployment (kubectl's
 * polymorphichelpers: rollback.go, history.go, rollout_status.go), as pure functions over the
 * Deployment and the ReplicaSets it controls, so the CLI only fetches and writes.
 */

export type RollbackPlan =
  | { kind: 'rollback'; revision: number; template: PodTemplateSpec; annotations: Record<string, string> }
  | { kind: 'skip'; revision: number };

export function ownedReplicaSets(d: Deployment, all: readonly ReplicaSet[]): ReplicaSet[] {
  return all.filter((rs) => controllerUidOf(rs) === d.metadata.uid);
}

/** rsForRevision: the given revision, or (0) the one before the latest. */
function replicaSetForRevision(d: Deployment, owned: readonly ReplicaSet[], toRevision: number): ReplicaSet {
  let latest: ReplicaSet | undefined;
  let latestRevision = -1;
  let previous: ReplicaSet | undefined;
  let previousRevision = -1;
  for (const rs of owned) {
    const v = revisionOf(rs);
    if (toRevision === 0) {
      if (latestRevision < v) {
        previous = latest;
        previousRevision = latestRevision;
        latest = rs;
        latestRevision = v;
      } else if (previousRevision < v) {
        previous = rs;
        previousRevision = v;
      }
    } else if (v === toRevision) return rs;
  }
  if (toRevision > 0) throw new Error(`unable to find specified revision ${toRevision} in history`);
  if (!previous) throw new Error(`no rollout history found for deployment "${d.metadata.name}"`);
  return previous;
}

/**
 * DeploymentRollbacker.Rollback: the template of the target revision without its
 * pod-template-hash label, and the ReplicaSet's annotations (the deployment keeps its own
 * revision/last-applied ones). The caller writes both with the read resourceVersion.
 */
export function planRollback(
  d: Deployment,
  replicaSets: readonly ReplicaSet[],
  toRevision: number,
): RollbackPlan {
  if (toRevision < 0) throw new Error(`unable to find specified revision ${toRevision} in history`);
  const rs = replicaSetForRevision(d, ownedReplicaSets(d, replicaSets), toRevision);
  if (d.spec?.paused) {
    throw new Error(
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    );
  }
  const revision = revisionOf(rs);
  if (equalIgnoreHash(rs.spec?.template, d.spec?.template)) return { kind: 'skip', revision };
  const template = structuredClone(rs.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
    if (isSkippedAnnotation(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {}))
    if (!isSkippedAnnotation(k)) annotations[k] = v;
  return { kind: 'rollback', revision, template, annotations };
}

/** `rollout history`: revisions in order with their change-cause. */
export function rolloutHistory(
  d: Deployment,
  replicaSets: readonly ReplicaSet[],
): { revision: number; changeCause: string }[] {
  const byRevision = new Map<number, ReplicaSet>();
  for (const rs of ownedReplicaSets(d, replicaSets)) {
    const v = revisionOf(rs);
    if (v > 0) byRevision.set(v, rs);
  }
  return [...byRevision.keys()]
    .sort((a, b) => a - b)
    .map((revision) => ({
      revision,
      changeCause: byRevision.get(revision)?.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>',
    }));
}

/** DeploymentStatusViewer.Status: the message, whether the rollout is done, or an error. */
export function rolloutStatus(d: Deployment): { message: string; done: boolean } {
  const name = d.metadata.name;
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) <= (s.observedGeneration ?? 0)) {
    if (getCondition(s, 'Progressing')?.reason === Reason.ProgressDeadlineExceeded) {
      throw new Error(`deployment "${name}" exceeded its progress deadline`);
    }
    const want = d.spec?.replicas ?? 1;
    const updated = s.updatedReplicas ?? 0;
    if (updated < want) {
      return {
        message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...`,
        done: false,
      };
    }
    if ((s.replicas ?? 0) > updated) {
      return {
        message: `Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...`,
        done: false,
      };
    }
    if ((s.availableReplicas ?? 0) < updated) {
      return {
        message: `Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
        done: false,
      };
    }
    return { message: `deployment "${name}" successfully rolled out`, done: true };
  }
  return { message: 'Waiting for deployment spec update to be observed...', done: false };
}
