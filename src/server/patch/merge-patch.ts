import { clone, isJsonObject, type Json } from './json-value.js';

/**
 * JSON merge patch (RFC 7386; `application/merge-patch+json`, what `kubectl label`/`annotate`
 * and `kubectl patch --type=merge` send): objects merge recursively, `null` removes a key, and
 * anything else (lists included) replaces the target value.
 */
export function applyMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return clone(patch);
  const result = isJsonObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
