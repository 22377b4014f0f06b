/** The dashboard's routes, from `location.hash` (pure: unit-tested in test/unit/web). */
export type Route =
  | { view: 'pods'; namespace?: string }
  | { view: 'pod'; namespace: string; name: string }
  | { view: 'deployments' }
  | { view: 'services' }
  | { view: 'nodes' };

/** A malformed escape (`%E0%A4%A`) in a hand-typed address stays as typed instead of throwing. */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Parses `location.hash`; anything unknown is the pods list. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decode);
  const ns = new URLSearchParams(query).get('ns') ?? undefined;
  switch (parts[0]) {
    case 'pods':
      if (parts.length === 3) return { view: 'pod', namespace: parts[1]!, name: parts[2]! };
      return ns ? { view: 'pods', namespace: ns } : { view: 'pods' };
    case 'deployments':
      return { view: 'deployments' };
    case 'services':
      return { view: 'services' };
    case 'nodes':
      return { view: 'nodes' };
    default:
      return { view: 'pods' };
  }
}
