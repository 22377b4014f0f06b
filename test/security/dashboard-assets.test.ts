/**
 * Issue 8, SECURITY.md §1: the dashboard's three static files are the ONLY paths served without
 * the token. They are the built bytes of dist/web (no data, no token), carry the strict CSP, and
 * the allow-list is exact: any other method, any near-miss path still gets the 401 Status.
 * The files come from `npm run build` (scripts/test.mjs builds before the suite).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DASHBOARD_ASSETS, DASHBOARD_CSP, DASHBOARD_DIR } from '../../src/server/dashboard.js';
import {
  send,
  startFullServer,
  TOKEN,
  UNAUTHORIZED_STATUS,
  type FullServer,
  type RawResponse,
} from './full-server.js';

const ASSET_PATHS = ['/dashboard/', '/dashboard/dashboard.js', '/dashboard/dashboard.css'];

const NEAR_MISSES = [
  '/dashboard',
  '/dashboard/index.html',
  '/dashboard/dashboard.js/',
  '/dashboard//dashboard.js',
  '/dashboard/%64ashboard.js',
  '/dashboard/./dashboard.js',
  '/dashboard/../api/v1/pods',
  '/dashboard/dashboard.js/../../api/v1/pods',
  '/dashboard/%2e%2e/api/v1/pods',
  '/dashboard/dashboard.js.map',
  '/dashboard/api.ts',
  '/DASHBOARD/',
  '/Dashboard/dashboard.js',
  '/dashboard/ws',
  '/web/dashboard.js',
  '/dist/web/index.html',
];

/**
 * A request line sent byte for byte: http.request parses the path as a URL and would resolve
 * `/dashboard/./dashboard.js` or `..` segments before sending, which is what this must not do.
 */
function rawStatus(base: string, method: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    });
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () =>
      reject(new Error(`${method} ${path}: no status line in ${JSON.stringify(head)}`)),
    );
  });
}

function assertDashboardHeaders(res: RawResponse, what: string): void {
  assert.equal(res.headers['content-security-policy'], DASHBOARD_CSP, `${what}: CSP`);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(res.headers['set-cookie'], undefined, `${what}: no cookie`);
  const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
  assert.deepEqual(cors, [], `${what}: no CORS header`);
}

describe('security: the dashboard assets are the one exception to the token gate (issue 8, SECURITY.md §1)', () => {
  let fs: FullServer;
  let base: string;
  before(async () => {
    fs = await startFullServer();
    base = fs.server.url;
  });
  after(() => fs.close());

  test('the CSP is exactly the contract: nothing inline, nothing from elsewhere, no framing', () => {
    assert.equal(
      DASHBOARD_CSP,
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    assert.deepEqual(Object.keys(DASHBOARD_ASSETS).sort(), [...ASSET_PATHS].sort());
  });

  test('GET and HEAD of the three assets without a token: 200, the built bytes, no token inside, strict headers', async () => {
    for (const path of ASSET_PATHS) {
      const file = join(DASHBOARD_DIR, DASHBOARD_ASSETS[path]!.file);
      const built = readFileSync(file, 'utf8');
      const variants: Record<string, string>[] = [
        {},
        { Cookie: `token=${TOKEN}` },
        { Authorization: 'Bearer wrong' },
      ];
      for (const headers of variants) {
        const res = await send(base, 'GET', path, { headers });
        assert.equal(res.status, 200, `GET ${path} (${file}; run npm run build if it is missing)`);
        assert.equal(res.body, built, `GET ${path}: the bytes of ${file}`);
        assert.ok(!res.body.includes(TOKEN), `GET ${path}: the token is not in the asset`);
        assertDashboardHeaders(res, `GET ${path}`);
        const head = await send(base, 'HEAD', path, { headers });
        assert.equal(head.status, 200, `HEAD ${path}`);
        assert.equal(head.body, '', `HEAD ${path}: no body`);
        assertDashboardHeaders(head, `HEAD ${path}`);
      }
      const etag = (await send(base, 'GET', path)).headers.etag;
      assert.ok(etag, `${path}: an ETag`);
      const revalidated = await send(base, 'GET', path, { headers: { 'If-None-Match': etag } });
      assert.equal(revalidated.status, 304, `${path}: If-None-Match revalidates`);
      assertDashboardHeaders(revalidated, `304 ${path}`);
    }
  });

  test('the page loads no inline script or style and only its own two files (and an empty data: icon)', () => {
    const html = readFileSync(join(DASHBOARD_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.deepEqual(
      scripts.map((m) => [m[1]!.trim(), m[2]!.trim()]),
      [['type="module" src="dashboard.js"', '']],
      'one external same-origin script, no inline code',
    );
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i, 'no inline style or event handler');
    assert.deepEqual(
      [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]),
      ['data:,', 'dashboard.css', 'dashboard.js'],
    );
  });

  test('any other method on the asset paths, and every near-miss path: 401 Status without a token', async () => {
    for (const path of ASSET_PATHS)
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const res = await send(base, method, path, {
          ...(method === 'OPTIONS' ? {} : { body: '{}' }),
          headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' },
        });
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.deepEqual(JSON.parse(res.body), UNAUTHORIZED_STATUS, `${method} ${path}`);
      }
    for (const path of NEAR_MISSES)
      for (const method of ['GET', 'HEAD'])
        assert.equal(await rawStatus(base, method, path), 401, `${method} ${path} (sent as is)`);
  });

  test('a query string does not widen the allow-list: data paths stay closed whatever it says', async () => {
    for (const path of ['/dashboard/?x=1', '/dashboard/dashboard.js?v=2']) {
      const res = await send(base, 'GET', path);
      assert.equal(res.status, 200, `GET ${path}: still the static file`);
      assertDashboardHeaders(res, `GET ${path}`);
    }
    for (const path of ['/api/v1/pods?/dashboard/', '/api/v1/pods?x=/dashboard/dashboard.js']) {
      const res = await send(base, 'GET', path);
      assert.equal(res.status, 401, `GET ${path}`);
    }
  });
});
