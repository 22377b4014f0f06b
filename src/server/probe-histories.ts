import { since } from '../api/kube-time.js';
import {
  PODVISOR_API_VERSION,
  PODVISOR_GROUP,
  PODVISOR_VERSION,
  type ProbeHistory,
  type ProbeRecord,
  type ProbeRunReport,
  type ProbeRunRequest,
} from '../api/probe-history.js';
import type { KubeObject } from '../api/types.js';
import type { PodIdentity } from '../kubelet/probe-history.js';
import { ProbeRunError } from '../kubelet/probe-run.js';
import type { ChangeFeed } from '../util/change-feed.js';
import { boolParam, decodeBody, readBody, sendJson } from './http-io.js';
import type { RequestContext, ResourceType, Verb } from './resource-types.js';
import type { ResourcePath } from './router.js';
import { ApiError, badRequest, methodNotAllowed } from './status.js';
import { respondWithTable } from './tables/index.js';
import { column, type TablePrinter } from './tables/types.js';
import {
  selects,
  serveVirtualWatch,
  virtualSelector,
  virtualWatchOptions,
  type VirtualCollection,
} from './virtual-watch.js';

/**
 * podvisor.io/v1alpha1 `probehistories` (issue 5 item 2): each pod's probe results and the
 * restarts its probes caused, read from the kubelets (they live in memory, as long as the pod's
 * worker, and are not objects of the store). Read-only: get, list (-A too) and, when the source
 * has a change feed, watch (issue 8: the dashboard's probe timeline, `kubectl get probehistories
 * -w`); the subresource POST `probehistories/{pod}/run` runs a probe now (`podvisor check pod/NAME`).
 */

/** The kubelets of this process (one or several virtual nodes), asked in turn. */
export interface ProbeHistorySource {
  probeHistory(namespace: string, name: string): ProbeHistory | undefined;
  probeHistories(namespace?: string): ProbeHistory[];
  /** Rejects with a ProbeRunError (404 / 400) when it cannot run. */
  runProbeNow(namespace: string, name: string, req: ProbeRunRequest): Promise<ProbeRunReport>;
  /**
   * Versions of every history, keyed by pod uid (one sequence for all kubelets). With it (and
   * probeHistoryOfUid) the resource is watchable; without it a watch is 405.
   */
  changes?: ChangeFeed<PodIdentity>;
  probeHistoryOfUid?(uid: string): ProbeHistory | undefined;
}

export const PROBE_HISTORY_RESOURCE = 'probehistories';

export function probeHistoryResource(source: ProbeHistorySource): ResourceType {
  return {
    group: PODVISOR_GROUP,
    version: PODVISOR_VERSION,
    resource: PROBE_HISTORY_RESOURCE,
    kind: 'ProbeHistory',
    listKind: 'ProbeHistoryList',
    singular: 'probehistory',
    shortNames: [],
    categories: [],
    namespaced: true,
    verbs: watchCollection(source) ? ['get', 'list', 'watch'] : (['get', 'list'] satisfies Verb[]),
    admit: () => ({
      errors: [
        {
          type: 'Forbidden',
          field: 'metadata',
          detail: 'probe histories are written by the kubelet and read-only through the API',
        },
      ],
      warnings: [],
    }),
    returnDeletedObject: false,
    table: probeHistoryTable,
    subresources: { run: { POST: (ctx) => runNow(source, ctx) } },
  };
}

/** GET on the collection or one history (the generic handlers would read the store). */
export function isProbeHistoryRead(path: ResourcePath, method: string): boolean {
  return (
    path.group === PODVISOR_GROUP &&
    path.resource === PROBE_HISTORY_RESOURCE &&
    path.subresource === undefined &&
    (method === 'GET' || method === 'HEAD')
  );
}

/** The watchable view of a source, or undefined when it has no change feed. */
function watchCollection(
  source: ProbeHistorySource,
): VirtualCollection<ProbeHistory & KubeObject, PodIdentity> | undefined {
  const { changes, probeHistoryOfUid } = source;
  if (!changes || !probeHistoryOfUid) return undefined;
  return {
    changes,
    objectOf: (uid) => probeHistoryOfUid.call(source, uid) as (ProbeHistory & KubeObject) | undefined,
    deletedObject: (meta, version) =>
      ({
        apiVersion: PODVISOR_API_VERSION,
        kind: 'ProbeHistory',
        metadata: {
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: String(version),
          ...(meta.creationTimestamp ? { creationTimestamp: meta.creationTimestamp } : {}),
        },
        probes: [],
        restarts: [],
      }) as ProbeHistory & KubeObject,
  };
}

/** list / get, and watch when the source has a change feed (405 otherwise, as the verbs say). */
export function serveProbeHistoryRead(
  source: ProbeHistorySource,
  ctx: RequestContext,
  watchPrefix = false,
): void {
  const collection = watchCollection(source);
  if (watchPrefix || boolParam(ctx.query, 'watch')) {
    if (!collection) throw methodNotAllowed();
    serveVirtualWatch(ctx.res, { ...virtualWatchOptions(ctx), collection });
    return;
  }
  if (ctx.name === undefined) {
    const selector = virtualSelector(ctx);
    // Read before building the items: nothing changes while they are built (one JS turn).
    const version = collection ? String(collection.changes.version) : undefined;
    const items = source.probeHistories(ctx.namespace).filter((h) => selects(selector, h.metadata));
    if (respondWithTable(ctx, items as unknown as KubeObject[], version)) return;
    sendJson(ctx.res, 200, {
      kind: 'ProbeHistoryList',
      apiVersion: PODVISOR_API_VERSION,
      metadata: version === undefined ? {} : { resourceVersion: version },
      items,
    });
    return;
  }
  const found = source.probeHistory(ctx.namespace ?? 'default', ctx.name);
  if (!found) throw notFound(ctx.name);
  if (respondWithTable(ctx, [found as unknown as KubeObject], undefined)) return;
  sendJson(ctx.res, 200, found);
}

function notFound(name: string): ApiError {
  return new ApiError(404, 'NotFound', `${PROBE_HISTORY_RESOURCE}.${PODVISOR_GROUP} "${name}" not found`, {
    name,
    group: PODVISOR_GROUP,
    kind: PROBE_HISTORY_RESOURCE,
  });
}

const PROBE_WORDS = ['liveness', 'readiness', 'startup'];

async function runNow(source: ProbeHistorySource, ctx: RequestContext): Promise<void> {
  const name = ctx.name as string;
  const body = decodeBody(ctx.req, await readBody(ctx.req));
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body)))
    throw badRequest('the request body must be a ProbeRunRequest object');
  const raw = (body ?? {}) as Record<string, unknown>;
  if (raw.kind !== undefined && raw.kind !== 'ProbeRunRequest')
    throw badRequest(
      `the kind in the data (${String(raw.kind)}) does not match the expected kind (ProbeRunRequest)`,
    );
  const req: ProbeRunRequest = {};
  if (raw.container !== undefined && raw.container !== '') {
    if (typeof raw.container !== 'string') throw badRequest('container: must be a string naming a container');
    req.container = raw.container;
  }
  if (raw.probe !== undefined && raw.probe !== '') {
    if (typeof raw.probe !== 'string' || !PROBE_WORDS.includes(raw.probe))
      throw badRequest(
        `probe: Unsupported value: ${JSON.stringify(raw.probe)}: supported values: "liveness", "readiness", "startup"`,
      );
    req.probe = raw.probe as ProbeRunRequest['probe'];
  }
  const namespace = ctx.namespace ?? 'default';
  try {
    sendJson(ctx.res, 200, await source.runProbeNow(namespace, name, req));
  } catch (err) {
    if (err instanceof ProbeRunError) {
      if (err.code === 404) throw podNotFound(name);
      throw badRequest(err.message);
    }
    throw err;
  }
}

function podNotFound(name: string): ApiError {
  return new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
}

// ---- kubectl get probehistories ----------------------------------------------------------

const COLUMNS = [
  column('Name', 'The pod the history belongs to.', { format: 'name' }),
  column('Probes', 'Probes with a history: container/type, or the type when the pod has one container.'),
  column('Last Failure', 'How long ago the newest failed or errored probe run was, and which probe.'),
  column('Restarts By Probes', 'Restarts that liveness or startup probes caused (the last 20 are kept).', {
    type: 'integer',
  }),
  column('Message', 'The newest failure message.', { priority: 1 }),
];

export const probeHistoryTable: TablePrinter = {
  columns: COLUMNS,
  row(obj, now) {
    const h = obj as unknown as ProbeHistory;
    const containers = new Set(h.probes.map((p) => p.container));
    const probes = h.probes
      .map((p) => {
        const type = p.probeType.toLowerCase();
        return containers.size > 1 ? `${p.container}/${type}` : type;
      })
      .join(',');
    let last: { record: ProbeRecord; label: string } | undefined;
    for (const p of h.probes) {
      for (const r of p.results) {
        if (r.verdict !== 'failure' && r.verdict !== 'error') continue;
        if (!last || r.time > last.record.time)
          last = { record: r, label: `${p.container} ${p.probeType.toLowerCase()}` };
      }
    }
    const lastCell = last ? `${since(last.record.time, now)} ago (${last.label})` : '<none>';
    return {
      cells: [
        h.metadata.name,
        probes === '' ? '<none>' : probes,
        lastCell,
        h.restarts.length,
        last?.record.message ?? '',
      ],
    };
  },
};
