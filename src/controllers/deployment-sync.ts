import { isDeepStrictEqual } from 'node:util';
import type { DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EventRecorder, ObjectStore } from '../store/types.js';
import { StoreError } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import {
  type Deployment,
  type ReplicaSet,
  POD_TEMPLATE_HASH_LABEL,
  Reason,
  activeReplicaSets,
  byCreation,
  byRevision,
  computeHash,
  deploymentComplete,
  deploymentReplicas,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  newCondition,
  revisionOf,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  sumAvailableReplicas,
  sumSpecReplicas,
  sumStatusReplicas,
} from './deployment-util.js';
import {
  calculateStatus,
  compactStatus,
  rolloutProgressStatus,
  stuckRequeueAfterMs,
} from './deployment-progress.js';
import { activeOrLatest, isSaturated, newRsNewReplicas, proportionalSizes } from './deployment-scale.js';

export interface DeploymentSyncDeps {
  store: ObjectStore;
  clock: Clock;
  recorder: EventRecorder;
}

/** What one sync asks of the work queue: nothing, or another look after `requeueAfterMs`. */
export interface SyncOutcome {
  requeueAfterMs?: number;
}

const CONTROLLER_UID = (o: { metadata?: { ownerReferences?: { controller?: boolean; uid: string }[] } }) =>
  o.metadata?.ownerReferences?.find((r) => r.controller)?.uid;

/**
 * One pass of syncDeployment (pkg/controller/deployment: sync.go, rolling.go, recreate.go,
 * progress.go) over a snapshot of the Deployment, its ReplicaSets and their pods. Every write
 * goes through the store with the resourceVersion read, so a concurrent change fails with a
 * Conflict and the key is retried, as with the apiserver.
 */
export class DeploymentSync {
  private d: Deployment;

  constructor(
    private readonly deps: DeploymentSyncDeps,
    deployment: Deployment,
    private readonly rsList: ReplicaSet[],
    private readonly podsByRs: Map<string, Pod[]>,
  ) {
    this.d = deployment;
  }

  run(): SyncOutcome {
    if (this.d.metadata.deletionTimestamp) return this.syncStatusOnly();
    this.checkPausedConditions();
    if (this.d.spec?.paused) return this.sync();
    if (this.isScalingEvent()) return this.sync();
    return isRollingUpdate(this.d) ? this.rolloutRolling() : this.rolloutRecreate();
  }

  // --- plumbing -------------------------------------------------------------------------------

  private nowIso(): string {
    return rfc3339(this.deps.clock.now());
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const m = this.d.metadata;
    this.deps.recorder.record(
      {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        namespace: m.namespace ?? 'default',
        name: m.name ?? '',
        uid: m.uid ?? '',
      },
      type,
      reason,
      message,
    );
  }

  private updateDeployment(): void {
    this.d = this.deps.store.update('deployments', this.d);
  }

  private updateReplicaSet(rs: ReplicaSet): void {
    const stored = this.deps.store.update('replicasets', rs);
    Object.assign(rs, stored);
  }

  // --- new and old ReplicaSets (sync.go getAllReplicaSetsAndSyncRevision) -----------------------

  private allReplicaSets(createIfMissing: boolean): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const sorted = [...this.rsList].sort(byCreation);
    const existing = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, this.d.spec?.template));
    const oldRSs = sorted.filter((rs) => rs !== existing);
    const newRS = this.newReplicaSet(existing, oldRSs, createIfMissing);
    return { newRS, oldRSs };
  }

  private newReplicaSet(
    existing: ReplicaSet | undefined,
    oldRSs: ReplicaSet[],
    create: boolean,
  ): ReplicaSet | undefined {
    const d = this.d;
    const newRevision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyChanged) {
        copy.spec = { ...copy.spec!, minReadySeconds: d.spec?.minReadySeconds };
        this.updateReplicaSet(copy);
        Object.assign(existing, copy);
      }
      let needsUpdate = this.setDeploymentRevision(String(revisionOf(existing)));
      if (!getCondition(d.status, 'Progressing')) {
        const msg = `Found new replica set "${existing.metadata.name}"`;
        d.status ??= {};
        setCondition(
          d.status,
          newCondition('Progressing', 'True', Reason.FoundNewReplicaSet, msg, this.nowIso()),
        );
        needsUpdate = true;
      }
      if (needsUpdate) this.updateDeployment();
      return existing;
    }
    if (!create) return undefined;

    const template = structuredClone(d.spec?.template ?? {});
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name ?? '',
            uid: d.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    const replicas = newRsNewReplicas(this.d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = this.deps.store.create('replicasets', rs);
    } catch (err) {
      if (!(err instanceof StoreError) || err.reason !== 'AlreadyExists') throw err;
      const found = this.deps.store.get<ReplicaSet>('replicasets', d.metadata.namespace ?? 'default', name);
      if (
        found &&
        CONTROLLER_UID(found) === d.metadata.uid &&
        equalIgnoreHash(found.spec?.template, d.spec?.template)
      ) {
        created = found;
        alreadyExists = true;
      } else {
        // A hash collision: bump collisionCount so the next sync computes another name.
        d.status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        this.updateDeployment();
        throw err;
      }
    }
    this.rsList.push(created);
    if (!alreadyExists && replicas > 0) {
      this.event(
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata?.name} to ${replicas}`,
      );
    }
    let needsUpdate = this.setDeploymentRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      const msg = `Created new replica set "${created.metadata?.name}"`;
      d.status ??= {};
      setCondition(
        d.status,
        newCondition('Progressing', 'True', Reason.NewReplicaSetCreated, msg, this.nowIso()),
      );
      needsUpdate = true;
    }
    if (needsUpdate) this.updateDeployment();
    return created;
  }

  private setDeploymentRevision(revision: string): boolean {
    const a = (this.d.metadata.annotations ??= {});
    if (a['deployment.kubernetes.io/revision'] === revision) return false;
    a['deployment.kubernetes.io/revision'] = revision;
    return true;
  }

  // --- scaling ------------------------------------------------------------------------------------

  private scaleReplicaSetAndRecord(rs: ReplicaSet, newScale: number): boolean {
    if (specReplicas(rs) === newScale) return false;
    return this.scaleReplicaSet(rs, newScale, specReplicas(rs) < newScale ? 'up' : 'down');
  }

  private scaleReplicaSet(rs: ReplicaSet, newScale: number, operation: string): boolean {
    const want = deploymentReplicas(this.d);
    const copy = structuredClone(rs);
    const sizeChanged = specReplicas(rs) !== newScale;
    const annotationsChanged = setReplicasAnnotations(copy, want, want + maxSurge(this.d));
    if (!sizeChanged && !annotationsChanged) return false;
    const oldScale = specReplicas(rs);
    copy.spec = { ...copy.spec!, replicas: newScale };
    this.updateReplicaSet(copy);
    Object.assign(rs, copy);
    if (sizeChanged) {
      this.event(
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${operation} replica set ${rs.metadata?.name} to ${newScale} from ${oldScale}`,
      );
    }
    return sizeChanged;
  }

  /** scale(): a resize of the Deployment, spread proportionally over the active ReplicaSets. */
  private scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): void {
    const d = this.d;
    const want = deploymentReplicas(d);
    const single = activeOrLatest(newRS, oldRSs);
    if (single) {
      if (specReplicas(single) !== want) this.scaleReplicaSetAndRecord(single, want);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) this.scaleReplicaSetAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const { operation, sizes } = proportionalSizes(d, newRS, oldRSs);
    for (const { rs, size } of sizes) this.scaleReplicaSet(rs, size, operation);
  }

  // --- strategies -----------------------------------------------------------------------------------

  private sync(): SyncOutcome {
    const { newRS, oldRSs } = this.allReplicaSets(false);
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) this.cleanup(oldRSs);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS);
    return {};
  }

  private syncStatusOnly(): SyncOutcome {
    const { newRS, oldRSs } = this.allReplicaSets(false);
    this.syncDeploymentStatus([...oldRSs, newRS], newRS);
    return {};
  }

  private isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.allReplicaSets(false);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== deploymentReplicas(this.d);
    });
  }

  private checkPausedConditions(): void {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    // A reported lack of progress is not overwritten by a paused condition.
    if (cond?.reason === Reason.ProgressDeadlineExceeded) return;
    const pausedExists = cond?.reason === Reason.DeploymentPaused;
    d.status ??= {};
    if (d.spec?.paused && !pausedExists) {
      setCondition(
        d.status,
        newCondition(
          'Progressing',
          'Unknown',
          Reason.DeploymentPaused,
          'Deployment is paused',
          this.nowIso(),
        ),
      );
    } else if (!d.spec?.paused && pausedExists) {
      setCondition(
        d.status,
        newCondition(
          'Progressing',
          'Unknown',
          Reason.DeploymentResumed,
          'Deployment is resumed',
          this.nowIso(),
        ),
      );
    } else return;
    this.updateDeployment();
  }

  /** rolling.go rolloutRolling. */
  private rolloutRolling(): SyncOutcome {
    const { newRS, oldRSs } = this.allReplicaSets(true);
    const rs = newRS as ReplicaSet;
    const allRSs = [...oldRSs, rs];
    if (this.reconcileNewReplicaSet(allRSs, rs)) return this.syncRolloutStatus(allRSs, rs);
    if (this.reconcileOldReplicaSets(allRSs, activeReplicaSets(oldRSs), rs))
      return this.syncRolloutStatus(allRSs, rs);
    if (deploymentComplete(this.d, this.d.status ?? {})) this.cleanup(oldRSs);
    return this.syncRolloutStatus(allRSs, rs);
  }

  private reconcileNewReplicaSet(allRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
    const want = deploymentReplicas(this.d);
    if (specReplicas(newRS) === want) return false;
    if (specReplicas(newRS) > want) return this.scaleReplicaSetAndRecord(newRS, want);
    return this.scaleReplicaSetAndRecord(newRS, newRsNewReplicas(this.d, allRSs, newRS));
  }

  private reconcileOldReplicaSets(allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): boolean {
    if (sumSpecReplicas(oldRSs) === 0) return false;
    const minAvailable = deploymentReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // Unhealthy old replicas go first: removing them costs no availability.
    let cleaned = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      const unavailable = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
      if (specReplicas(rs) === 0 || unavailable <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unavailable);
      this.scaleReplicaSetAndRecord(rs, specReplicas(rs) - down);
      cleaned += down;
    }
    let scaledDown = 0;
    const available = sumAvailableReplicas([...oldRSs, newRS]);
    if (available > minAvailable) {
      const budget = available - minAvailable;
      for (const rs of [...oldRSs].sort(byCreation)) {
        if (scaledDown >= budget) break;
        if (specReplicas(rs) === 0) continue;
        const down = Math.min(specReplicas(rs), budget - scaledDown);
        this.scaleReplicaSetAndRecord(rs, specReplicas(rs) - down);
        scaledDown += down;
      }
    }
    return cleaned + scaledDown > 0;
  }

  /** recreate.go rolloutRecreate: all old pods gone before the new RS scales up. */
  private rolloutRecreate(): SyncOutcome {
    let { newRS, oldRSs } = this.allReplicaSets(false);
    let allRSs = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) if (this.scaleReplicaSetAndRecord(rs, 0)) scaledDown = true;
    if (scaledDown) return this.syncRolloutStatus(allRSs, newRS);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(allRSs, newRS);
    if (!newRS) {
      ({ newRS, oldRSs } = this.allReplicaSets(true));
      allRSs = [...oldRSs, newRS];
    }
    if (newRS) this.scaleReplicaSetAndRecord(newRS, deploymentReplicas(this.d));
    if (deploymentComplete(this.d, this.d.status ?? {})) this.cleanup(oldRSs);
    return this.syncRolloutStatus(allRSs, newRS);
  }

  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (sumStatusReplicas(oldRSs) > 0) return true;
    for (const [uid, pods] of this.podsByRs) {
      if (newRS && uid === newRS.metadata?.uid) continue;
      if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
    }
    return false;
  }

  // --- history and status ---------------------------------------------------------------------------

  /** cleanupDeployment: delete the oldest empty ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(oldRSs: ReplicaSet[]): void {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const alive = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
    const diff = alive.length - limit;
    for (const rs of alive.slice(0, Math.max(0, diff))) {
      if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
      if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        this.deps.store.delete('replicasets', rs.metadata?.namespace ?? 'default', rs.metadata?.name ?? '');
      } catch (err) {
        if (!(err instanceof StoreError) || err.code !== 404) throw err;
      }
    }
  }

  private syncDeploymentStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): void {
    this.writeStatus(calculateStatus(this.d, allRSs, newRS, this.nowIso()));
  }

  /** Writes the status unless it is unchanged; returns whether it wrote. */
  private writeStatus(status: DeploymentStatus): boolean {
    const next = compactStatus(status);
    if (isDeepStrictEqual(compactStatus(this.d.status ?? {}), next)) return false;
    this.d.status = next;
    this.updateDeployment();
    return true;
  }

  /** progress.go syncRolloutStatus: write the status, or come back when the deadline passes. */
  private syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): SyncOutcome {
    const now = this.deps.clock.now();
    const status = rolloutProgressStatus(this.d, allRSs, newRS, now, this.nowIso());
    if (this.writeStatus(status)) return {};
    const after = stuckRequeueAfterMs(this.d, status, now);
    return after === undefined ? {} : { requeueAfterMs: after };
  }
}

export { CONTROLLER_UID as controllerUidOf };
