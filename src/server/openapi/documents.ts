import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KUBE_VERSION } from '../../probe/types.js';
import { groupVersions } from '../discovery.js';
import type { ResourceRegistry } from '../router.js';
import { methodNotAllowed, pathNotFound } from '../status.js';
import { resourcePaths, type Schema } from './paths.js';

/**
 * OpenAPI v3 (kubectl-surface §2.6, §2.13): `/openapi/v3` lists one document per served
 * group-version, each at `/openapi/v3/<api/v1 | apis/G/V>?hash=<sha512>`; a document holds the
 * registry's paths and the component schemas generated from the upstream types
 * (generated/schemas.json, by scripts/gen-openapi.ts) that its kinds reach. `/openapi/v2` is not
 * served: kubectl only reads v2 as protobuf and falls back to v3 on a 404.
 */

interface GeneratedSchemas {
  generated: string;
  schemas: Record<string, Schema>;
}

export interface OpenApiDocument {
  /** "api/v1", "apis/apps/v1". */
  path: string;
  /** Upper-case hex SHA-512 of `body`, as the apiserver versions its documents. */
  hash: string;
  body: string;
}

/**
 * The generated schemas; read from the source tree, which the compiled code sits beside in dist/.
 * Not cached: they are read once per API server, to build its documents (whose JSON text is kept),
 * and the parsed schemas (~0.6 MiB of heap) need not outlive that (issue 6 S3).
 */
export function generatedSchemas(): Record<string, Schema> {
  const here = new URL('./generated/schemas.json', import.meta.url);
  const source = new URL('../../../../src/server/openapi/generated/schemas.json', import.meta.url);
  let text: string;
  try {
    text = readFileSync(here, 'utf8');
  } catch {
    text = readFileSync(source, 'utf8');
  }
  return (JSON.parse(text) as GeneratedSchemas).schemas;
}

/** The upstream schema name prefix of a group-version's own types. */
function packageOf(group: string, version: string): string {
  const name = group === '' ? 'core' : group.split('.')[0];
  return `io.k8s.api.${name}.${version}.`;
}

function refsIn(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.add(v.replace('#/components/schemas/', ''));
      else refsIn(v, out);
    }
}

/** The named schemas and everything they reference. */
function closure(schemas: Record<string, Schema>, roots: Iterable<string>): Record<string, Schema> {
  const picked = new Set<string>();
  const todo = [...roots];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (picked.has(name) || !schemas[name]) continue;
    picked.add(name);
    const refs = new Set<string>();
    refsIn(schemas[name], refs);
    todo.push(...refs);
  }
  return Object.fromEntries([...picked].sort().map((n) => [n, schemas[n] as Schema]));
}

export function buildOpenApiDocuments(registry: ResourceRegistry): Map<string, OpenApiDocument> {
  const schemas = generatedSchemas();
  const byGvk = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    const gvks = schema['x-kubernetes-group-version-kind'] as
      { group: string; version: string; kind: string }[] | undefined;
    for (const g of gvks ?? []) {
      const key = `${g.group}/${g.version}/${g.kind}`;
      // meta/v1 kinds (Status, DeleteOptions) also claim v1; the group's own package wins.
      if (!byGvk.has(key) || name.startsWith(packageOf(g.group, g.version))) byGvk.set(key, name);
    }
  }
  const schemaOf = (group: string, version: string, kind: string): string | undefined =>
    byGvk.get(`${group}/${version}/${kind}`);

  const docs = new Map<string, OpenApiDocument>();
  for (const gv of groupVersions(registry)) {
    const path = gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
    const paths: Record<string, unknown> = {};
    for (const t of gv.resources) Object.assign(paths, resourcePaths(t, schemaOf));
    const pkg = packageOf(gv.group, gv.version);
    const roots = new Set(Object.keys(schemas).filter((n) => n.startsWith(pkg)));
    refsIn(paths, roots);
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
      paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : 1))),
      components: {
        schemas: closure(schemas, roots),
        securitySchemes: {
          BearerToken: {
            type: 'apiKey',
            description: 'Bearer Token authentication',
            name: 'authorization',
            in: 'header',
          },
        },
      },
      security: [{ BearerToken: [] }],
    };
    const body = JSON.stringify(doc);
    const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
    docs.set(path, { path, hash, body });
  }
  return docs;
}

/** Serves /openapi/v3 and /openapi/v3/<gv> (GET/HEAD); false for other paths. */
export function makeOpenApiHandler(
  registry: ResourceRegistry,
): (req: IncomingMessage, res: ServerResponse, url: URL) => boolean {
  let docs: Map<string, OpenApiDocument> | undefined;
  let index: string | undefined;
  return (req, res, url) => {
    const pathname = url.pathname.replace(/\/+$/, '');
    if (pathname !== '/openapi/v3' && !pathname.startsWith('/openapi/v3/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
    docs ??= buildOpenApiDocuments(registry);
    if (pathname === '/openapi/v3') {
      index ??= JSON.stringify({
        paths: Object.fromEntries(
          [...docs.values()].map((d) => [
            d.path,
            { serverRelativeURL: `/openapi/v3/${d.path}?hash=${d.hash}` },
          ]),
        ),
      });
      sendDocument(req, res, index, undefined);
      return true;
    }
    const doc = docs.get(pathname.slice('/openapi/v3/'.length));
    if (!doc) throw pathNotFound();
    sendDocument(req, res, doc.body, doc.hash, url.searchParams.get('hash'));
    return true;
  };
}

/**
 * As the apiserver's OpenAPI v3 handler: an ETag on every answer, 304 on If-None-Match, and a
 * long immutable cache for a document asked for by its current hash (kubectl's HTTP cache keeps it).
 */
function sendDocument(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  hash: string | undefined,
  askedHash?: string | null,
): void {
  const etag = `"${hash ?? createHash('sha512').update(body).digest('hex').toUpperCase()}"`;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ETag: etag,
    Vary: 'Accept',
    'Cache-Control':
      hash !== undefined && askedHash === hash ? 'public, immutable, max-age=31536000' : 'no-cache, private',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
