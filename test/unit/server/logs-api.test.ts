import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { openStream, podManifest, startHarness, waitUntil, type Harness } from './harness.js';

describe('pod logs (kubectl-surface §2.4)', () => {
  let h: Harness;
  let uid: string;
  before(async () => {
    h = await startHarness();
    const one = await h.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('single') });
    uid = one.json<KubeObject>().metadata.uid as string;
    await h.request('POST', '/api/v1/namespaces/default/pods', {
      body: podManifest('web', { containers: [{ name: 'app' }, { name: 'proxy' }] }),
    });
  });
  after(() => h.close());
  beforeEach(() => {
    h.logs.calls.length = 0;
    h.logs.lines = ['line 1', 'line 2'];
    h.logs.failWith = undefined;
  });

  test('text/plain lines of the only container when none is named', async () => {
    const res = await h.request('GET', '/api/v1/namespaces/default/pods/single/log');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    assert.equal(res.text, 'line 1\nline 2\n');
    assert.deepEqual(
      h.logs.calls.map((c) => [c.uid, c.opts.container]),
      [[uid, 'app']],
    );
  });

  test('with several containers a name is required: the apiserver 400', async () => {
    const res = await h.request('GET', '/api/v1/namespaces/default/pods/web/log');
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'a container name must be specified for pod web, choose one of: [app proxy]',
      reason: 'BadRequest',
      code: 400,
    });
    const wrong = await h.request('GET', '/api/v1/namespaces/default/pods/web/log?container=db');
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json().message, 'container db is not valid for pod web');
    const missing = await h.request('GET', '/api/v1/namespaces/default/pods/nope/log');
    assert.equal(missing.status, 404);
    assert.equal(missing.json().message, 'pods "nope" not found');
    assert.equal(h.logs.calls.length, 0);
  });

  test('container, previous, tailLines, sinceSeconds and timestamps reach the log source', async () => {
    const res = await h.request(
      'GET',
      '/api/v1/namespaces/default/pods/web/log?container=proxy&previous=true&tailLines=2&sinceSeconds=10&timestamps=true',
    );
    assert.equal(res.status, 200);
    const opts = h.logs.calls[0]?.opts;
    assert.equal(opts?.container, 'proxy');
    assert.equal(opts?.previous, true);
    assert.equal(opts?.tailLines, 2);
    assert.equal(opts?.sinceSeconds, 10);
    assert.equal(opts?.timestamps, true);
    assert.equal(opts?.follow, false);
  });

  test('limitBytes cuts the stream; invalid options are 422 as ValidatePodLogOptions has them', async () => {
    const res = await h.request('GET', '/api/v1/namespaces/default/pods/single/log?limitBytes=9');
    assert.equal(res.text, 'line 1\nli');
    const bad = await h.request('GET', '/api/v1/namespaces/default/pods/single/log?tailLines=-1');
    assert.equal(bad.status, 422);
    assert.equal(
      bad.json().message,
      'PodLogOptions "single" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
    const both = await h.request(
      'GET',
      '/api/v1/namespaces/default/pods/single/log?sinceSeconds=5&sinceTime=2024-01-01T00%3A00%3A00Z',
    );
    assert.equal(both.status, 422);
    assert.match(
      String(both.json().message),
      /at most one of `sinceTime` or `sinceSeconds` may be specified/,
    );
  });

  test('an up-front failure of the log source (no previous instance) is a 400 Status', async () => {
    h.logs.failWith = new Error('previous terminated container "app" in pod "single" not found');
    const res = await h.request('GET', '/api/v1/namespaces/default/pods/single/log?previous=true');
    assert.equal(res.status, 400);
    assert.equal(res.json().reason, 'BadRequest');
    assert.equal(res.json().message, 'previous terminated container "app" in pod "single" not found');
  });

  test('follow keeps the response open, streams new lines, and ends when the log ends', async () => {
    const stream = await openStream(h.server.url, '/api/v1/namespaces/default/pods/single/log?follow=true');
    assert.equal(stream.status, 200);
    assert.deepEqual(await stream.waitForLines(2), ['line 1', 'line 2']);
    assert.equal(stream.ended, false);
    h.logs.push('line 3');
    assert.deepEqual(await stream.waitForLines(3), ['line 1', 'line 2', 'line 3']);
    h.logs.end();
    await stream.end;
    assert.equal(stream.lines.length, 3);
    assert.equal(h.logs.calls[0]?.opts.follow, true);
  });

  test('follow: a client that leaves aborts the read', async () => {
    const fresh = await startHarness();
    try {
      await fresh.request('POST', '/api/v1/namespaces/default/pods', { body: podManifest('single') });
      fresh.logs.lines = [];
      const stream = await openStream(
        fresh.server.url,
        '/api/v1/namespaces/default/pods/single/log?follow=true',
      );
      // With no line yet the headers still come (after a short wait), so kubectl logs -f does not hang.
      assert.equal(stream.status, 200);
      stream.disconnect();
      await waitUntil(() => fresh.logs.aborted, 'the log read to be aborted');
      assert.equal(fresh.logs.calls[0]?.opts.signal?.aborted, true);
    } finally {
      await fresh.close();
    }
  });
});
