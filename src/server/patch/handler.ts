import type { KubeObject } from '../../api/types.js';
import { readBody, sendJson, warningHeaders } from '../http-io.js';
import { apiVersionOf, type RequestContext } from '../resource-types.js';
import { admitOrThrow, getExisting, isDryRun, preserveDeletion } from '../rest.js';
import { ApiError, badRequest, invalid } from '../status.js';
import { applyJsonPatch } from './json-patch.js';
import { isJsonObject, PatchError, type Json, type JsonObject } from './json-value.js';
import { applyMergePatch } from './merge-patch.js';
import { patchMetaFor } from './patch-meta.js';
import { checkResourceVersion, updateWarnings } from './preconditions.js';
import { applyStrategicMergePatch } from './strategic-merge.js';

/**
 * PATCH on an object and on its `/status` (k8s.io/apiserver endpoints/handlers/patch.go): the
 * patch is applied to the stored object, and the result goes through the same admission and
 * update rules as a PUT. A `metadata.resourceVersion` in the patch is a precondition (409 when
 * stale); without one the patch applies to whatever is stored.
 */

export type PatchType = 'json' | 'merge' | 'strategic';

const CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

const ACCEPTED =
  'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json';

export function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const known = CONTENT_TYPES[type];
  if (known) return known;
  if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED} ` +
        `(podvisor does not implement server-side apply: use client-side "kubectl apply" without --server-side)`,
    );
  }
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED}`,
  );
}

/** Applies a decoded patch of the given type to a stored object of `kind`. */
export function applyPatch(type: PatchType, stored: KubeObject, patch: unknown, kind: string): JsonObject {
  const doc = JSON.parse(JSON.stringify(stored)) as JsonObject;
  let result: Json;
  switch (type) {
    case 'json':
      result = applyJsonPatch(doc, patch);
      break;
    case 'merge':
      if (!isJsonObject(patch)) throw new PatchError('the merge patch must be a JSON object');
      result = applyMergePatch(doc, patch);
      break;
    case 'strategic':
      result = applyStrategicMergePatch(doc, patch, patchMetaFor(kind));
      break;
  }
  if (!isJsonObject(result)) throw new PatchError('the patched object is not a JSON object');
  return result;
}

/** A PatchError as the apiserver answers it: 400 for a malformed patch, 422 for one that does not apply. */
function patchFailure(err: PatchError): ApiError {
  if (err.kind === 'Invalid') {
    // errors.NewGenericServerResponse(422, ...) words the message; the cause says what failed
    // (kubectl prints it: `The request is invalid: patch: testing value /a failed: test failed`).
    return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ reason: 'UnexpectedServerResponse', message: err.message, field: 'patch' }],
    });
  }
  return badRequest(err.message);
}

async function readPatch(ctx: RequestContext): Promise<{ type: PatchType; patch: unknown }> {
  const type = patchTypeOf(ctx.req.headers['content-type']);
  const body = await readBody(ctx.req);
  if (body.length === 0) throw badRequest('the body of the patch request is empty');
  try {
    return { type, patch: JSON.parse(body.toString('utf8')) as unknown };
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

function patched(ctx: RequestContext, type: PatchType, patch: unknown, existing: KubeObject): JsonObject {
  try {
    return applyPatch(type, existing, patch, ctx.type.kind);
  } catch (err) {
    if (err instanceof PatchError) throw patchFailure(err);
    throw err;
  }
}

/** What a patch may not change: the object's kind and identity (as for a PUT body). */
function checkIdentity(ctx: RequestContext, obj: JsonObject, existing: KubeObject): KubeObject {
  const t = ctx.type;
  if (obj.kind !== t.kind || obj.apiVersion !== apiVersionOf(t)) {
    throw badRequest(
      `the patch may not change the kind or API version of the object (${t.kind}, ${apiVersionOf(t)})`,
    );
  }
  const meta = isJsonObject(obj.metadata) ? obj.metadata : {};
  if (meta.name !== existing.metadata.name) {
    throw badRequest(
      `the name of the object (${String(meta.name ?? '')}) does not match the name on the URL (${existing.metadata.name})`,
    );
  }
  if ((meta.namespace ?? '') !== (existing.metadata.namespace ?? '')) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return obj as unknown as KubeObject;
}

/** PATCH on the object itself. */
export async function patchObject(ctx: RequestContext): Promise<void> {
  const { type, patch } = await readPatch(ctx);
  const dryRun = isDryRun(ctx);
  // From here on everything is synchronous: no other write can slip between read and update.
  const existing = getExisting(ctx);
  const candidate = checkIdentity(ctx, patched(ctx, type, patch, existing), existing);
  checkResourceVersion(ctx.type.resource, candidate, existing);
  const adm = admitOrThrow(ctx, candidate);
  const next = ctx.type.prepareUpdate
    ? ctx.type.prepareUpdate(adm.object, existing)
    : preserveDeletion(adm.object, existing);
  const updateErrors = ctx.type.validateUpdate?.(next, existing) ?? [];
  if (updateErrors.length > 0) {
    throw invalid(ctx.type.kind, existing.metadata.name ?? '', updateErrors, ctx.type.group || undefined);
  }
  const stored = dryRun ? next : ctx.store.update(ctx.type.resource, next);
  const warnings = updateWarnings(ctx.type, adm);
  const headers: Record<string, string[]> = warnings.length > 0 ? { Warning: warningHeaders(warnings) } : {};
  sendJson(ctx.res, 200, stored, headers);
}

/** PATCH on `/status`: only the status (and a resourceVersion precondition) is taken from the result. */
export async function patchStatus(ctx: RequestContext): Promise<void> {
  const { type, patch } = await readPatch(ctx);
  const dryRun = isDryRun(ctx);
  const existing = getExisting(ctx);
  const result = checkIdentity(ctx, patched(ctx, type, patch, existing), existing);
  const next = {
    ...existing,
    metadata: { ...existing.metadata, resourceVersion: result.metadata.resourceVersion },
    status: (result as { status?: unknown }).status,
  };
  if (!result.metadata.resourceVersion) delete next.metadata.resourceVersion;
  const stored = dryRun ? next : ctx.store.update(ctx.type.resource, next);
  sendJson(ctx.res, 200, stored);
}
