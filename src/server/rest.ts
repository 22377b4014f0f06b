import type { KubeObject } from '../api/types.js';
import { notFound } from '../store/errors.js';
import { boolParam, decodeBody, intParam, readBody, sendJson, warningHeaders } from './http-io.js';
import { apiVersionOf, type Admission, type DeleteOptions, type RequestContext } from './resource-types.js';
import { ApiError, badRequest, invalid, successStatus } from './status.js';
import { respondWithTable, tableWatchEncoding } from './tables/index.js';
import { serveWatch } from './watch.js';
import { sendList } from './json-encoding.js';
import { checkResourceVersion, updateWarnings } from './patch/preconditions.js';

/**
 * The generic REST verbs (k8s.io/apiserver/pkg/endpoints/handlers), driven by a ResourceType.
 */

function listOptions(
  ctx: RequestContext,
  extraField?: string,
): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
  const fieldSelector = [ctx.query.get('fieldSelector') ?? '', extraField ?? '']
    .filter((s) => s !== '')
    .join(',');
  const opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {};
  if (ctx.namespace !== undefined) opts.namespace = ctx.namespace;
  const labels = ctx.query.get('labelSelector');
  if (labels) opts.labelSelector = labels;
  if (fieldSelector) opts.fieldSelector = fieldSelector;
  return opts;
}

function startWatch(ctx: RequestContext, extraField?: string): void {
  const timeoutSeconds = intParam(ctx.query, 'timeoutSeconds');
  const rv = ctx.query.get('resourceVersion');
  const encode = tableWatchEncoding(ctx);
  serveWatch(ctx.res, {
    store: ctx.store,
    clock: ctx.clock,
    resource: ctx.type.resource,
    opts: { ...listOptions(ctx, extraField), ...(rv ? { resourceVersion: rv } : {}) },
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(encode ? { encode } : {}),
    ...(boolParam(ctx.query, 'allowWatchBookmarks')
      ? { bookmarks: { kind: ctx.type.kind, apiVersion: apiVersionOf(ctx.type) } }
      : {}),
  });
}

/** GET on a collection: a list, or a watch with `?watch=true` (and the legacy /watch/ paths). */
export function listOrWatch(ctx: RequestContext, forceWatch = false): void {
  if (forceWatch || boolParam(ctx.query, 'watch')) return startWatch(ctx);
  const limit = intParam(ctx.query, 'limit');
  if (limit !== undefined && limit < 0)
    throw badRequest(`limit: Invalid value: ${limit}: must be greater than or equal to 0`);
  // We never hand out continue tokens, so a client sending one is not continuing anything of ours.
  if (ctx.query.get('continue'))
    throw badRequest(
      'continue key is not valid: this server does not page lists; list again without continue',
    );
  // `limit` is honoured by returning everything with no `continue`: the API allows a server to
  // ignore it, and kubectl then does not page (kubectl-surface §3).
  // Shared: the stored (frozen) objects, only printed or serialised here, so no copy per item.
  const result = ctx.store.list(ctx.type.resource, { ...listOptions(ctx), shared: true });
  if (respondWithTable(ctx, result.items, result.resourceVersion)) return;
  const head = {
    kind: ctx.type.listKind,
    apiVersion: apiVersionOf(ctx.type),
    metadata: { resourceVersion: result.resourceVersion },
  };
  sendList(ctx.res, head, result.items);
}

/** GET on one object; `?watch=true` watches just that object (fieldSelector metadata.name). */
export function getOrWatch(ctx: RequestContext, forceWatch = false): void {
  const name = ctx.name as string;
  if (forceWatch || boolParam(ctx.query, 'watch'))
    return startWatch(ctx, `metadata.name=${name.replace(/([\\,=])/g, '\\$1')}`);
  const obj = getExisting(ctx);
  if (respondWithTable(ctx, [obj], obj.metadata.resourceVersion)) return;
  sendJson(ctx.res, 200, obj);
}

export function getExisting(ctx: RequestContext): KubeObject {
  const obj = ctx.store.get(ctx.type.resource, ctx.namespace ?? '', ctx.name as string);
  if (!obj) throw notFound(ctx.type.resource, ctx.name as string);
  return obj;
}

/** Reads the request body as an object of the resource's kind, namespace and (for PUT) name checked. */
export async function readObject(ctx: RequestContext): Promise<KubeObject> {
  const body = decodeBody(ctx.req, await readBody(ctx.req));
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the request body must be a JSON object');
  const obj = body as Partial<KubeObject> & Record<string, unknown>;
  const t = ctx.type;
  if (obj.kind !== undefined && obj.kind !== t.kind) {
    throw badRequest(
      `the kind in the data (${String(obj.kind)}) does not match the expected kind (${t.kind})`,
    );
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t)) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`,
    );
  }
  const meta = (
    obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : {}
  ) as KubeObject['metadata'];
  if (t.namespaced) {
    if (meta.namespace && meta.namespace !== ctx.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    meta.namespace = ctx.namespace as string;
  } else {
    meta.namespace = '';
  }
  if (ctx.name !== undefined && meta.name !== ctx.name) {
    throw badRequest(
      `the name of the object (${meta.name ?? ''}) does not match the name on the URL (${ctx.name})`,
    );
  }
  return { ...obj, apiVersion: apiVersionOf(t), kind: t.kind, metadata: meta } as KubeObject;
}

/**
 * Admission plus `fieldValidation` (kubectl create/apply send Strict): Strict refuses unknown
 * fields with the apiserver's strict-decoding 400, Warn (the default) passes the warnings on,
 * Ignore drops them.
 */
export function admitOrThrow(ctx: RequestContext, obj: KubeObject): Admission & { object: KubeObject } {
  const adm = ctx.type.admit(obj);
  const unknown = adm.unknownFields ?? [];
  const validation = ctx.query.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(validation)) {
    throw badRequest(
      `fieldValidation: Unsupported value: "${validation}": supported values: "Ignore", "Strict", "Warn"`,
    );
  }
  if (validation === 'Strict' && unknown.length > 0) {
    const t = ctx.type;
    const list = unknown.map((f) => `unknown field "${f}"`).join(', ');
    throw badRequest(
      `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${list}`,
    );
  }
  if (adm.errors.length > 0 || !adm.object) {
    // A non-string name is one of the errors; the Status still names the object with a string.
    const name = typeof obj.metadata.name === 'string' ? obj.metadata.name : '';
    throw invalid(ctx.type.kind, name, adm.errors, ctx.type.group || undefined);
  }
  if (validation === 'Ignore' && unknown.length > 0) {
    const dropped = new Set(unknown.map((f) => `unknown field "${f}"`));
    return { ...adm, object: adm.object, warnings: adm.warnings.filter((w) => !dropped.has(w)) };
  }
  return adm as Admission & { object: KubeObject };
}

function warningHeaderRecord(warnings: readonly string[]): Record<string, string[]> {
  return warnings.length > 0 ? { Warning: warningHeaders(warnings) } : {};
}

export function isDryRun(ctx: RequestContext): boolean {
  const values = ctx.query.getAll('dryRun');
  if (values.some((v) => v !== 'All'))
    throw badRequest(
      `dryRun: Unsupported value: "${values.find((v) => v !== 'All')}": supported values: "All"`,
    );
  return values.length > 0;
}

export async function create(ctx: RequestContext): Promise<void> {
  const obj = await readObject(ctx);
  const adm = admitOrThrow(ctx, obj);
  const headers = warningHeaderRecord(adm.warnings);
  const prepared = ctx.type.prepareCreate ? ctx.type.prepareCreate(adm.object, ctx) : adm.object;
  // A server-side dry run validates and answers without storing anything.
  const stored = isDryRun(ctx) ? prepared : ctx.store.create(ctx.type.resource, prepared);
  sendJson(ctx.res, 201, stored, headers);
}

export async function update(ctx: RequestContext): Promise<void> {
  const obj = await readObject(ctx);
  const existing = getExisting(ctx);
  checkResourceVersion(ctx.type.resource, obj, existing);
  const adm = admitOrThrow(ctx, obj);
  const next = ctx.type.prepareUpdate
    ? ctx.type.prepareUpdate(adm.object, existing)
    : preserveDeletion(adm.object, existing);
  // The kind's update rules (pods: ValidatePodUpdate's immutable spec).
  const updateErrors = ctx.type.validateUpdate?.(next, existing) ?? [];
  if (updateErrors.length > 0)
    throw invalid(ctx.type.kind, existing.metadata.name ?? '', updateErrors, ctx.type.group || undefined);
  const headers = warningHeaderRecord(updateWarnings(ctx.type, adm));
  const stored = isDryRun(ctx) ? next : ctx.store.update(ctx.type.resource, next);
  sendJson(ctx.res, 200, stored, headers);
}

/** deletionTimestamp and its grace period are the server's to set, never a client's PUT. */
export function preserveDeletion(next: KubeObject, existing: KubeObject): KubeObject {
  const meta = { ...next.metadata };
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (existing.metadata.deletionTimestamp) {
    meta.deletionTimestamp = existing.metadata.deletionTimestamp;
    if (existing.metadata.deletionGracePeriodSeconds !== undefined)
      meta.deletionGracePeriodSeconds = existing.metadata.deletionGracePeriodSeconds;
  }
  return { ...next, metadata: meta };
}

const PROPAGATION_POLICIES = ['Orphan', 'Background', 'Foreground'] as const;

function setPropagationPolicy(opts: DeleteOptions, value: string | undefined): void {
  if (value === undefined) return;
  const known = PROPAGATION_POLICIES.find((p) => p === value);
  if (!known)
    throw badRequest(
      `propagationPolicy: Unsupported value: "${value}": supported values: "Foreground", "Background", "Orphan"`,
    );
  opts.propagationPolicy = known;
}

async function deleteOptions(ctx: RequestContext): Promise<DeleteOptions> {
  const opts: DeleteOptions = { dryRun: isDryRun(ctx) };
  const fromQuery = intParam(ctx.query, 'gracePeriodSeconds');
  if (fromQuery !== undefined) opts.gracePeriodSeconds = fromQuery;
  setPropagationPolicy(opts, ctx.query.get('propagationPolicy') ?? undefined);
  if (ctx.query.get('orphanDependents') === 'true') opts.propagationPolicy ??= 'Orphan';
  const body = decodeBody(ctx.req, await readBody(ctx.req));
  if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body))
      throw badRequest('the request body must be a DeleteOptions object');
    const b = body as {
      gracePeriodSeconds?: unknown;
      preconditions?: { uid?: unknown; resourceVersion?: unknown };
      dryRun?: unknown;
      propagationPolicy?: unknown;
      orphanDependents?: unknown;
    };
    if (b.propagationPolicy !== undefined && b.propagationPolicy !== null)
      setPropagationPolicy(opts, String(b.propagationPolicy));
    else if (b.orphanDependents === true) opts.propagationPolicy = 'Orphan';
    if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null) {
      if (typeof b.gracePeriodSeconds !== 'number' || !Number.isInteger(b.gracePeriodSeconds))
        throw badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = b.gracePeriodSeconds;
    }
    if (b.preconditions && typeof b.preconditions === 'object') {
      opts.preconditions = {};
      if (typeof b.preconditions.uid === 'string') opts.preconditions.uid = b.preconditions.uid;
      if (typeof b.preconditions.resourceVersion === 'string')
        opts.preconditions.resourceVersion = b.preconditions.resourceVersion;
    }
    if (Array.isArray(b.dryRun) && b.dryRun.includes('All')) opts.dryRun = true;
  }
  return opts;
}

/** DELETE on one object, with the resource's graceful deletion when it has one. */
export async function remove(ctx: RequestContext): Promise<void> {
  const opts = await deleteOptions(ctx);
  const existing = getExisting(ctx);
  const name = ctx.name as string;
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== existing.metadata.uid) {
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`,
      {
        name,
        kind: ctx.type.resource,
      },
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`,
      { name, kind: ctx.type.resource },
    );
  }
  const decision = ctx.type.beginDelete ? ctx.type.beginDelete(existing, opts, ctx) : 'now';
  if (decision !== 'now') {
    const pending = opts.dryRun
      ? decision
      : (ctx.store.mutate(ctx.type.resource, ctx.namespace ?? '', name, () => decision) ?? decision);
    sendJson(ctx.res, 200, pending);
    return;
  }
  const deleted = opts.dryRun ? existing : ctx.store.delete(ctx.type.resource, ctx.namespace ?? '', name);
  if (ctx.type.returnDeletedObject) sendJson(ctx.res, 200, deleted);
  else {
    const details = ctx.type.group
      ? { name, group: ctx.type.group, kind: ctx.type.resource, uid: deleted.metadata.uid ?? '' }
      : { name, kind: ctx.type.resource, uid: deleted.metadata.uid ?? '' };
    sendJson(ctx.res, 200, successStatus(details));
  }
}

/** GET …/status: the whole object, as the apiserver answers it. */
export function getStatus(ctx: RequestContext): void {
  sendJson(ctx.res, 200, getExisting(ctx));
}

/** PUT …/status: only `status` is taken from the body (the status strategy). */
export async function updateStatus(ctx: RequestContext): Promise<void> {
  const obj = await readObject(ctx);
  const existing = getExisting(ctx);
  const next = {
    ...existing,
    metadata: { ...existing.metadata, resourceVersion: obj.metadata.resourceVersion },
    status: (obj as { status?: unknown }).status,
  };
  if (!obj.metadata.resourceVersion) delete next.metadata.resourceVersion;
  const stored = isDryRun(ctx) ? next : ctx.store.update(ctx.type.resource, next);
  sendJson(ctx.res, 200, stored);
}
