/** JSON values as patches see them, and the few helpers every patch type needs. */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** A malformed patch or one that cannot be applied; the handler decides the HTTP status. */
export class PatchError extends Error {
  constructor(
    message: string,
    /** 'BadRequest' for patches that are malformed, 'Invalid' for well-formed ones that fail (json-patch test). */
    readonly kind: 'BadRequest' | 'Invalid' = 'BadRequest',
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** JSON with object keys sorted, as Go's encoding/json writes maps (kubectl's last-applied text). */
export function sortedJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => sortedJson(v ?? null)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(obj[k])}`).join(',')}}`;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
