/**
 * `#/deployments`: kubectl's columns, the rollout in progress (conditions, a bar of updated / ready
 * / available replicas against the desired count, the new and old ReplicaSets) and a confirmed
 * scale control. Live through list + watch of deployments and replicasets.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { ScaleControl } from './actions.js';
import { useListWatch } from './api.js';
import { useNow } from './now.js';
import { summarizeRollout, type ReplicaSetSummary, type RolloutSummary } from './rollout.js';
import './views.css';

type Named<T> = T & { metadata: { name: string } };

export function DeploymentsView() {
  const deployments = useListWatch<Named<Deployment>>('/apis/apps/v1/deployments');
  const replicaSets = useListWatch<Named<ReplicaSet>>('/apis/apps/v1/replicasets');
  const now = useNow();
  if (!deployments.items) {
    return (
      <p class="muted">
        {deployments.error ? `Cannot list deployments: ${deployments.error}` : 'Loading deployments…'}
      </p>
    );
  }
  const summaries = deployments.items.map((d) => summarizeRollout(d, replicaSets.items ?? [], now));
  return (
    <section class="dep-view" data-testid="deployments-view">
      <div class="toolbar">
        <h2>Deployments</h2>
        {deployments.error && <span class="error">{deployments.error}</span>}
        {replicaSets.error && <span class="error">replicasets: {replicaSets.error}</span>}
      </div>
      {summaries.length === 0 ? (
        <p class="muted">No deployments. Apply one with `podvisor apply -f deployment.yaml`.</p>
      ) : (
        <>
          <table class="grid dep-table" data-testid="deployments-table">
            <thead>
              <tr>
                <th>NAMESPACE</th>
                <th>NAME</th>
                <th>READY</th>
                <th class="num">UP-TO-DATE</th>
                <th class="num">AVAILABLE</th>
                <th>AGE</th>
                <th>ROLLOUT</th>
              </tr>
            </thead>
            <tbody>
              {summaries.map((s) => (
                <tr key={`${s.namespace}/${s.name}`} data-testid="deployment-row" data-deployment={s.name}>
                  <td class="mono muted">{s.namespace}</td>
                  <td class="mono">{s.name}</td>
                  <td class="mono" data-testid="deployment-ready">
                    {s.ready}
                  </td>
                  <td class="num">{s.upToDate}</td>
                  <td class="num">{s.available}</td>
                  <td>{s.age}</td>
                  <td>
                    <span class={`status ${tone(s)}`}>{headline(s)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {summaries.map((s) => (
            <RolloutCard key={`${s.namespace}/${s.name}`} summary={s} />
          ))}
        </>
      )}
    </section>
  );
}

function tone(s: RolloutSummary): 'ok' | 'warn' | 'bad' {
  return s.status.failed ? 'bad' : s.status.done ? 'ok' : 'warn';
}

function headline(s: RolloutSummary): string {
  if (s.status.failed) return 'progress deadline exceeded';
  if (s.status.done) return 'rollout complete';
  return s.paused ? 'paused' : 'rolling out';
}

function RolloutCard(props: { summary: RolloutSummary }) {
  const s = props.summary;
  return (
    <article class="dep-card" data-testid="rollout-card" data-deployment={s.name}>
      <header class="dep-head">
        <h3 class="mono">
          <span class="muted">{s.namespace}/</span>
          {s.name}
        </h3>
        <span class={`status ${tone(s)}`} data-testid="rollout-status">
          {headline(s)}
        </span>
        <ScaleControl namespace={s.namespace} name={s.name} replicas={s.desired} />
      </header>
      <p class="dep-message mono" title="what `kubectl rollout status` prints">
        {s.status.message}
      </p>
      <ProgressBar summary={s} />
      <dl class="dep-conditions">
        {s.progressing && (
          <>
            <dt>Progressing</dt>
            <dd>
              <span class={`status ${s.progressing.status === 'True' ? 'ok' : 'bad'}`}>
                {s.progressing.status}
              </span>{' '}
              <span class="mono">{s.progressing.reason}</span>
              {s.progressing.message && <span class="muted"> — {s.progressing.message}</span>}
            </dd>
          </>
        )}
        {s.availableCondition && (
          <>
            <dt>Available</dt>
            <dd>
              <span class={`status ${s.availableCondition.status === 'True' ? 'ok' : 'bad'}`}>
                {s.availableCondition.status}
              </span>{' '}
              <span class="mono">{s.availableCondition.reason}</span>
              {s.availableCondition.message && <span class="muted"> — {s.availableCondition.message}</span>}
            </dd>
          </>
        )}
        <dt>ReplicaSets</dt>
        <dd class="dep-rs">
          {s.newReplicaSet ? (
            <RsLine rs={s.newReplicaSet} role="new" />
          ) : (
            <span class="muted">no ReplicaSet yet</span>
          )}
          {s.oldReplicaSets.map((rs) => (
            <RsLine key={rs.name} rs={rs} role="old" />
          ))}
        </dd>
      </dl>
    </article>
  );
}

function RsLine(props: { rs: ReplicaSetSummary; role: 'new' | 'old' }) {
  const rs = props.rs;
  return (
    <span class={`dep-rs-line dep-rs-${props.role}`} data-testid={`replicaset-${props.role}`}>
      <span class="dep-rs-role">{props.role}</span>
      <span class="mono">{rs.name}</span>
      {rs.revision > 0 && <span class="muted">rev {rs.revision}</span>}
      <span>
        {rs.ready}/{rs.desired} ready{rs.current !== rs.desired ? ` · ${rs.current} running` : ''}
      </span>
    </span>
  );
}

/**
 * Three stacked bars against the desired count (SVG attributes, not inline styles, so the strict
 * CSP holds): updated, ready, available — a finished rollout fills all three.
 */
function ProgressBar(props: { summary: RolloutSummary }) {
  const s = props.summary;
  const total = Math.max(1, s.desired);
  const bars: { key: keyof RolloutSummary['bar']; label: string }[] = [
    { key: 'updated', label: 'updated' },
    { key: 'ready', label: 'ready' },
    { key: 'available', label: 'available' },
  ];
  return (
    <div class="dep-bars" data-testid="rollout-bar">
      {bars.map((b) => (
        <div key={b.key} class="dep-bar-row">
          <span class="dep-bar-label">{b.label}</span>
          <svg
            class="dep-bar"
            viewBox="0 0 100 6"
            preserveAspectRatio="none"
            role="img"
            aria-label={`${s.bar[b.key]} of ${s.desired} ${b.label}`}
          >
            <rect class="dep-bar-track" x={0} y={0} width={100} height={6} rx={1} />
            <rect
              class={`dep-bar-fill dep-bar-${b.key}`}
              x={0}
              y={0}
              width={(100 * s.bar[b.key]) / total}
              height={6}
              rx={1}
            />
          </svg>
          <span class="dep-bar-count mono">
            {s.bar[b.key]}/{s.desired}
          </span>
        </div>
      ))}
    </div>
  );
}
