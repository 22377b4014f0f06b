import type { Pod } from './types.js';

export type QosClass = 'BestEffort' | 'Burstable' | 'Guaranteed';

/**
 * qos.GetPodQOS for cpu and memory: BestEffort without any request or limit; Guaranteed when every
 * container (init containers included) has limits equal to its requests — a request defaults to
 * its limit, as the API server's defaulting does.
 */
export function podQosClass(pod: Pod): QosClass {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    for (const r of ['cpu', 'memory']) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (limit !== undefined || request !== undefined) any = true;
      if (limit === undefined || String(request) !== String(limit)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
