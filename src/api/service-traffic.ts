import type { PODVISOR_API_VERSION } from './probe-history.js';

/**
 * podvisor.io/v1alpha1 ServiceTraffic (issue 8): what the service proxy forwarded for one
 * Service, read-only, one object per Service (named like it). The proxy is a TCP proxy, so
 * everything is counted in connections, never requests. Counters start at zero with the node.
 *   GET /apis/podvisor.io/v1alpha1/[namespaces/{ns}/]servicetraffics[/{name}]   (list, get, watch)
 */
export interface ServiceTraffic {
  apiVersion: typeof PODVISOR_API_VERSION;
  kind: 'ServiceTraffic';
  metadata: {
    name: string;
    namespace: string;
    /**
     * The version of its latest change (a counter of the node's run, not of the store); in a
     * watch event, the version to resume that watch from (src/server/virtual-watch.ts).
     */
    resourceVersion: string;
    /** The Service's. */
    creationTimestamp?: string;
  };
  ports: ServiceTrafficPort[];
  backends: ServiceTrafficBackend[];
}

export interface ServiceTrafficPort {
  /** The Service port's name ("" when the Service has one unnamed port). */
  name: string;
  port: number;
  protocol: string;
  /** Connections refused (reset) because no endpoint was Ready. */
  rejected: number;
}

export interface ServiceTrafficBackend {
  /** `ip:targetPort`, as the proxy dials it. */
  address: string;
  /** The Endpoints address's targetRef; absent once the backend has left the Endpoints. */
  pod?: { name: string; namespace: string };
  /** The Service port it serves (0 when it left the Endpoints and cannot be told apart). */
  port: number;
  /** In the Endpoints' addresses (true), notReadyAddresses (false), or neither any more (absent). */
  ready?: boolean;
  /** Connections forwarded to it since the node started. */
  connections: number;
  /** Connections open now. */
  active: number;
}
