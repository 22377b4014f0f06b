/**
 * `#/services`: every Service with its endpoints, ready and not ready as the Endpoints controller
 * published them, and the connections the service proxy forwarded to each backend — the place to
 * watch an unready replica leave the rotation and come back. All live through list + watch.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { useListWatch } from './api.js';
import { summarizeServices, type ServiceSummary, type ServiceTrafficView } from './service-model.js';
import './views.css';

type Named<T> = T & { metadata: { name: string } };

export function ServicesView() {
  const services = useListWatch<Named<Service>>('/api/v1/services');
  const endpoints = useListWatch<Named<Endpoints>>('/api/v1/endpoints');
  const traffic = useListWatch<Named<ServiceTrafficView>>('/apis/podvisor.io/v1alpha1/servicetraffics');

  if (!services.items) {
    return (
      <p class="muted">{services.error ? `Cannot list services: ${services.error}` : 'Loading services…'}</p>
    );
  }
  const summaries = summarizeServices(services.items, endpoints.items ?? [], traffic.items);
  return (
    <section class="svc-view" data-testid="services-view">
      <div class="toolbar">
        <h2>Services</h2>
        {services.error && <span class="error">{services.error}</span>}
        {endpoints.error && <span class="error">endpoints: {endpoints.error}</span>}
        {!traffic.items && (
          <span class="muted" data-testid="traffic-unavailable">
            {traffic.error
              ? `traffic counters unavailable (${traffic.error}); retrying`
              : 'traffic counters loading…'}
          </span>
        )}
      </div>
      {summaries.length === 0 ? (
        <p class="muted">No services. Apply one with `podvisor apply -f service.yaml`.</p>
      ) : (
        summaries.map((s) => <ServiceCard key={`${s.namespace}/${s.name}`} summary={s} />)
      )}
    </section>
  );
}

function ServiceCard(props: { summary: ServiceSummary }) {
  const s = props.summary;
  const counted = s.rejected !== undefined;
  const health = s.readyCount === 0 ? 'bad' : s.notReadyCount > 0 ? 'warn' : 'ok';
  return (
    <article class="svc-card" data-testid="service-card" data-service={s.name}>
      <header class="svc-head">
        <h3 class="mono">
          <span class="muted">{s.namespace}/</span>
          {s.name}
        </h3>
        <span class={`svc-badge status ${health}`}>
          {s.readyCount} ready{s.notReadyCount ? ` · ${s.notReadyCount} not ready` : ''}
        </span>
      </header>
      <dl class="svc-facts">
        <dt>Type</dt>
        <dd>{s.type}</dd>
        <dt>Cluster IP</dt>
        <dd class="mono">{s.clusterIP}</dd>
        <dt>Ports</dt>
        <dd class="mono">{s.portDetails.length ? s.portDetails.join(', ') : '<none>'}</dd>
        <dt>Selector</dt>
        <dd class="mono">{s.selector}</dd>
        {counted && (
          <>
            <dt>Refused</dt>
            <dd data-testid="service-rejected">
              {(s.rejected ?? []).map((r) => (
                <span
                  key={`${r.port}/${r.protocol}`}
                  class={`svc-rejected${r.rejected > 0 ? ' status bad' : ''}`}
                >
                  {r.port}/{r.protocol}: {r.rejected} connection{r.rejected === 1 ? '' : 's'} refused (no
                  ready endpoint)
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {s.endpoints.length === 0 ? (
        <p class="muted svc-none">
          No endpoints: no pod matches the selector{s.selector === '<none>' ? ' (the service has none)' : ''}.
        </p>
      ) : (
        <table class="grid svc-endpoints">
          <thead>
            <tr>
              <th>POD</th>
              <th>ADDRESS</th>
              <th>STATE</th>
              <th class="num">CONNECTIONS</th>
              <th class="num">OPEN NOW</th>
            </tr>
          </thead>
          <tbody>
            {s.endpoints.map((e) => (
              <tr
                key={`${e.ip}/${String(e.ready)}`}
                data-testid={e.ready ? 'endpoint-ready' : 'endpoint-notready'}
                data-pod={e.pod}
                class={e.ready ? '' : 'svc-notready'}
              >
                <td class="mono">{e.pod}</td>
                <td class="mono">{e.addresses.join(', ')}</td>
                <td>
                  <span class={`status ${e.ready ? 'ok' : 'bad'}`}>{e.ready ? 'READY' : 'NOT READY'}</span>
                </td>
                <td class="num">{e.connections ?? '–'}</td>
                <td class="num">{e.active ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {counted && (s.formerConnections ?? 0) > 0 && (
        <p class="muted svc-former">
          {s.formerConnections} connection{s.formerConnections === 1 ? '' : 's'} went to backends no longer
          listed.
        </p>
      )}
    </article>
  );
}
