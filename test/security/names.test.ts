/**
 * Issue 7 item 5: names are validated as Kubernetes names before they touch a path. Namespaces,
 * names and container names end up in file paths (src/runtime/pod-paths.ts): the API refuses
 * `..`, `a/b`, NUL and overlong names in URL path segments (400) and in objects (422) before any
 * log is read, and pod-paths.ts refuses them again itself (defence in depth).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { containerLogDir, podRoot } from '../../src/runtime/pod-paths.js';
import { send, startFullServer, TOKEN, type FullServer } from './full-server.js';

const AUTH = { Authorization: `Bearer ${TOKEN}` };

/** Path segments (as sent, percent-encoded) that no Kubernetes name can be. */
const BAD_SEGMENTS: readonly [string, string][] = [
  ['..%2F..%2Fetc', "may not contain '/'"],
  ['a%2Fb', "may not contain '/'"],
  ['a%00b', 'may not contain control characters'],
  ['a%0Ab', 'may not contain control characters'],
  ['100%25', "may not contain '%'"],
  ['n'.repeat(254), 'must be no more than 253 characters'],
];

/** Names of objects that must be refused with 422 (metadata.name or a container's name). */
const BAD_NAMES = ['../../etc', 'a/b', '.', '..', 'a\u0000b', 'UPPER', 'a_b', 'n'.repeat(254)];

function pod(name: string, container = 'app'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: container, image: 'busybox', command: ['true'] }] },
  };
}

describe('security: names are checked before they touch a path (issue 7 item 5)', { timeout: 60_000 }, () => {
  let fs: FullServer;
  before(async () => {
    fs = await startFullServer();
    const created = await send(fs.server.url, 'POST', '/api/v1/namespaces/default/pods', {
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify(pod('web')),
    });
    assert.equal(created.status, 201, created.body);
  });
  after(() => fs.close());

  test('a bad namespace or name in the URL: 400 BadRequest naming it, for every method and route shape', async () => {
    for (const [segment, problem] of BAD_SEGMENTS) {
      const shapes = [
        [`/api/v1/namespaces/${segment}/pods/web/log`, 'namespace'],
        [`/api/v1/namespaces/${segment}/pods`, 'namespace'],
        [`/api/v1/namespaces/default/pods/${segment}/log`, 'resource name'],
        [`/api/v1/namespaces/default/pods/${segment}`, 'resource name'],
        [`/apis/apps/v1/namespaces/default/deployments/${segment}/scale`, 'resource name'],
        [`/apis/podvisor.io/v1alpha1/namespaces/default/probehistories/${segment}/run`, 'resource name'],
        [`/api/v1/nodes/${segment}`, 'resource name'],
      ];
      for (const [path, what] of shapes)
        for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'POST']) {
          const res = await send(fs.server.url, method, path as string, {
            headers: { ...AUTH, 'Content-Type': 'application/merge-patch+json' },
            body: '{}',
          });
          if (res.status === 405) continue; // the shape takes no such method: refused before the name
          assert.equal(res.status, 400, `${method} ${path}: ${res.body.slice(0, 200)}`);
          const status = JSON.parse(res.body) as { reason: string; message: string };
          assert.equal(status.reason, 'BadRequest');
          assert.match(status.message, new RegExp(`^invalid ${what} `), `${method} ${path}`);
          assert.ok(status.message.includes(problem), `${method} ${path}: ${status.message}`);
        }
    }
    assert.equal(fs.logs.calls.length, 0, 'no log was opened');
  });

  test('dot segments in the URL are resolved before routing, never kept as names', async () => {
    for (const path of [
      '/api/v1/namespaces/../pods/web/log',
      '/api/v1/namespaces/%2e%2e/pods/web/log',
      '/api/v1/namespaces/.%2E/pods/web/log',
      '/api/v1/namespaces/%2E/pods/web/log',
    ]) {
      const res = await send(fs.server.url, 'GET', path, { headers: AUTH });
      assert.equal(res.status, 404, path);
    }
    assert.equal(fs.logs.calls.length, 0, 'no log was opened');
  });

  test("a container name that is not one of the pod's: 400 before any log is opened", async () => {
    for (const container of ['../../etc/passwd', 'app/../../x', '..', 'app\u0000']) {
      const res = await send(
        fs.server.url,
        'GET',
        `/api/v1/namespaces/default/pods/web/log?container=${encodeURIComponent(container)}`,
        { headers: AUTH },
      );
      assert.equal(res.status, 400, container);
      assert.match(res.body, /is not valid for pod web/);
    }
    assert.equal(fs.logs.calls.length, 0, 'no log was opened');
  });

  test('objects whose name or container name could not be a file name: 422 Invalid', async () => {
    for (const bad of BAD_NAMES) {
      for (const [what, body] of [
        ['metadata.name', pod(bad)],
        ['container name', pod('ok', bad)],
      ] as const) {
        const res = await send(fs.server.url, 'POST', '/api/v1/namespaces/default/pods', {
          headers: { ...AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(res.status, 422, `${what} ${JSON.stringify(bad)}: ${res.body.slice(0, 200)}`);
        assert.equal((JSON.parse(res.body) as { reason: string }).reason, 'Invalid');
      }
    }
    for (const namespace of ['UPPER', 'a_b', 'a.b', 'n'.repeat(64)]) {
      const res = await send(fs.server.url, 'POST', `/api/v1/namespaces/${namespace}/pods`, {
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify(pod('ok')),
      });
      assert.equal(res.status, 422, `namespace ${namespace}: ${res.body.slice(0, 200)}`);
      assert.match(res.body, /metadata\.namespace: Invalid value/);
    }
    const ns = await send(fs.server.url, 'POST', '/api/v1/namespaces/default/pods', {
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...pod('ok'), metadata: { name: 'ok', namespace: '../etc' } }),
    });
    assert.ok(ns.status === 400 || ns.status === 422, `namespace in the body: ${ns.status} ${ns.body}`);
  });

  test('pod-paths.ts refuses what could leave its directory, even if the API were bypassed', () => {
    const good = podRoot('/state', 'default', 'web', '6d1c4f3e-0b1a-4c2d-9e8f-001122334455');
    assert.equal(good, '/state/pods/default_web_6d1c4f3e-0b1a-4c2d-9e8f-001122334455');
    assert.equal(containerLogDir(good, 'app'), `${good}/app`);
    const refused = [
      () => podRoot('/state', '..', 'web', 'u'),
      () => podRoot('/state', 'default', '../../etc', 'u'),
      () => podRoot('/state', 'default', 'a/b', 'u'),
      () => podRoot('/state', 'default', '.', 'u'),
      () => podRoot('/state', 'default', 'web', '../u'),
      () => podRoot('/state', 'default', 'we\u0000b', 'u'),
      () => podRoot('/state', 'a_b', 'web', 'u'),
      () => podRoot('/state', '', 'web', 'u'),
      () => podRoot('/state', 'default', 'n'.repeat(254), 'u'),
      () => podRoot('/state', 'default', 'a\\b', 'u'),
      () => containerLogDir(good, '..'),
      () => containerLogDir(good, '../../../etc'),
      () => containerLogDir(good, 'a/b'),
      () => containerLogDir(good, ''),
    ];
    for (const call of refused) assert.throws(call, /refusing .* as a file name component/, call.toString());
  });
});
