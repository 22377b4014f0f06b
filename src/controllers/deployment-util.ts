import { isDeepStrictEqual } from 'node:util';
import type {
  Deployment as DeploymentType,
  DeploymentCondition,
  DeploymentStatus,
  ReplicaSet as ReplicaSetType,
} from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../api/types.js';

/** apps/v1 objects as the store holds them: apiVersion, kind and a named metadata always present. */
export type Deployment = DeploymentType & KubeObject;
export type ReplicaSet = ReplicaSetType & KubeObject;
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

/**
 * The pure parts of Kubernetes' deployment controller (pkg/controller/deployment/util/
 * deployment_util.go): annotations, the pod-template hash, surge/unavailability arithmetic,
 * replica counts over ReplicaSets, conditions and the orders ReplicaSets are walked in.
 */

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
/** Upstream's maxRevHistoryLengthInChars for the revision-history annotation. */
const MAX_REVISION_HISTORY_CHARS = 2000;
/** progressDeadlineSeconds of MaxInt32 means "no deadline" (HasProgressDeadline). */
const MAX_INT32 = 2147483647;

export const Reason = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

// --- the pod-template hash -------------------------------------------------------------------

/** rand.SafeEncodeString's alphabet: no vowels, no 0/1/3, so names never spell words. */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The template as Go's apiequality.Semantic sees it: empty maps, slices and zero-value structs
 * (`resources: {}`) are the same as absent ones, whichever client wrote them.
 */
function semantic(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(semantic);
    return items.length === 0 ? undefined : items;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = semantic((value as Record<string, unknown>)[k]);
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

/**
 * ComputeHash: FNV-32a over the template, then the collisionCount as 4 little-endian bytes, the
 * decimal sum encoded with SafeEncodeString. Upstream hashes Go's spew dump of the struct, which
 * cannot be reproduced outside Go; we hash the template's semantic JSON (sorted keys, empty values
 * dropped) instead, so names have upstream's shape and stability but not its exact letters.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(semantic(template ?? {})) ?? ''));
  if (collisionCount !== undefined) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(c, h);
  }
  return [...new TextEncoder().encode(String(h))]
    .map((b) => SAFE_ALPHANUMS[b % SAFE_ALPHANUMS.length])
    .join('');
}

function withoutHash(template: PodTemplateSpec | undefined): unknown {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return semantic(t);
}

/** EqualIgnoreHash: templates equal except for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return isDeepStrictEqual(withoutHash(a), withoutHash(b));
}

// --- surge and unavailability ------------------------------------------------------------------

/** GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down. */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    const n = Number(value);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

function replicasOf(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** ResolveFenceposts: surge rounds up, unavailable down; both zero would deadlock, so 1 unavailable. */
export function resolveFenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const desired = replicasOf(d);
  const surge = scaledValue(ru?.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicas);
}

// --- counts over ReplicaSets -------------------------------------------------------------------

type MaybeRs = ReplicaSet | undefined;
const present = (list: readonly MaybeRs[]): ReplicaSet[] => list.filter((r): r is ReplicaSet => !!r);

export const specReplicas = (rs: ReplicaSet): number => rs.spec?.replicas ?? 1;
export const sumSpecReplicas = (l: readonly MaybeRs[]): number =>
  present(l).reduce((n, r) => n + specReplicas(r), 0);
export const sumStatusReplicas = (l: readonly MaybeRs[]): number =>
  present(l).reduce((n, r) => n + (r.status?.replicas ?? 0), 0);
export const sumReadyReplicas = (l: readonly MaybeRs[]): number =>
  present(l).reduce((n, r) => n + (r.status?.readyReplicas ?? 0), 0);
export const sumAvailableReplicas = (l: readonly MaybeRs[]): number =>
  present(l).reduce((n, r) => n + (r.status?.availableReplicas ?? 0), 0);
export const activeReplicaSets = (l: readonly MaybeRs[]): ReplicaSet[] =>
  present(l).filter((r) => specReplicas(r) > 0);

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}

export const desiredReplicasAnnotation = (rs: ReplicaSet): number | undefined =>
  intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
export const maxReplicasAnnotation = (rs: ReplicaSet): number | undefined =>
  intAnnotation(rs, MAX_REPLICAS_ANNOTATION);

/** SetReplicasAnnotations; returns whether anything changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

const SKIPPED_ANNOTATIONS = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
]);

/** Annotations a rollback must not copy from a ReplicaSet back onto its Deployment (kubectl). */
export function isSkippedAnnotation(key: string): boolean {
  return SKIPPED_ANNOTATIONS.has(key);
}

/**
 * SetNewReplicaSetAnnotations: copy the deployment's own annotations, raise the revision (keeping
 * the old one in revision-history when an old RS comes back, i.e. a rollback) and, for a new RS,
 * the desired/max replicas.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldRevision = a[REVISION_ANNOTATION];
  if (oldRevision !== undefined && !/^\d+$/.test(oldRevision)) return false;
  const oldRevisionInt = oldRevision === undefined ? 0 : Number(oldRevision);
  if (oldRevisionInt < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined) {
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      let old = history === '' ? [] : history.split(',');
      let total = history.length + oldRevision.length + 1;
      while (total > MAX_REVISION_HISTORY_CHARS && old.length > 0) {
        total -= (old[0] as string).length + 1;
        old = old.slice(1);
      }
      a[REVISION_HISTORY_ANNOTATION] = [...old, oldRevision].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

// --- orders --------------------------------------------------------------------------------------

const created = (rs: ReplicaSet): string => rs.metadata?.creationTimestamp ?? '';

/** ReplicaSetsByCreationTimestamp: oldest first, ties by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  if (created(a) !== created(b)) return created(a) < created(b) ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** ReplicaSetsBySizeNewer: larger first, newer first among equals. */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet): number =>
  specReplicas(a) === specReplicas(b) ? byCreation(b, a) : specReplicas(b) - specReplicas(a);

/** ReplicaSetsBySizeOlder: larger first, older first among equals. */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet): number =>
  specReplicas(a) === specReplicas(b) ? byCreation(a, b) : specReplicas(b) - specReplicas(a);

/** ReplicaSetsByRevision: lowest revision first, ties by creation. */
export const byRevision = (a: ReplicaSet, b: ReplicaSet): number =>
  revisionOf(a) === revisionOf(b) ? byCreation(a, b) : revisionOf(a) - revisionOf(b);

// --- conditions and completeness ----------------------------------------------------------------

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== MAX_INT32;
}

export function getCondition(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  nowIso: string,
): DeploymentCondition {
  return { type, status, reason, message, lastUpdateTime: nowIso, lastTransitionTime: nowIso };
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps the transition time. */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available than before. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: the Progressing condition was last updated longer than the deadline ago. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === Reason.NewReplicaSetAvailable) return false;
  if (c.reason === Reason.ProgressDeadlineExceeded) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < nowMs;
}

export { replicasOf as deploymentReplicas };
