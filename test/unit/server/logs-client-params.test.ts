import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { podManifest, startHarness, type Harness } from './harness.js';

/**
 * The exact log queries the real clients send (observed on the wire): the server must accept
 * every parameter in them, including those it has no use for, and honour the ones that matter.
 */
describe('pod log queries of real clients (kubectl-surface §2.4)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest('web', { containers: [{ name: 'app' }, { name: 'proxy' }] }),
    });
  });
  after(() => h.close());

  test('§2.4 kubectl logs always names the container: ?container=proxy&previous=true', async () => {
    h.logs.calls.length = 0;
    const res = await h.request(
      'GET',
      '/api/v1/namespaces/default/pods/web/log?container=proxy&previous=true',
    );
    assert.equal(res.status, 200);
    assert.equal(res.text, 'line 1\nline 2\n');
    assert.deepEqual(
      h.logs.calls.map((c) => [c.opts.container, c.opts.previous, c.opts.follow]),
      [['proxy', true, false]],
    );
  });

  test('§2.4 client-node Log sends follow=false&pretty=false; readNamespacedPodLog may add insecureSkipTLSVerifyBackend and stream', async () => {
    h.logs.calls.length = 0;
    const fromLog = await h.request(
      'GET',
      '/api/v1/namespaces/default/pods/web/log?follow=false&pretty=false&container=app&tailLines=1',
    );
    assert.equal(fromLog.status, 200);
    assert.match(fromLog.headers['content-type'] ?? '', /^text\/plain/);
    const fromApi = await h.request(
      'GET',
      '/api/v1/namespaces/default/pods/web/log?container=app&insecureSkipTLSVerifyBackend=true&stream=All',
    );
    assert.equal(fromApi.status, 200);
    assert.equal(fromApi.text, 'line 1\nline 2\n');
    assert.deepEqual(
      h.logs.calls.map((c) => [c.opts.container, c.opts.follow, c.opts.tailLines]),
      [
        ['app', false, 1],
        ['app', false, undefined],
      ],
    );
  });
});
