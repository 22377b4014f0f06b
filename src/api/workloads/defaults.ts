import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import { defaultPod } from '../defaults.js';

/**
 * apps/v1 and core/v1 workload defaults (pkg/apis/apps/v1/defaults.go, pkg/apis/core/v1/defaults.go):
 * replicas 1, the template through the Pod defaults, and for Deployments the RollingUpdate
 * strategy with 25%/25%, revisionHistoryLimit 10 and progressDeadlineSeconds 600.
 * Each returns a new object; the input is not modified.
 */

/** SetDefaults_PodTemplateSpec: the pod spec defaults, but no namespace in the template's metadata. */
export function defaultTemplate(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = template ?? {};
  const pod = defaultPod({ metadata: { ...(t.metadata ?? {}) }, spec: t.spec ?? { containers: [] } });
  const meta = { ...(t.metadata ?? {}) };
  return { metadata: meta, spec: pod.spec };
}

function defaultMeta<T extends { metadata?: { namespace?: string } }>(obj: T): void {
  const meta = (obj.metadata ??= {});
  if (!meta.namespace) meta.namespace = 'default';
}

export function defaultReplicaSet(rs: ReplicaSet): ReplicaSet {
  const out = structuredClone(rs);
  defaultMeta(out);
  const spec = (out.spec ??= { selector: undefined as never, template: {} });
  spec.replicas ??= 1;
  spec.minReadySeconds ??= 0;
  spec.template = defaultTemplate(spec.template);
  return out;
}

export function defaultDeployment(d: Deployment): Deployment {
  const out = structuredClone(d);
  defaultMeta(out);
  const spec = (out.spec ??= { selector: undefined as never, template: {} });
  spec.replicas ??= 1;
  spec.minReadySeconds ??= 0;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.template = defaultTemplate(spec.template);
  return out;
}

/** SetDefaults_ReplicationController: selector and labels default to the template's labels. */
export function defaultReplicationController(rc: ReplicationController): ReplicationController {
  const out = structuredClone(rc);
  defaultMeta(out);
  const spec = (out.spec ??= {});
  const templateLabels = spec.template?.metadata?.labels;
  if (templateLabels && Object.keys(spec.selector ?? {}).length === 0) spec.selector = { ...templateLabels };
  const meta = out.metadata as NonNullable<ReplicationController['metadata']>;
  if (templateLabels && Object.keys(meta.labels ?? {}).length === 0) meta.labels = { ...templateLabels };
  spec.replicas ??= 1;
  spec.minReadySeconds ??= 0;
  spec.template = defaultTemplate(spec.template);
  return out;
}
