import { isJsonObject, jsonEqual, type Json, type JsonObject } from './json-value.js';
import type { PatchMeta } from './patch-meta.js';

/**
 * The patch kubectl's client-side apply sends (strategicpatch.CreateThreeWayMergePatch):
 * additions and changes come from live → new (the server's own fields, which the new manifest
 * does not mention, are left alone), deletions from last-applied → new (only what the user once
 * applied and has now removed is deleted). An empty object means "unchanged".
 */
export function createThreeWayMergePatch(
  lastApplied: JsonObject | undefined,
  modified: JsonObject,
  live: JsonObject,
  meta: PatchMeta,
): JsonObject {
  const changes = diffMaps(live, modified, '', meta, 'changes');
  const deletions = diffMaps(lastApplied ?? {}, modified, '', meta, 'deletions');
  return combinePatches(deletions, changes, '', meta);
}

type Mode = 'changes' | 'deletions';

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function diffMaps(from: JsonObject, to: JsonObject, path: string, meta: PatchMeta, mode: Mode): JsonObject {
  const patch: JsonObject = {};
  for (const [key, b] of Object.entries(to)) {
    const p = child(path, key);
    if (!(key in from)) {
      if (mode === 'changes') patch[key] = b;
      continue;
    }
    const a = from[key] as Json;
    if (isJsonObject(a) && isJsonObject(b)) {
      const sub = diffMaps(a, b, p, meta, mode);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (Array.isArray(a) && Array.isArray(b) && meta(p) !== undefined) {
      diffMergedList(a, b, key, p, meta, mode, patch);
    } else if (mode === 'changes' && !jsonEqual(a, b)) {
      patch[key] = b;
    }
  }
  if (mode === 'deletions') for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  return patch;
}

function diffMergedList(
  from: Json[],
  to: Json[],
  key: string,
  path: string,
  meta: PatchMeta,
  mode: Mode,
  patch: JsonObject,
): void {
  const mergeKey = meta(path)?.mergeKey;
  if (mergeKey === undefined) {
    // Merged scalar lists: additions as the list, removals as a $deleteFromPrimitiveList directive.
    const added = to.filter((v) => !from.some((f) => jsonEqual(f, v)));
    const removed = from.filter((v) => !to.some((t) => jsonEqual(t, v)));
    if (mode === 'changes' && added.length > 0) {
      patch[`$setElementOrder/${key}`] = to;
      patch[key] = added;
    }
    if (mode === 'deletions' && removed.length > 0) patch[`$deleteFromPrimitiveList/${key}`] = removed;
    return;
  }
  const keyOf = (item: Json): Json => (isJsonObject(item) ? (item[mergeKey] ?? null) : item);
  const items: Json[] = [];
  for (const item of to) {
    const match = from.find((f) => jsonEqual(keyOf(f), keyOf(item)));
    if (match === undefined || !isJsonObject(match) || !isJsonObject(item)) {
      if (mode === 'changes') items.push(item);
      continue;
    }
    const sub = diffMaps(match, item, path, meta, mode);
    if (Object.keys(sub).length > 0) items.push({ ...sub, [mergeKey]: keyOf(item) });
  }
  if (mode === 'deletions') {
    for (const f of from) {
      if (!to.some((t) => jsonEqual(keyOf(t), keyOf(f))))
        items.push({ $patch: 'delete', [mergeKey]: keyOf(f) });
    }
  }
  if (items.length === 0) return;
  if (mode === 'changes') patch[`$setElementOrder/${key}`] = to.map((t) => ({ [mergeKey]: keyOf(t) }));
  patch[key] = items;
}

/** Puts two patches of the same object together (the deletions, then the changes). */
function combinePatches(a: JsonObject, b: JsonObject, path: string, meta: PatchMeta): JsonObject {
  const out: JsonObject = { ...a };
  for (const [key, bv] of Object.entries(b)) {
    const av = out[key];
    const p = child(path, key);
    const mergeKey = meta(p)?.mergeKey;
    if (isJsonObject(av) && isJsonObject(bv)) out[key] = combinePatches(av, bv, p, meta);
    else if (Array.isArray(av) && Array.isArray(bv) && mergeKey !== undefined) {
      const merged = [...av];
      for (const item of bv) {
        const at = merged.findIndex(
          (m) => isJsonObject(m) && isJsonObject(item) && jsonEqual(m[mergeKey], item[mergeKey]),
        );
        const existing = merged[at];
        if (at >= 0 && isJsonObject(existing) && isJsonObject(item))
          merged[at] = combinePatches(existing, item, p, meta);
        else merged.push(item);
      }
      out[key] = merged;
    } else out[key] = bv;
  }
  return out;
}
