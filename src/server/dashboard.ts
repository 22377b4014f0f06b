import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web dashboard's static assets (issue 8, SECURITY.md §1): the three files scripts/build-web.mjs
 * writes to dist/web. They are the same bytes for everyone and hold no data, so they are the ONLY
 * paths served without the bearer token: a browser cannot attach an Authorization header to a page
 * load. Every data request of the page carries the token (web/src/api.ts).
 */
export const DASHBOARD_ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/dashboard/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

/** No inline script or style can run, nothing loads from elsewhere, and no one may frame the page. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Revalidate on each load (ETag): a rebuilt dashboard is never mixed with a cached older half.
  'Cache-Control': 'no-cache',
} as const;

/** The exact allow-list test of the token gate: GET or HEAD of one of the three asset paths. */
export function isDashboardAssetRequest(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const raw = req.url ?? '';
  const q = raw.indexOf('?');
  const pathname = q >= 0 ? raw.slice(0, q) : raw;
  return Object.hasOwn(DASHBOARD_ASSETS, pathname);
}

/** The checkout (or installed package) root: the nearest folder up from here with a package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** Where the built dashboard lives (dist/web), from src/server under tsx and dist/src/server alike. */
export const DASHBOARD_DIR = join(packageRoot(), 'dist', 'web');

/**
 * Answers an allow-listed asset request (isDashboardAssetRequest must hold). The files are read on
 * each request (three small files; a rebuild shows without a restart) and carry an ETag.
 */
export async function serveDashboardAsset(
  req: IncomingMessage,
  res: ServerResponse,
  dir: string = DASHBOARD_DIR,
): Promise<void> {
  const pathname = (req.url ?? '').split('?')[0] ?? '';
  const asset = DASHBOARD_ASSETS[pathname];
  if (!asset) throw new Error(`not a dashboard asset: ${pathname}`);
  let body: Buffer;
  try {
    body = await readFile(join(dir, asset.file));
  } catch {
    const text = `The dashboard is not built: ${join(dir, asset.file)} is missing. Run \`npm run build\` in the podvisor checkout.\n`;
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : text);
    return;
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ...SECURITY_HEADERS, ETag: etag });
    res.end();
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': asset.type,
    'Content-Length': body.length,
    ETag: etag,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
