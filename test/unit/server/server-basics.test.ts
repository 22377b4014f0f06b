import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startHarness, type Harness } from './harness.js';

describe('API server: version, health, auth, errors as Status', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('listens on 127.0.0.1 with a random port', () => {
    assert.match(h.server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(h.server.port > 0);
  });

  test('kubectl-surface §0: GET /version has the shape of version.json, minor 33 (with the token, like every path)', async () => {
    const res = await h.request('GET', '/version?timeout=5s');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    const sample = JSON.parse(
      readFileSync('/work/shared/spec/kubectl-samples/version.json', 'utf8'),
    ) as Record<string, string>;
    const body = res.json<Record<string, string>>();
    assert.deepEqual(Object.keys(body), Object.keys(sample));
    assert.equal(body.major, '1');
    assert.equal(body.minor, '33');
    assert.equal(body.gitVersion, 'v1.33.0');
    assert.equal(body.compiler, 'gc');
    assert.match(body.platform ?? '', /^linux\/(amd64|arm64)$/);
  });

  test('health checks answer ok with the token and 401 without it (SECURITY.md: nothing is open)', async () => {
    for (const path of ['/healthz', '/livez', '/readyz', '/version']) {
      const res = await h.request('GET', path);
      assert.equal(res.status, 200, path);
      if (path !== '/version') assert.equal(res.text, 'ok');
      assert.equal((await h.request('GET', path, { token: null })).status, 401, path);
    }
  });

  test('401 Unauthorized Status without a valid bearer token', async () => {
    const expected = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    };
    for (const token of [null, 'wrong', '', 'test-token-012345678']) {
      const res = await h.request('GET', '/api/v1/namespaces/default/pods', { token });
      assert.equal(res.status, 401, `token ${String(token)}`);
      assert.deepEqual(res.json(), expected);
    }
    const basic = await h.request('GET', '/api/v1/pods', {
      token: null,
      headers: { Authorization: 'Basic dGVzdDp0ZXN0' },
    });
    assert.equal(basic.status, 401);
    // Unknown paths are not revealed to anonymous clients either.
    assert.equal((await h.request('GET', '/nope', { token: null })).status, 401);
  });

  test('404 for unknown paths and resources with the apiserver message', async () => {
    const expected = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    };
    for (const path of [
      '/nope',
      '/api/v1/namespaces/default/widgets',
      '/api/v1/pods/web',
      '/api/v1/namespaces/default/pods/web/nosuch',
      '/apis/apps/v1/deployments',
    ]) {
      const res = await h.request('GET', path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.json(), expected, path);
    }
  });

  test('405 for methods a path does not take', async () => {
    for (const [method, path] of [
      ['PATCH', '/api/v1/namespaces/default/pods'],
      ['POST', '/api/v1/pods'],
      ['DELETE', '/api/v1/namespaces/default/pods'],
      ['POST', '/version'],
      ['POST', '/api/v1/namespaces/default/pods/web/log'],
    ] as const) {
      const res = await h.request(method, path);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.json().reason, 'MethodNotAllowed');
      assert.equal(res.json().message, 'the server does not allow this method on the requested resource');
    }
  });

  test('404 Status for a missing object names the resource', async () => {
    const res = await h.request('GET', '/api/v1/namespaces/default/pods/x');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'pods' },
      code: 404,
    });
  });

  test('400 Status for bad selectors, parameters and bodies', async () => {
    const bad = await h.request('GET', '/api/v1/pods?labelSelector=app%20in%20web');
    assert.equal(bad.status, 400);
    assert.equal(bad.json().reason, 'BadRequest');
    assert.equal(bad.json().message, "unable to parse requirement: found 'web' expected: '('");
    const field = await h.request('GET', '/api/v1/pods?fieldSelector=oops');
    assert.equal(field.json().message, "invalid selector: 'oops'; can't understand 'oops'");
    const watch = await h.request('GET', '/api/v1/pods?watch=maybe');
    assert.equal(watch.status, 400);
    const json = await h.request('POST', '/api/v1/namespaces/default/pods', { rawBody: '{not json' });
    assert.equal(json.status, 400);
    assert.match(String(json.json().message), /^couldn't get version\/kind; json parse error: /);
    const media = await h.request('POST', '/api/v1/namespaces/default/pods', {
      rawBody: 'x',
      headers: { 'Content-Type': 'application/xml' },
    });
    assert.equal(media.status, 415);
    assert.equal(media.json().reason, 'UnsupportedMediaType');
    const cont = await h.request('GET', '/api/v1/pods?limit=1&continue=abc');
    assert.equal(cont.status, 400);
  });

  test('413 for bodies over the 3 MiB limit', async () => {
    const res = await h.request('POST', '/api/v1/namespaces/default/pods', {
      rawBody: `"${'x'.repeat(3 * 1024 * 1024 + 10)}"`,
    });
    assert.equal(res.status, 413);
    assert.equal(res.json().message, 'Request entity too large: limit is 3145728');
  });
});
