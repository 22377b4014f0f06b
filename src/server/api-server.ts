import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KUBE_VERSION } from '../probe/types.js';
import type { ObjectStore } from '../store/types.js';
import { RealClock, type Clock } from '../util/clock.js';
import { serveDiscovery } from './discovery.js';
import { isDashboardAssetRequest, serveDashboardAsset } from './dashboard.js';
import { eventResource } from './events.js';
import { makeTokenCheck, sendError, sendJson, sendStatusAndClose, sendText } from './http-io.js';
import type { LogSource } from './logs.js';
import { serveMetrics, type NodeMetrics } from './metrics.js';
import { makeOpenApiHandler } from './openapi/documents.js';
import { podResource, type AdmitPod } from './pods.js';
import {
  isProbeHistoryRead,
  probeHistoryResource,
  serveProbeHistoryRead,
  type ProbeHistorySource,
} from './probe-histories.js';
import { createPortForwardUpgrade } from './portforward/upgrade.js';
import {
  isServiceTrafficRead,
  serveServiceTrafficRead,
  serviceTrafficResource,
  type ServiceTrafficSource,
} from './service-traffic.js';
import type { RequestContext, ResourceType } from './resource-types.js';
import { assertSafePathNames, parseResourcePath, resolveRoute, ResourceRegistry } from './router.js';
import { failureStatus, methodNotAllowed, pathNotFound } from './status.js';
import { acceptTlsOnSamePort } from './tls-same-port.js';

export type { LogSource } from './logs.js';

export interface ApiServerOptions {
  store: ObjectStore;
  logs: LogSource;
  /** EVERY request (health checks, /version and unknown paths included) needs `Authorization: Bearer <token>`. */
  token: string;
  host?: string;
  port?: number;
  admitPod: AdmitPod;
  clock?: Clock;
  /** More resources (deployments, services, ...) to serve next to pods and events. */
  resources?: readonly ResourceType[];
  /** Also serve HTTPS on the same port with this certificate (kubectl sends tokens only over TLS). */
  tls?: { key: string; cert: string };
  /** The kubelets' probe histories: serves podvisor.io/v1alpha1 probehistories (issue 5). */
  probeHistories?: ProbeHistorySource;
  /** The service proxy's counters: serves podvisor.io/v1alpha1 servicetraffics (issue 8). */
  serviceTraffic?: ServiceTrafficSource;
  /** Serves GET /metrics (Prometheus text), token required like every path. */
  metrics?: NodeMetrics;
  /** How long a client may take to send a whole request (default REQUEST_LIMITS.requestTimeoutMs). */
  requestTimeoutMs?: number;
}

/**
 * Limits on RECEIVING a request (SECURITY.md §5). They do not cut responses: a
 * watch or `logs -f` streams for as long as its client reads. A client that trickles its headers
 * or body (slow loris) is disconnected once a limit passes; Node checks every `checkIntervalMs`.
 */
export const REQUEST_LIMITS = {
  /** The apiserver's default request timeout (--request-timeout 1m0s). */
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
  /** Node's default, set explicitly: request line + headers beyond this get 431. */
  maxHeaderBytes: 16 * 1024,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
} as const;

export interface ApiServer {
  url: string;
  port: number;
  /** Stops listening and ends every open request, watches and log follows included. */
  close(): Promise<void>;
}

const ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

/** /version in the apiserver's shape (kubectl-samples/version.json); minor 33 picks kubectl 1.33. */
export function versionInfo(): Record<string, string> {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: KUBE_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: `${process.platform}/${ARCH[process.arch] ?? process.arch}`,
  };
}

/**
 * Served to holders of the token only, like every other path: the apiserver leaves these open to
 * anonymous clients through RBAC, podvisor has no anonymous clients (SECURITY.md §1).
 */
const PLAIN_ROUTES: Readonly<Record<string, (res: ServerResponse) => void>> = {
  '/version': (res) => sendJson(res, 200, versionInfo()),
  '/healthz': (res) => sendText(res, 200, 'ok'),
  '/livez': (res) => sendText(res, 200, 'ok'),
  '/readyz': (res) => sendText(res, 200, 'ok'),
};

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const clock = opts.clock ?? new RealClock();
  const registry = new ResourceRegistry([
    podResource(opts.admitPod, opts.logs),
    eventResource(),
    ...(opts.resources ?? []),
    ...(opts.probeHistories ? [probeHistoryResource(opts.probeHistories)] : []),
    ...(opts.serviceTraffic ? [serviceTrafficResource()] : []),
  ]);
  const authorized = makeTokenCheck(opts.token);
  const serveOpenApi = makeOpenApiHandler(registry);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://podvisor.invalid');
    const method = req.method ?? 'GET';
    const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const plainRoute = PLAIN_ROUTES[pathname];
    if (plainRoute) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      plainRoute(res);
      return;
    }
    if (pathname === '/metrics' && opts.metrics) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      await serveMetrics(opts.metrics, res);
      return;
    }
    if (serveDiscovery(registry, req, res, pathname) || serveOpenApi(req, res, url)) return;
    const path = parseResourcePath(pathname);
    if (!path) throw pathNotFound();
    assertSafePathNames(path);
    const route = resolveRoute(registry, method, path);
    const ctx: RequestContext = {
      req,
      res,
      query: url.searchParams,
      store: opts.store,
      clock,
      type: route.type,
    };
    if (route.namespace !== undefined) ctx.namespace = route.namespace;
    if (route.name !== undefined) ctx.name = route.name;
    // Probe histories live in the kubelets, not in the store the generic GET handlers read.
    // So is service traffic (the proxy's counters); both check their own verbs.
    if (opts.probeHistories && isProbeHistoryRead(path, method))
      serveProbeHistoryRead(opts.probeHistories, ctx, path.watchPrefix);
    else if (opts.serviceTraffic && isServiceTrafficRead(path, method))
      serveServiceTrafficRead(opts.serviceTraffic, ctx, path.watchPrefix);
    else await route.run(ctx);
  };

  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_LIMITS.requestTimeoutMs;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(REQUEST_LIMITS.headersTimeoutMs, requestTimeout),
      connectionsCheckingInterval: REQUEST_LIMITS.checkIntervalMs,
      maxHeaderSize: REQUEST_LIMITS.maxHeaderBytes,
      keepAliveTimeout: REQUEST_LIMITS.keepAliveTimeoutMs,
    },
    (req, res) => {
      // The dashboard's three static files are the one exception to the gate: the same bytes for
      // everyone, no data, and a browser cannot put a token on a page load (SECURITY.md §1).
      if (isDashboardAssetRequest(req)) {
        serveDashboardAsset(req, res).catch((err: unknown) => sendError(res, err));
        return;
      }
      // The one gate, in front of every route (known or not), so routes added later are covered.
      if (!authorized(req)) {
        sendStatusAndClose(res, failureStatus(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      handle(req, res).catch((err: unknown) => sendError(res, err));
    },
  );
  // pods/portforward is only served as an HTTP upgrade (kubectl-surface §2.12); the upgrade
  // handler checks the token first too, whatever the path.
  const portForward = createPortForwardUpgrade({ store: opts.store, authorized });
  server.on('upgrade', portForward.handle);
  if (opts.tls) acceptTlsOnSamePort(server, opts.tls, server.headersTimeout);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Watches and `logs -f` never end by themselves; their 'close' handlers release everything.
        server.closeAllConnections();
        portForward.closeAll();
      }),
  };
}
