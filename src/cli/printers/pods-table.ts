import type { Pod } from '../../api/types.js';
import { podCells } from '../../api/pod-summary.js';
import { renderTable, type TableOptions } from './table.js';

// The pod summary is computed in src/api so the server's Tables print the same cells (spec §6.3).
export { formatRestarts, summarizePod, type PodSummary } from '../../api/pod-summary.js';

export function podTableHeader(opts: TableOptions = {}): string[] {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (opts.wide) header.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES');
  return opts.withNamespace ? ['NAMESPACE', ...header] : header;
}

export function podTableRow(pod: Pod, now: number, opts: TableOptions = {}): string[] {
  const c = podCells(pod, now);
  const row = [c.name, c.ready, c.status, c.restarts, c.age];
  if (opts.wide) row.push(c.ip, c.node, c.nominatedNode, c.readinessGates);
  return opts.withNamespace ? [pod.metadata?.namespace ?? '', ...row] : row;
}

/** The whole `kubectl get pods` table. */
export function printPodsTable(pods: Pod[], now: number, opts: TableOptions = {}): string {
  return renderTable(
    podTableHeader(opts),
    pods.map((p) => podTableRow(p, now, opts)),
  );
}
