import type { Pod } from '../../src/api/types.js';
import { useListWatch } from './api.js';
import { podRow, rowTone } from './format.js';
import { useNow } from './now.js';

/** `kubectl get pods -A`, live, with a namespace filter (`#/pods?ns=NS` keeps it in the address). */
export function PodsView(props: {
  namespace: string | undefined;
  onNamespace: (ns: string | undefined) => void;
}) {
  const { items, error } = useListWatch<Pod & { metadata: { name: string } }>('/api/v1/pods');
  const now = useNow();
  if (!items) return <p class="muted">{error ? `Cannot list pods: ${error}` : 'Loading pods…'}</p>;
  const namespaces = [...new Set(items.map((p) => p.metadata.namespace ?? 'default'))].sort();
  const rows = items
    .map((p) => podRow(p, now))
    .filter((r) => props.namespace === undefined || r.namespace === props.namespace);
  return (
    <section>
      <div class="toolbar">
        <h2>Pods</h2>
        <label>
          Namespace{' '}
          <select
            data-testid="namespace-filter"
            value={props.namespace ?? ''}
            onChange={(e) => props.onNamespace((e.target as HTMLSelectElement).value || undefined)}
          >
            <option value="">all namespaces</option>
            {namespaces.map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        </label>
        {error && <span class="error">{error}</span>}
      </div>
      <table class="grid" data-testid="pods-table">
        <thead>
          <tr>
            <th>NAMESPACE</th>
            <th>NAME</th>
            <th>READY</th>
            <th>STATUS</th>
            <th>RESTARTS</th>
            <th>AGE</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.namespace}/${r.name}`} data-testid="pod-row" data-pod={r.name}>
              <td class="mono">{r.namespace}</td>
              <td class="mono">
                <a href={`#/pods/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`}>
                  {r.name}
                </a>
              </td>
              <td data-testid="pod-ready">{r.ready}</td>
              <td data-testid="pod-status" class={`status ${rowTone(r)}`}>
                {r.status}
              </td>
              <td data-testid="pod-restarts">{r.restarts}</td>
              <td>{r.age}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={6} class="muted">
                No pods{props.namespace ? ` in namespace ${props.namespace}` : ''}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
