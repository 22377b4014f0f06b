import type { Container } from '../api/types.js';

const hashes = new WeakMap<Container, string>();

/**
 * The container spec hash (kubecontainer.HashContainer): a change means "definition changed"
 * (§4.2 check 1) and a fresh back-off key (§4.5). FNV-1a (32 bit, as the kubelet's hash) over a
 * key-sorted JSON rendering, so field order in the stored object does not matter.
 */
export function containerSpecHash(container: Container): string {
  let h = hashes.get(container);
  if (h === undefined) {
    h = fnv1a32(stableJson(container)).toString(16);
    hashes.set(container, h);
  }
  return h;
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(',')}}`;
}

function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
