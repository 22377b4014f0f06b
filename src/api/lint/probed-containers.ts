import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../types.js';

/** A container that the kubelet probes, with where it sits in its object. */
export interface ProbedContainer {
  container: Container;
  /** e.g. `spec.template.spec.containers[1]` or `spec.initContainers[0]` (a sidecar). */
  path: string;
  /** The pod spec it belongs to (for its sibling containers, hostNetwork and grace period). */
  podSpec: PodSpec;
  /** `spec` or `spec.template.spec`. */
  podSpecPath: string;
}

const TEMPLATE_KINDS = new Set(['Deployment', 'ReplicaSet', 'ReplicationController']);

/** The pod spec of a Pod, or of a workload's pod template; undefined for other kinds. */
export function podSpecOf(obj: KubeObject): { spec: PodSpec; path: string } | undefined {
  if (obj.kind === 'Pod') {
    const spec = (obj as { spec?: PodSpec }).spec;
    return spec ? { spec, path: 'spec' } : undefined;
  }
  if (TEMPLATE_KINDS.has(obj.kind)) {
    const spec = (obj as { spec?: { template?: { spec?: PodSpec } } }).spec?.template?.spec;
    return spec ? { spec, path: 'spec.template.spec' } : undefined;
  }
  return undefined;
}

/**
 * Regular containers and sidecars (init containers with restartPolicy Always): the kubelet creates
 * probe workers for exactly these (spec §2.1, §4.7). Plain init containers may not have probes.
 */
export function probedContainers(obj: KubeObject): ProbedContainer[] {
  const found = podSpecOf(obj);
  if (!found) return [];
  const { spec, path } = found;
  const out: ProbedContainer[] = [];
  (spec.initContainers ?? []).forEach((c, i) => {
    if (c.restartPolicy === 'Always')
      out.push({ container: c, path: `${path}.initContainers[${i}]`, podSpec: spec, podSpecPath: path });
  });
  (spec.containers ?? []).forEach((c, i) => {
    out.push({ container: c, path: `${path}.containers[${i}]`, podSpec: spec, podSpecPath: path });
  });
  return out;
}

/** `Pod/web`, or `Pod/prod/web` when the manifest names a namespace other than default. */
export function objectRef(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns && ns !== 'default'
    ? `${obj.kind}/${ns}/${obj.metadata.name}`
    : `${obj.kind}/${obj.metadata.name}`;
}
