import { badRequest } from '../status.js';

/**
 * Content negotiation for server-side printing (kubectl-surface §1.2/§1.3). kubectl's `get` asks
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`;
 * the first clause this server can satisfy wins, in the client's order.
 */

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`: the Table's apiVersion, as asked. */
  apiVersion: string;
  /** The response Content-Type for list and get. */
  contentType: string;
  includeObject: IncludeObject;
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const clause of accept.split(',')) {
    const [rawType, ...rawParams] = clause.split(';');
    const type = (rawType ?? '').trim().toLowerCase();
    if (!type) continue;
    const params = new Map<string, string>();
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      params.set(
        p.slice(0, eq).trim().toLowerCase(),
        p
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    ranges.push({ type, params, q: Number.isNaN(q) ? 0 : q });
  }
  // Stable: equal weights keep the client's order (goautoneg sorts by q only).
  return ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
}

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);

/**
 * A TableRequest when the Accept header's preferred satisfiable clause is a meta.k8s.io Table,
 * undefined for plain JSON. Throws 400 for an includeObject value the apiserver would refuse.
 */
export function tableRequest(accept: string | undefined, query: URLSearchParams): TableRequest | undefined {
  if (!accept) return undefined;
  for (const r of parseAccept(accept)) {
    if (!JSON_TYPES.has(r.type)) continue; // protobuf, yaml, …: not served as Tables here
    const as = r.params.get('as');
    if (as === undefined) return undefined; // plain JSON is acceptable and comes first
    const version = r.params.get('v');
    if (as !== 'Table' || r.params.get('g') !== 'meta.k8s.io') continue;
    if (version !== 'v1' && version !== 'v1beta1') continue;
    return {
      apiVersion: `meta.k8s.io/${version}`,
      contentType: `application/json;as=Table;v=${version};g=meta.k8s.io`,
      includeObject: includeObjectParam(query),
    };
  }
  return undefined;
}

function includeObjectParam(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject') ?? '';
  if (value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`unrecognized includeObject value: "${value}"`);
}
