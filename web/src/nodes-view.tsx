import type { Node } from 'kubernetes-types/core/v1.js';
import { useListWatch } from './api.js';
import { since } from './format.js';
import { useNow } from './now.js';

const CONTAINMENT = 'podvisor.io/process-containment';

/** `kubectl get nodes` plus how each node contains its processes (the containment annotation). */
export function NodesView() {
  const { items, error } = useListWatch<Node & { metadata: { name: string } }>('/api/v1/nodes');
  const now = useNow();
  if (!items) return <p class="muted">{error ? `Cannot list nodes: ${error}` : 'Loading nodes…'}</p>;
  return (
    <section>
      <div class="toolbar">
        <h2>Nodes</h2>
        {error && <span class="error">{error}</span>}
      </div>
      <table class="grid" data-testid="nodes-table">
        <thead>
          <tr>
            <th>NAME</th>
            <th>STATUS</th>
            <th>AGE</th>
            <th>PROCESS CONTAINMENT</th>
          </tr>
        </thead>
        <tbody>
          {items.map((n) => {
            const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
            const status = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
            return (
              <tr key={n.metadata.name} data-testid="node-row">
                <td class="mono">{n.metadata.name}</td>
                <td class={`status ${status === 'Ready' ? 'ok' : 'bad'}`}>
                  {status}
                  {n.spec?.unschedulable ? ',SchedulingDisabled' : ''}
                </td>
                <td>{since(n.metadata.creationTimestamp, now)}</td>
                <td class="mono">{n.metadata.annotations?.[CONTAINMENT] ?? '<none>'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
