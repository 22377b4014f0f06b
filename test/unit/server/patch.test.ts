import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from '../../../src/server/patch/json-patch.js';
import { PatchError, type JsonObject } from '../../../src/server/patch/json-value.js';
import { applyMergePatch } from '../../../src/server/patch/merge-patch.js';
import { patchMetaFor } from '../../../src/server/patch/patch-meta.js';
import { applyStrategicMergePatch } from '../../../src/server/patch/strategic-merge.js';

const podMeta = patchMetaFor('Pod');
const smp = (original: JsonObject, patch: unknown): JsonObject =>
  applyStrategicMergePatch(structuredClone(original), patch, podMeta);

const POD: JsonObject = {
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        args: ['-a', '-b'],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
      { name: 'sidecar', image: 'busybox' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
};

describe('strategic merge patch (kubectl-surface §2.7)', () => {
  test('§2.7: maps merge and null deletes a key', () => {
    const out = smp(POD, { metadata: { labels: { tier: null, env: 'prod' } } });
    assert.deepEqual((out.metadata as JsonObject).labels, { app: 'web', env: 'prod' });
  });

  test('§2.7: containers merge by name; a patched container keeps its other fields', () => {
    const out = smp(POD, { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } });
    const containers = (out.spec as JsonObject).containers as JsonObject[];
    assert.equal(containers.length, 2);
    assert.equal(containers[0]?.image, 'nginx:1.28');
    assert.deepEqual(containers[0]?.args, ['-a', '-b']);
    assert.equal(containers[1]?.name, 'sidecar');
  });

  test('§2.7: env merges by name, ports by containerPort, volumeMounts by mountPath, volumes by name', () => {
    const out = smp(POD, {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
            ],
            ports: [{ containerPort: 80, name: 'http' }],
            volumeMounts: [{ mountPath: '/data', readOnly: true }],
          },
        ],
        volumes: [{ name: 'cache', emptyDir: {} }],
      },
    });
    const spec = out.spec as JsonObject;
    const app = (spec.containers as JsonObject[])[0] as JsonObject;
    assert.deepEqual(app.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    assert.deepEqual(app.ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
    assert.deepEqual(app.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
    assert.deepEqual(spec.volumes, [
      { name: 'data', emptyDir: {} },
      { name: 'cache', emptyDir: {} },
    ]);
  });

  test('§2.7: lists without a merge key (args, tolerations) are replaced whole', () => {
    const out = smp(POD, {
      spec: { containers: [{ name: 'app', args: ['-c'] }], tolerations: [{ key: 'x', operator: 'Exists' }] },
    });
    const spec = out.spec as JsonObject;
    assert.deepEqual(((spec.containers as JsonObject[])[0] as JsonObject).args, ['-c']);
    assert.deepEqual(spec.tolerations, [{ key: 'x', operator: 'Exists' }]);
  });

  test('§2.7: a list item with $patch: delete removes the element with that key', () => {
    const out = smp(POD, {
      spec: {
        containers: [
          { name: 'app', env: [{ name: 'A', $patch: 'delete' }] },
          { name: 'sidecar', $patch: 'delete' },
        ],
      },
    });
    const containers = (out.spec as JsonObject).containers as JsonObject[];
    assert.equal(containers.length, 1);
    assert.deepEqual(containers[0]?.env, [{ name: 'B', value: '2' }]);
  });

  test('§2.7: $patch: replace on a map replaces it; as a list item it replaces the list', () => {
    const out = smp(POD, {
      metadata: { labels: { $patch: 'replace', only: 'this' } },
      spec: { containers: [{ name: 'app', env: [{ $patch: 'replace' }, { name: 'Z', value: '9' }] }] },
    });
    assert.deepEqual((out.metadata as JsonObject).labels, { only: 'this' });
    const app = ((out.spec as JsonObject).containers as JsonObject[])[0] as JsonObject;
    assert.deepEqual(app.env, [{ name: 'Z', value: '9' }]);
  });

  test('§2.7: $patch: delete on a map removes it; an unknown $patch is a malformed patch', () => {
    const out = smp(POD, { metadata: { labels: { $patch: 'delete' } } });
    assert.equal((out.metadata as JsonObject).labels, undefined);
    assert.throws(() => smp(POD, { metadata: { labels: { $patch: 'explode' } } }), PatchError);
  });

  test('§2.7: $retainKeys keeps only the keys it lists (volume sources)', () => {
    const out = smp(POD, {
      spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/tmp' } }] },
    });
    assert.deepEqual((out.spec as JsonObject).volumes, [{ name: 'data', hostPath: { path: '/tmp' } }]);
  });

  test('§2.7: $deleteFromPrimitiveList removes values; a merged scalar list (finalizers) is a union', () => {
    const removed = smp(POD, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
    assert.deepEqual((removed.metadata as JsonObject).finalizers, []);
    const added = smp(POD, { metadata: { finalizers: ['b', 'a'] } });
    assert.deepEqual((added.metadata as JsonObject).finalizers, ['a', 'b']);
  });

  test('§2.7: $setElementOrder orders the named items; items it does not name keep their place', () => {
    const out = smp(POD, {
      spec: {
        containers: [
          {
            name: 'app',
            '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }],
            env: [{ name: 'B', value: '2' }],
          },
        ],
        '$setElementOrder/containers': [{ name: 'app' }],
      },
    });
    const containers = (out.spec as JsonObject).containers as JsonObject[];
    assert.deepEqual(
      containers.map((c) => c.name),
      ['app', 'sidecar'],
    );
    assert.deepEqual(
      (containers[0]?.env as JsonObject[]).map((e) => e.name),
      ['B', 'A'],
    );
  });

  test('§2.7: a merge-key list item without its key is refused as upstream words it', () => {
    assert.throws(
      () => smp(POD, { spec: { containers: [{ image: 'x' }] } }),
      (err: unknown) =>
        err instanceof PatchError &&
        err.message === 'map: {"image":"x"} does not contain declared merge key: name',
    );
  });

  test('§2.7: directives never reach the stored object (new items are cleaned too)', () => {
    const out = smp(POD, {
      spec: {
        containers: [
          {
            name: 'new',
            image: 'x',
            '$setElementOrder/env': [{ name: 'Q' }],
            env: [{ name: 'Q', value: 'q' }],
          },
        ],
      },
    });
    assert.doesNotMatch(JSON.stringify(out), /\$/);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  test('RFC 7386: objects merge, null deletes, lists are replaced', () => {
    const out = applyMergePatch(POD, {
      metadata: { labels: { tier: null, x: 'y' } },
      spec: { containers: [{ name: 'only' }] },
    }) as JsonObject;
    assert.deepEqual((out.metadata as JsonObject).labels, { app: 'web', x: 'y' });
    assert.deepEqual((out.spec as JsonObject).containers, [{ name: 'only' }]);
    assert.deepEqual(POD.metadata, {
      name: 'web',
      labels: { app: 'web', tier: 'fe' },
      finalizers: ['a'],
    });
  });
});

describe('JSON patch (RFC 6902)', () => {
  test('RFC 6902: add, replace, remove, copy, move and test, with ~1 escapes and "-" appends', () => {
    const out = applyJsonPatch(POD, [
      { op: 'test', path: '/spec/containers/0/image', value: 'nginx:1.27' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' },
      { op: 'add', path: '/metadata/annotations', value: {} },
      { op: 'add', path: '/metadata/annotations/example.com~1team', value: 'a' },
      { op: 'remove', path: '/metadata/labels/tier' },
      { op: 'add', path: '/spec/containers/0/args/-', value: '-z' },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copy' },
      { op: 'move', from: '/metadata/labels/copy', path: '/metadata/labels/moved' },
    ]) as JsonObject;
    const meta = out.metadata as JsonObject;
    assert.deepEqual(meta.annotations, { 'example.com/team': 'a' });
    assert.deepEqual(meta.labels, { app: 'web', moved: 'web' });
    const app = ((out.spec as JsonObject).containers as JsonObject[])[0] as JsonObject;
    assert.equal(app.image, 'nginx:1.28');
    assert.deepEqual(app.args, ['-a', '-b', '-z']);
  });

  test('RFC 6902: a failed test op and a missing path do not apply (422-kind errors)', () => {
    const failing = (patch: unknown, message: string): void =>
      assert.throws(
        () => applyJsonPatch(POD, patch),
        (err: unknown) => err instanceof PatchError && err.kind === 'Invalid' && err.message === message,
      );
    failing(
      [{ op: 'test', path: '/spec/containers/0/image', value: 'x' }],
      'testing value /spec/containers/0/image failed: test failed',
    );
    failing(
      [{ op: 'remove', path: '/metadata/nope' }],
      'Unable to remove nonexistent key: nope: missing value',
    );
    failing(
      [{ op: 'replace', path: '/metadata/nope', value: 1 }],
      'replace operation does not apply: doc is missing key: /metadata/nope: missing value',
    );
  });

  test('RFC 6902: a patch that is not a list of operations is malformed (400-kind)', () => {
    assert.throws(
      () => applyJsonPatch(POD, { op: 'add' }),
      (err: unknown) => err instanceof PatchError && err.kind === 'BadRequest',
    );
    assert.throws(
      () => applyJsonPatch(POD, [{ op: 'frobnicate', path: '/a' }]),
      (err: unknown) => err instanceof PatchError && err.message === 'Unexpected kind: frobnicate',
    );
  });
});
