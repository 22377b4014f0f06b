import type { KubeObject, Pod } from '../api/types.js';
import type { PodAdmission } from '../api/admission.js';
import { validatePodUpdate } from '../api/pod-update.js';
import { rfc3339 } from '../util/duration.js';
import { serveLogs, type LogSource } from './logs.js';
import {
  SERVED_VERBS,
  type DeleteOptions,
  type RequestContext,
  type ResourceType,
} from './resource-types.js';
import { admitOrThrow, getExisting, isDryRun, getStatus, preserveDeletion, updateStatus } from './rest.js';
import { admitPodPresets } from '../controllers/podpreset-admission.js';
import { patchStatus } from './patch/handler.js';
import { upgradeRequired } from './portforward/upgrade.js';
import { podTablePrinter } from './tables/pods.js';

/** src/api/admission.ts admitPod: defaults, validation, warnings (and unknown fields for fieldValidation). */
export type AdmitPod = (obj: unknown) => PodAdmission;

type StoredPod = Pod & KubeObject;

/**
 * Pod deletion as the apiserver decides it (pkg/registry/core/pod/strategy.go
 * CheckGracefulDelete + rest.BeforeDelete): the grace period is the request's, else the pod's
 * terminationGracePeriodSeconds; a pod no kubelet has taken up, or one that already finished,
 * goes at once; otherwise deletionTimestamp = now + grace and the kubelet finishes the deletion.
 */
export function podGracePeriod(pod: StoredPod, requested: number | undefined): number {
  let period = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 0;
  // podvisor has no scheduler: "bound" means the kubelet has taken the pod up (nodeName or any status from it).
  const started =
    !!pod.spec?.nodeName ||
    (pod.status?.containerStatuses?.length ?? 0) > 0 ||
    pod.status?.phase === 'Running';
  if (!started) period = 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') period = 0;
  if (period < 0) period = 1;
  return period;
}

export function beginPodDelete(
  existing: KubeObject,
  opts: DeleteOptions,
  ctx: RequestContext,
): 'now' | KubeObject {
  const pod = existing as StoredPod;
  const period = podGracePeriod(pod, opts.gracePeriodSeconds);
  const meta = pod.metadata;
  if (meta.deletionTimestamp) {
    // Already terminating: a shorter grace period may still cut it short, a longer one never extends it.
    const current = meta.deletionGracePeriodSeconds ?? 0;
    if (opts.gracePeriodSeconds === undefined || period >= current) return existing;
    if (period === 0) return 'now';
    const requestedAt = Date.parse(meta.deletionTimestamp) - current * 1000;
    return {
      ...pod,
      metadata: {
        ...meta,
        deletionTimestamp: rfc3339(requestedAt + period * 1000),
        deletionGracePeriodSeconds: period,
      },
    };
  }
  if (period === 0) return 'now';
  return {
    ...pod,
    metadata: {
      ...meta,
      deletionTimestamp: rfc3339(ctx.clock.now() + period * 1000),
      deletionGracePeriodSeconds: period,
    },
  };
}

export function podResource(admitPod: AdmitPod, logs: LogSource): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    listKind: 'PodList',
    singular: 'pod',
    shortNames: ['po'],
    categories: ['all'],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit(obj) {
      const adm = admitPod(obj);
      return {
        ...(adm.pod ? { object: adm.pod as StoredPod } : {}),
        errors: adm.errors,
        warnings: adm.warnings,
        ...(adm.unknownFields ? { unknownFields: adm.unknownFields } : {}),
      };
    },
    // Mutating admission at CREATE only: PodPresets (validation runs again on the merged pod).
    prepareCreate(obj, ctx) {
      const mutation = admitPodPresets(ctx.store, ctx.clock, obj);
      const after = mutation.afterCreate;
      if (
        after &&
        !isDryRun(ctx) &&
        !ctx.store.get('pods', obj.metadata.namespace ?? '', obj.metadata.name)
      ) {
        // The conflict event needs the stored pod's uid; rest.create stores it synchronously next.
        queueMicrotask(() => {
          const stored = ctx.store.get('pods', obj.metadata.namespace ?? '', obj.metadata.name);
          if (stored) after(stored);
        });
      }
      return mutation.changed ? admitOrThrow(ctx, mutation.object).object : mutation.object;
    },
    // podStrategy.WarningsOnUpdate: none (only fieldValidation's unknown-field warnings).
    warnOnUpdate: false,
    // ValidatePodUpdate: a pod's spec is immutable but for images, deadlines and tolerations.
    validateUpdate: (next, existing) => validatePodUpdate(next as StoredPod, existing as StoredPod),
    // The pod strategy's PrepareForUpdate: a PUT of the pod never changes its status.
    prepareUpdate(next, existing) {
      const { status: _ignored, ...kept } = preserveDeletion(next, existing) as StoredPod;
      const status = (existing as StoredPod).status;
      return status === undefined ? kept : { ...kept, status };
    },
    beginDelete: beginPodDelete,
    returnDeletedObject: true,
    table: podTablePrinter,
    subresources: {
      status: { GET: getStatus, PUT: updateStatus, PATCH: patchStatus },
      log: { GET: (ctx) => serveLogs(ctx, getExisting(ctx) as StoredPod, logs) },
      // Served as an HTTP upgrade (api-server.ts 'upgrade'); a plain request gets the apiserver's 400.
      portforward: { GET: upgradeRequired, POST: upgradeRequired },
    },
  };
}
