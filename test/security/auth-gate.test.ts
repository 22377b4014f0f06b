/**
 * Issue 7 item 5: EVERY endpoint needs the token. The routes are enumerated from the server's own
 * discovery (every resource and subresource it serves), plus other paths (/metrics, /dashboard,
 * nonsense): without the right `Authorization: Bearer` header each
 * answers 401 with the apiserver's Status, on every method, for plain requests and for the
 * SPDY/WebSocket upgrades of port-forward alike. A cookie or a `?token=` parameter is no
 * credential (so no CSRF), no response sets a cookie or allows another origin (CORS).
 * The one exception, the dashboard's three static files (issue 8), is tested in
 * dashboard-assets.test.ts.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { makeTokenCheck } from '../../src/server/http-io.js';
import {
  discoverRoutes,
  send,
  startFullServer,
  TOKEN,
  UNAUTHORIZED_STATUS,
  type FullServer,
  type RawResponse,
} from './full-server.js';

/** Paths outside the REST tree: served today, planned (issue 8), or nonsense. */
const OTHER_PATHS = [
  '/',
  '/api',
  '/apis',
  '/version',
  '/healthz',
  '/livez',
  '/readyz',
  '/healthz/ping',
  '/openapi/v2',
  '/openapi/v3',
  '/openapi/v3/api/v1',
  '/metrics',
  '/dashboard',
  '/dashboard/index.html',
  '/favicon.ico',
  '/debug/pprof/',
  '/.well-known/openid-configuration',
  '/api/v1/namespaces/default/pods/x/exec',
  '/api/v1/namespaces/default/pods/x/attach',
  '/api/v1/namespaces/..%2F..%2Fetc/pods/x/log',
  `/random-${randomBytes(4).toString('hex')}`,
  '//api/v1/pods',
  '/api/v1/pods/../../version',
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Every way of NOT presenting the token; each must be refused. */
const BAD_CREDENTIALS: readonly [string, Record<string, string>, string?][] = [
  ['no credentials', {}],
  ['a wrong token', { Authorization: 'Bearer wrong' }],
  ['a prefix of the token', { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
  ['the first byte of the token', { Authorization: `Bearer ${TOKEN.slice(0, 1)}` }],
  ['the token plus one character', { Authorization: `Bearer ${TOKEN}0` }],
  ['the token in upper case', { Authorization: `Bearer ${TOKEN.toUpperCase()}` }],
  ['an empty bearer', { Authorization: 'Bearer ' }],
  [
    'Basic with the token as password',
    { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
  ],
  ['the token without a scheme', { Authorization: TOKEN }],
  ['the token in a cookie', { Cookie: `token=${TOKEN}; authorization=Bearer%20${TOKEN}` }],
  ['the token in another header', { 'X-Auth-Token': TOKEN, 'X-Remote-User': 'admin' }],
  ['the token as a query parameter', {}, `token=${TOKEN}&access_token=${TOKEN}`],
];

function withQuery(path: string, query: string | undefined): string {
  if (!query) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${query}`;
}

function assertNoCookieNoCors(res: RawResponse, what: string): void {
  assert.equal(res.headers['set-cookie'], undefined, `${what}: no cookie is ever set`);
  const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
  assert.deepEqual(cors, [], `${what}: no CORS header`);
}

function assertUnauthorized(res: RawResponse, method: string, what: string): void {
  assert.equal(res.status, 401, what);
  if (method !== 'HEAD') assert.deepEqual(JSON.parse(res.body), UNAUTHORIZED_STATUS, what);
  assertNoCookieNoCors(res, what);
}

describe('security: one token gate in front of every route (issue 7 item 5)', { timeout: 120_000 }, () => {
  let fs: FullServer;
  let base: string;
  let routes: string[];
  before(async () => {
    fs = await startFullServer();
    base = fs.server.url;
    routes = (await discoverRoutes(base)).map((r) => r.path);
  });
  after(() => fs.close());

  test('discovery lists every kind of route (the enumeration below is not vacuous)', () => {
    for (const expected of [
      '/api/v1/namespaces/default/pods/x/log',
      '/api/v1/namespaces/default/pods/x/portforward',
      '/api/v1/namespaces/default/pods/x/status',
      '/apis/apps/v1/namespaces/default/deployments/x/scale',
      '/apis/podvisor.io/v1alpha1/namespaces/default/probehistories/x/run',
      '/api/v1/watch/pods',
      '/api/v1/nodes/x',
    ])
      assert.ok(routes.includes(expected), `${expected} in ${routes.length} routes`);
    assert.ok(routes.length > 60, `${routes.length} routes`);
  });

  test('every route and other path, every method: 401 Status without a token', async (t) => {
    t.diagnostic(
      `${routes.length} routes from discovery + ${OTHER_PATHS.length} other paths, ${METHODS.length} methods`,
    );
    for (const path of [...routes, ...OTHER_PATHS])
      for (const method of METHODS) {
        const res = await send(base, method, path, {
          headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'PUT' },
          ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: '{}' } : {}),
        });
        assertUnauthorized(res, method, `${method} ${path}`);
      }
  });

  test('every route and other path: 401 for each wrong, partial or misplaced credential', async () => {
    for (const path of [...routes, ...OTHER_PATHS])
      for (const [what, headers, query] of BAD_CREDENTIALS) {
        const res = await send(base, 'GET', withQuery(path, query), { headers });
        assertUnauthorized(res, 'GET', `GET ${path} with ${what}`);
      }
  });

  test('port-forward upgrades (SPDY and WebSocket) and upgrades to any other path: 401 before anything else', async () => {
    const upgrades: Record<string, Record<string, string>> = {
      spdy: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' },
      websocket: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
      },
    };
    const paths = [
      '/api/v1/namespaces/default/pods/x/portforward',
      '/api/v1/namespaces/default/pods/x/exec',
      '/api/v1/pods?watch=true',
      '/dashboard/ws',
      '/nope',
    ];
    for (const [kind, upgradeHeaders] of Object.entries(upgrades))
      for (const path of paths)
        for (const method of ['GET', 'POST'])
          for (const [what, headers, query] of BAD_CREDENTIALS) {
            const res = await send(base, method, withQuery(path, query), {
              headers: { ...upgradeHeaders, ...headers },
            });
            assertUnauthorized(res, method, `${kind} upgrade ${method} ${path} with ${what}`);
          }
  });

  test('with the token: no route sets a cookie or answers a foreign Origin with CORS headers', async () => {
    for (const path of [...routes, ...OTHER_PATHS]) {
      const res = await send(base, 'GET', path, {
        headers: { Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' },
        headersOnly: true,
      });
      assert.notEqual(res.status, 401, `GET ${path} with the token`);
      assertNoCookieNoCors(res, `GET ${path} with the token`);
    }
    const preflight = await send(base, 'OPTIONS', '/api/v1/namespaces/default/pods', {
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    assertUnauthorized(preflight, 'OPTIONS', 'a CORS preflight (browsers send no Authorization on it)');
  });
});

describe('security: the token comparison is constant-time (issue 7 item 5)', () => {
  const requestWith = (authorization: string | undefined): IncomingMessage =>
    ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

  test('every check, whatever the given length, makes exactly one timingSafeEqual of two 32-byte digests', () => {
    const calls: [number, number][] = [];
    const check = makeTokenCheck(TOKEN, (a, b) => {
      calls.push([a.length, b.length]);
      return timingSafeEqual(a, b);
    });
    const cases: [string | undefined, boolean][] = [
      [undefined, false],
      ['', false],
      ['Bearer', false],
      ['Bearer x', false],
      [`Bearer ${TOKEN.slice(0, -1)}`, false],
      [`Bearer ${TOKEN}${TOKEN}`, false],
      [`Bearer ${'z'.repeat(10_000)}`, false],
      [`Basic ${TOKEN}`, false],
      [`Bearer ${TOKEN}`, true],
      [`bearer ${TOKEN}`, true],
    ];
    for (const [header, expected] of cases) {
      calls.length = 0;
      assert.equal(check(requestWith(header)), expected, String(header));
      assert.deepEqual(calls, [[32, 32]], `${String(header)}: one comparison of equal-length digests`);
    }
  });

  test('an empty configured token admits nobody, not even an empty bearer', () => {
    const check = makeTokenCheck('');
    for (const header of [undefined, '', 'Bearer ', 'Bearer x'])
      assert.equal(check(requestWith(header)), false);
  });
});
