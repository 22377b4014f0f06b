import type { Node, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { Pod } from '../api/types.js';

/** The node lifecycle controller's condition taints (pkg/apis/core/v1 well-known taints). */
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';

/** Toleration.ToleratesTaint: key (empty key + Exists matches all), operator, value and effect. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if ((t.operator ?? 'Equal') === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function findToleration(pod: Pod, taint: Taint): Toleration | undefined {
  return (pod.spec?.tolerations ?? []).find((t) => toleratesTaint(t, taint));
}

export function readyCondition(node: Node): 'True' | 'False' | 'Unknown' | undefined {
  const status = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return status === 'True' || status === 'False' || status === 'Unknown' ? status : undefined;
}

/** A pod the scheduler and the taint manager still care about: not finished. */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}
