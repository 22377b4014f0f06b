import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../api/types.js';
import { admitWorkload, WORKLOAD_KINDS, type WorkloadKind } from '../api/workloads/admission.js';
import { selectorString } from '../api/workloads/selector.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../controllers/garbage-collector.js';
import { rfc3339 } from '../util/duration.js';
import { decodeBody, readBody, sendJson } from './http-io.js';
import { applyPatch, patchStatus, patchTypeOf } from './patch/handler.js';
import { isJsonObject, PatchError, sortedJson } from './patch/json-value.js';
import { checkResourceVersion } from './patch/preconditions.js';
import {
  SERVED_VERBS,
  type DeleteOptions,
  type RequestContext,
  type ResourceType,
} from './resource-types.js';
import { getExisting, getStatus, isDryRun, preserveDeletion, updateStatus } from './rest.js';
import { badRequest, invalid } from './status.js';
import type { TablePrinter } from './tables/types.js';
import {
  deploymentTablePrinter,
  replicaSetTablePrinter,
  replicationControllerTablePrinter,
} from './tables/workloads.js';

/**
 * apps/v1 replicasets and deployments, core/v1 replicationcontrollers: generic REST with the
 * workload strategies (generation bumps on spec changes, status only through /status), the
 * autoscaling/v1 `scale` subresource (kubectl scale) and cascading deletion through finalizers
 * the garbage collector (src/controllers/garbage-collector.ts) acts on.
 */

type Workload = KubeObject & { spec?: { replicas?: number; selector?: unknown }; status?: unknown };

/**
 * The strategies' PrepareForUpdate: status is kept from the stored object, and metadata.generation
 * goes up by one whenever the spec changes (what observedGeneration is compared against).
 */
export function prepareWorkloadUpdate(next: KubeObject, existing: KubeObject): KubeObject {
  const { status: _dropped, ...kept } = preserveDeletion(next, existing) as Workload;
  const old = existing as Workload;
  const generation = old.metadata.generation ?? 1;
  const changed = sortedJson((next as Workload).spec ?? null) !== sortedJson(old.spec ?? null);
  const out: Workload = {
    ...kept,
    metadata: { ...kept.metadata, generation: changed ? generation + 1 : generation },
  };
  if (old.status !== undefined) out.status = old.status;
  return out;
}

/**
 * rest.BeforeDelete + the GC finalizers: Foreground and Orphan keep the object (deletionTimestamp
 * and a finalizer) until the garbage collector has dealt with the dependents; Background — the
 * default for these kinds — removes it now and the collector deletes the dependents afterwards.
 */
export function beginWorkloadDelete(
  existing: KubeObject,
  opts: DeleteOptions,
  ctx: RequestContext,
): 'now' | KubeObject {
  const meta = existing.metadata;
  const finalizers = [...(meta.finalizers ?? [])];
  const policy = opts.propagationPolicy ?? 'Background';
  if (policy === 'Foreground' && !finalizers.includes(FOREGROUND_FINALIZER))
    finalizers.push(FOREGROUND_FINALIZER);
  if (policy === 'Orphan' && !finalizers.includes(ORPHAN_FINALIZER)) finalizers.push(ORPHAN_FINALIZER);
  if (finalizers.length === 0) return 'now';
  return {
    ...existing,
    metadata: {
      ...meta,
      finalizers,
      deletionTimestamp: meta.deletionTimestamp ?? rfc3339(ctx.clock.now()),
      deletionGracePeriodSeconds: meta.deletionGracePeriodSeconds ?? 0,
    },
  };
}

function labelSelectorOf(obj: Workload): LabelSelector | undefined {
  const s = obj.spec?.selector;
  if (!s || typeof s !== 'object') return undefined;
  // A ReplicationController's selector is a plain map.
  return obj.kind === 'ReplicationController'
    ? { matchLabels: s as Record<string, string> }
    : (s as LabelSelector);
}

/** The autoscaling/v1 Scale of a workload (registry ScaleREST.Get). */
export function scaleOf(
  obj: KubeObject,
): KubeObject & { spec: { replicas: number }; status: { replicas: number; selector: string } } {
  const w = obj as Workload & { status?: { replicas?: number } };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    spec: { replicas: w.spec?.replicas ?? 0 },
    status: { replicas: w.status?.replicas ?? 0, selector: selectorString(labelSelectorOf(w)) },
  };
}

/** Stores the replicas of a (patched or replaced) Scale into the workload, as ScaleREST.Update does. */
function applyScale(ctx: RequestContext, scale: unknown, existing: KubeObject): void {
  if (!isJsonObject(scale)) throw badRequest('the request body must be a Scale object');
  const meta = isJsonObject(scale.metadata) ? scale.metadata : {};
  const rv = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
  checkResourceVersion(
    ctx.type.resource,
    { ...existing, metadata: { ...existing.metadata, resourceVersion: rv } },
    existing,
  );
  const spec = isJsonObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas))
    throw badRequest('spec.replicas must be an integer');
  if (replicas < 0) {
    throw invalid(
      'Scale',
      existing.metadata.name,
      [
        {
          type: 'Invalid value',
          field: 'spec.replicas',
          value: replicas,
          detail: 'must be greater than or equal to 0',
        },
      ],
      'autoscaling',
    );
  }
  const w = existing as Workload;
  const changed = (w.spec?.replicas ?? 0) !== replicas;
  const next: Workload = {
    ...w,
    metadata: { ...w.metadata, generation: (w.metadata.generation ?? 1) + (changed ? 1 : 0) },
    spec: { ...(w.spec ?? {}), replicas },
  };
  const stored = isDryRun(ctx) || !changed ? next : ctx.store.update(ctx.type.resource, next);
  sendJson(ctx.res, 200, scaleOf(stored));
}

async function putScale(ctx: RequestContext): Promise<void> {
  const body = decodeBody(ctx.req, await readBody(ctx.req));
  applyScale(ctx, body, getExisting(ctx));
}

async function patchScale(ctx: RequestContext): Promise<void> {
  const type = patchTypeOf(ctx.req.headers['content-type']);
  const raw = await readBody(ctx.req);
  if (raw.length === 0) throw badRequest('the body of the patch request is empty');
  let patch: unknown;
  try {
    patch = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  const existing = getExisting(ctx);
  let patched: unknown;
  try {
    patched = applyPatch(type, scaleOf(existing), patch, 'Scale');
  } catch (err) {
    if (err instanceof PatchError) throw badRequest(err.message);
    throw err;
  }
  applyScale(ctx, patched, existing);
}

const PRINTERS: Readonly<Record<WorkloadKind, TablePrinter>> = {
  ReplicaSet: replicaSetTablePrinter,
  Deployment: deploymentTablePrinter,
  ReplicationController: replicationControllerTablePrinter,
};

const NAMES: Readonly<Record<WorkloadKind, { singular: string; shortNames: readonly string[] }>> = {
  ReplicaSet: { singular: 'replicaset', shortNames: ['rs'] },
  Deployment: { singular: 'deployment', shortNames: ['deploy'] },
  ReplicationController: { singular: 'replicationcontroller', shortNames: ['rc'] },
};

export function workloadResource(kind: WorkloadKind): ResourceType {
  const { apiVersion, resource } = WORKLOAD_KINDS[kind];
  const [group, version] = apiVersion.includes('/')
    ? (apiVersion.split('/') as [string, string])
    : ['', apiVersion];
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: NAMES[kind].singular,
    shortNames: NAMES[kind].shortNames,
    categories: ['all'],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit: (obj) => admitWorkload(kind, obj),
    prepareUpdate: prepareWorkloadUpdate,
    beginDelete: beginWorkloadDelete,
    returnDeletedObject: false,
    table: PRINTERS[kind],
    subresources: {
      status: { GET: getStatus, PUT: updateStatus, PATCH: patchStatus },
      scale: {
        GET: (ctx) => sendJson(ctx.res, 200, scaleOf(getExisting(ctx))),
        PUT: putScale,
        PATCH: patchScale,
      },
    },
  };
}

/** The registry entries to pass to startApiServer's `resources`. */
export function workloadResources(): ResourceType[] {
  return [
    workloadResource('ReplicaSet'),
    workloadResource('Deployment'),
    workloadResource('ReplicationController'),
  ];
}
