import { clone, isJsonObject, jsonEqual, PatchError, type Json, type JsonObject } from './json-value.js';
import type { ListMeta, PatchMeta } from './patch-meta.js';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`; kubectl apply's client-side
 * apply and `kubectl patch`'s default), the rules of k8s.io/apimachinery strategicpatch:
 * maps merge and `null` deletes a key; lists with a merge key merge item by item (the patch
 * metadata table says which); other lists are replaced. Directives: `$patch: replace|delete|merge`
 * on maps and list items, `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
 * `$setElementOrder/<field>`.
 */

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function applyStrategicMergePatch(original: JsonObject, patch: unknown, meta: PatchMeta): JsonObject {
  if (!isJsonObject(patch))
    throw new PatchError('unable to find api field in struct Pod for the json field "patch"');
  return mergeMap(original, patch, '', meta) ?? {};
}

/** Merges `patch` into (a copy of) `original`; undefined when the patch deletes the map. */
function mergeMap(
  original: Json | undefined,
  patch: JsonObject,
  path: string,
  meta: PatchMeta,
): JsonObject | undefined {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') {
      const { [PATCH]: _dropped, ...rest } = patch;
      return mergeMap({}, rest, path, meta);
    }
    if (directive !== 'merge') {
      throw new PatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
    }
  }
  const result: JsonObject = isJsonObject(original) ? clone(original) : {};
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string'))
      throw new PatchError(
        `invalid patch: ${RETAIN_KEYS} must be a list of strings, got ${JSON.stringify(retain)}`,
      );
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  const orders: [string, Json[]][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === PATCH || key === RETAIN_KEYS) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      deleteFromPrimitiveList(result, key.slice(DELETE_FROM_PRIMITIVE.length), value);
      continue;
    }
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw new PatchError(`invalid patch: ${key} must be a list`);
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    const p = child(path, key);
    if (value === null) delete result[key];
    else if (isJsonObject(value)) {
      const merged = mergeMap(result[key], value, p, meta);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      const list = meta(p);
      result[key] = list ? mergeList(result[key], value, list, p, meta) : stripDirectives(value);
    } else result[key] = value;
  }
  for (const [key, order] of orders) {
    const list = result[key];
    if (Array.isArray(list)) result[key] = applyOrder(list, order, meta(child(path, key))?.mergeKey);
  }
  return result;
}

/** A replaced list keeps no directive keys inside its items. */
function stripDirectives(list: Json[]): Json[] {
  return list.map((item) => (isJsonObject(item) ? (mergeMap({}, item, '', () => undefined) ?? {}) : item));
}

function deleteFromPrimitiveList(result: JsonObject, field: string, values: Json): void {
  if (!Array.isArray(values))
    throw new PatchError(`invalid patch: ${DELETE_FROM_PRIMITIVE}${field} must be a list`);
  const cur = result[field];
  if (Array.isArray(cur)) result[field] = cur.filter((v) => !values.some((d) => jsonEqual(d, v)));
}

function mergeList(
  original: Json | undefined,
  patch: Json[],
  list: ListMeta,
  path: string,
  meta: PatchMeta,
): Json[] {
  const orig = Array.isArray(original) ? clone(original) : [];
  const key = list.mergeKey;
  if (key === undefined) {
    // A merged list of scalars (finalizers): the union, original order first.
    const out = [...orig];
    for (const v of patch) if (!out.some((o) => jsonEqual(o, v))) out.push(v);
    return out;
  }
  if (patch.some((item) => isJsonObject(item) && item[PATCH] === 'replace')) {
    return stripDirectives(patch.filter((item) => !(isJsonObject(item) && item[PATCH] === 'replace')));
  }
  let out = orig;
  for (const item of patch) {
    if (!isJsonObject(item)) {
      throw new PatchError(`invalid list element in a list merged by "${key}": ${JSON.stringify(item)}`);
    }
    if (!(key in item)) {
      throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    const matches = (o: Json): boolean => isJsonObject(o) && jsonEqual(o[key], item[key]);
    if (item[PATCH] === 'delete') {
      out = out.filter((o) => !matches(o));
      continue;
    }
    const at = out.findIndex(matches);
    const merged = mergeMap(at >= 0 ? out[at] : {}, item, path, meta);
    if (at >= 0) {
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else if (merged !== undefined) out.push(merged);
  }
  return out;
}

/**
 * `$setElementOrder/<field>`: the items the order names take their places in that order; items it
 * does not name (the server's own) keep their positions.
 */
function applyOrder(list: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const identity = (item: Json): Json =>
    mergeKey !== undefined && isJsonObject(item) ? (item[mergeKey] ?? null) : item;
  const wanted = order.map((o) => (mergeKey !== undefined && isJsonObject(o) ? (o[mergeKey] ?? null) : o));
  const rank = (item: Json): number => wanted.findIndex((w) => jsonEqual(w, identity(item)));
  const ordered = list.filter((item) => rank(item) >= 0).sort((a, b) => rank(a) - rank(b));
  let next = 0;
  return list.map((item) => (rank(item) >= 0 ? (ordered[next++] as Json) : item));
}
