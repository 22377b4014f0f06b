import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

/**
 * metav1.LabelSelector as the controllers use it (LabelSelectorAsSelector): matchLabels and
 * matchExpressions are ANDed; an empty selector matches everything, a missing one nothing.
 */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(l, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (!has(k) || l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has(e.key) || !values.includes(l[e.key] as string)) return false;
        break;
      case 'NotIn':
        if (has(e.key) && values.includes(l[e.key] as string)) return false;
        break;
      case 'Exists':
        if (!has(e.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(e.key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}

/**
 * The selector in label-selector syntax (`app=web,tier in (a,b)`), sorted by key as
 * labels.Selector.String() prints it: Scale's status.selector and the LIST ?labelSelector= form.
 */
export function selectorString(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const terms: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) terms.push({ key: k, text: `${k}=${v}` });
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text =
      e.operator === 'In'
        ? `${e.key} in (${values})`
        : e.operator === 'NotIn'
          ? `${e.key} notin (${values})`
          : e.operator === 'Exists'
            ? e.key
            : `!${e.key}`;
    terms.push({ key: e.key, text });
  }
  return terms
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((t) => t.text)
    .join(',');
}

/** Go's %#v of a map[string]string, keys sorted: `map[string]string{"app":"web", "tier":"fe"}`. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const body = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`)
    .join(', ');
  return `map[string]string{${body}}`;
}
