/**
 * The dashboard's shell: top bar (nodes, connection state, links) and routing by `location.hash`:
 * `#/pods`, `#/pods?ns=NS`, `#/pods/NS/NAME`, `#/deployments`, `#/services`, `#/nodes`.
 *
 * data-testid conventions the browser test (test/e2e/dashboard.test.ts) relies on — keep them:
 *   pods table: `pod-row` rows with `data-pod="NAME"`, cells `pod-ready` / `pod-status` / `pod-restarts`;
 *   Services view: `endpoint-ready` / `endpoint-notready` rows containing the pod's name;
 *   Deployments view: the scale control is `ScaleControl` from actions.tsx (`scale-input-NAME`,
 *   button `scale-NAME`); every confirmation dialog has `confirm-yes` / `confirm-no`.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { useEffect, useState } from 'preact/hooks';
import { useConnectionState, useListWatch } from './api.js';
import { DeploymentsView } from './deployments-view.js';
import { NodesView } from './nodes-view.js';
import { PodDetail } from './pod-detail.js';
import { PodsView } from './pods-view.js';
import { parseRoute, type Route } from './route.js';
import { ServicesView } from './services-view.js';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

const LINKS: readonly [Route['view'], string, string][] = [
  ['pods', '#/pods', 'Pods'],
  ['deployments', '#/deployments', 'Deployments'],
  ['services', '#/services', 'Services'],
  ['nodes', '#/nodes', 'Nodes'],
];

function TopBar(props: { route: Route }) {
  const connection = useConnectionState();
  const nodes = useListWatch<Node & { metadata: { name: string } }>('/api/v1/nodes');
  const current = props.route.view === 'pod' ? 'pods' : props.route.view;
  return (
    <header class="topbar">
      <span class="brand">podvisor</span>
      <span class="mono nodes" title="nodes">
        {nodes.items?.map((n) => n.metadata.name).join(', ') ?? '…'}
      </span>
      <span class={`connection ${connection}`} data-testid="connection">
        {connection === 'live'
          ? '● live'
          : connection === 'reconnecting'
            ? '○ reconnecting…'
            : '○ connecting…'}
      </span>
      <nav>
        {LINKS.map(([view, href, label]) => (
          <a key={view} href={href} class={view === current ? 'current' : ''}>
            {label}
          </a>
        ))}
      </nav>
    </header>
  );
}

function View(props: { route: Route }) {
  const r = props.route;
  switch (r.view) {
    case 'pod':
      return <PodDetail key={`${r.namespace}/${r.name}`} namespace={r.namespace} name={r.name} />;
    case 'deployments':
      return <DeploymentsView />;
    case 'services':
      return <ServicesView />;
    case 'nodes':
      return <NodesView />;
    case 'pods':
      return (
        <PodsView
          namespace={r.namespace}
          onNamespace={(ns) => {
            location.hash = ns ? `#/pods?ns=${encodeURIComponent(ns)}` : '#/pods';
          }}
        />
      );
  }
}

export function App(props: { hasToken: boolean }) {
  const route = useRoute();
  if (!props.hasToken)
    return (
      <main class="content">
        <h1>podvisor</h1>
        <p>
          This page needs the node's token. Run <code>podvisor dashboard</code> and open the address it
          prints: the token travels in its <code>#token=…</code> fragment, which the browser never sends to a
          server.
        </p>
      </main>
    );
  return (
    <>
      <TopBar route={route} />
      <main class="content">
        <View route={route} />
      </main>
    </>
  );
}
