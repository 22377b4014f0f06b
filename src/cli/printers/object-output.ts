import YAML from 'yaml';
import type { KubeObject } from '../../api/types.js';

/**
 * `-o json|yaml|name`. kubectl prints objects through unstructured maps, so keys come out sorted;
 * JSON is indented by 4, YAML is go-yaml v2 style (1.1 quoting, sequences not indented).
 */
export type ObjectFormat = 'json' | 'yaml' | 'name';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** A kubectl client-side List, as `get -o json|yaml` prints a collection. */
export function asList(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 4)}\n`;
}

export function toYaml(value: unknown): string {
  return YAML.stringify(sortKeys(value), { version: '1.1', indentSeq: false, lineWidth: 0 });
}

/** `pod/web` (kind lower-cased, as kubectl's name printer does for core kinds). */
export function toName(obj: KubeObject): string {
  return `${obj.kind.toLowerCase()}/${obj.metadata.name}\n`;
}

/** One object (single GET) or a List (collection GET). */
export function formatObjects(objects: KubeObject[], format: ObjectFormat, single: boolean): string {
  if (format === 'name') return objects.map(toName).join('');
  const value = single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'json' ? toJson(value) : toYaml(value);
}
