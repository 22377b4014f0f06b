import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import { parseWarnings } from '../../../src/cli/client.js';
import { DemoStory } from '../../../src/cli/commands/demo.js';
import { parseTargets } from '../../../src/cli/commands/get.js';
import { defaultContainer } from '../../../src/cli/commands/logs.js';
import { formatObjects } from '../../../src/cli/printers/object-output.js';
import { resolveResource } from '../../../src/cli/resources.js';
import { container, event, pod, waiting } from './fixtures.js';

const web: KubeObject = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'x', args: ['--port', '80'] }] },
} as KubeObject;

test('-o json: keys sorted as kubectl prints them, 4-space indent; a list is a v1 List', () => {
  assert.equal(
    formatObjects([web], 'json', true),
    '{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {\n        "labels": {\n            "app": "web"\n        },\n' +
      '        "name": "web",\n        "namespace": "default"\n    },\n    "spec": {\n        "containers": [\n            {\n' +
      '                "args": [\n                    "--port",\n                    "80"\n                ],\n' +
      '                "image": "x",\n                "name": "app"\n            }\n        ]\n    }\n}\n',
  );
  const list = JSON.parse(formatObjects([web], 'json', false)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(list), ['apiVersion', 'items', 'kind', 'metadata']);
  assert.deepEqual(list.metadata, { resourceVersion: '' });
  assert.equal(list.kind, 'List');
});

test('-o yaml: sorted keys, sequences not indented, YAML 1.1 quoting of number-like strings', () => {
  assert.equal(
    formatObjects([web], 'yaml', true),
    'apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    app: web\n  name: web\n  namespace: default\n' +
      'spec:\n  containers:\n  - args:\n    - --port\n    - "80"\n    image: x\n    name: app\n',
  );
  assert.equal(formatObjects([web, web], 'name', false), 'pod/web\npod/web\n');
});

test('resource words: singular, plural and short forms; unknown and not-yet-supported kinds', () => {
  for (const w of ['pod', 'pods', 'po', 'PODS']) assert.equal(resolveResource(w, ['pods', 'events']), 'pods');
  for (const w of ['event', 'events', 'ev']) assert.equal(resolveResource(w, ['pods', 'events']), 'events');
  assert.throws(() => resolveResource('foo', ['pods']), {
    message: 'error: the server doesn\'t have a resource type "foo"',
  });
  for (const w of ['deploy', 'rs', 'svc', 'endpoints', 'ep', 'nodes']) {
    assert.throws(
      () => resolveResource(w, ['pods', 'events']),
      /does not support ".*" for this command yet/,
      w,
    );
  }
  assert.throws(() => resolveResource('events', ['pods']), /does not support "events" for this command yet/);
  assert.deepEqual(parseTargets('pod/web', ['pod/api']), { resourceWord: 'pod', names: ['web', 'api'] });
  assert.deepEqual(parseTargets('pods', ['web']), { resourceWord: 'pods', names: ['web'] });
});

test("logs: the default-container annotation, else the first container, with kubectl's notice", () => {
  const two = pod('web', [container('main'), container('sidecar')], []);
  assert.deepEqual(defaultContainer(two), {
    name: 'main',
    notice: 'Defaulted container "main" out of: main, sidecar',
  });
  two.metadata = { ...two.metadata, annotations: { 'kubectl.kubernetes.io/default-container': 'sidecar' } };
  assert.deepEqual(defaultContainer(two), { name: 'sidecar' });
  assert.deepEqual(defaultContainer(pod('one', [container('only')], [])), { name: 'only' });
});

test('server warnings: `299 - "text"` headers become their text', () => {
  assert.deepEqual(
    parseWarnings([
      'Content-Type',
      'application/json',
      'Warning',
      '299 - "unknown field \\"spec.foo\\""',
      'warning',
      '299 - "a", 299 - "b"',
    ]),
    ['unknown field "spec.foo"', 'a', 'b'],
  );
});

test('demo story: seen once a liveness restart and a CrashLoopBackOff have both happened', async () => {
  const story = new DemoStory();
  let seen = false;
  void story.seen.then(() => (seen = true));
  story.onEvent(event('Killing', 'Container web failed liveness probe, will be restarted'));
  await new Promise((r) => setImmediate(r));
  assert.equal(seen, false);
  story.onPod(pod('crasher', [container('worker')], [waiting('worker', 'CrashLoopBackOff')]));
  await new Promise((r) => setImmediate(r));
  assert.equal(seen, true);
});
