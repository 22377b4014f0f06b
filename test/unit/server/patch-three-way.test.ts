import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/types.js';
import {
  applyPatchFor,
  LAST_APPLIED_ANNOTATION,
  lastAppliedOf,
  withLastApplied,
} from '../../../src/cli/commands/apply.js';
import type { JsonObject } from '../../../src/server/patch/json-value.js';
import { patchMetaFor } from '../../../src/server/patch/patch-meta.js';
import { applyStrategicMergePatch } from '../../../src/server/patch/strategic-merge.js';
import { createThreeWayMergePatch } from '../../../src/server/patch/three-way.js';

const meta = patchMetaFor('Pod');

function manifest(image: string, env: JsonObject[] | undefined, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'nginx', image, ...(env ? { env } : {}) }] },
  } as KubeObject;
}

/** What the server stores: the applied manifest plus its own fields. */
function live(applied: KubeObject): KubeObject {
  const obj = withLastApplied(applied) as KubeObject & { spec: JsonObject; status?: unknown };
  return {
    ...obj,
    metadata: { ...obj.metadata, uid: 'u-1', resourceVersion: '7' },
    spec: { ...obj.spec, nodeName: 'node-1', restartPolicy: 'Always' },
    status: { phase: 'Running' },
  } as KubeObject;
}

describe('client-side apply: three-way strategic merge patch (kubectl-surface §2.7)', () => {
  test('§2.7: the last-applied annotation is the manifest as sorted JSON with a newline, itself left out', () => {
    const obj = withLastApplied(manifest('nginx:1.27', undefined, { b: '2', a: '1' }));
    const text = obj.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? '';
    assert.ok(text.endsWith('}\n'));
    assert.equal(
      text,
      '{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"1","b":"2"},"name":"web","namespace":"default"},' +
        '"spec":{"containers":[{"image":"nginx:1.27","name":"nginx"}]}}\n',
    );
    assert.deepEqual(lastAppliedOf(withLastApplied(obj)), JSON.parse(text));
  });

  test("§2.7: a changed image, env value and new label give exactly kubectl's patch", () => {
    const before = manifest('nginx:1.27', [{ name: 'A', value: '1' }]);
    const after = manifest('nginx:1.28', [{ name: 'A', value: '2' }], { tier: 'frontend' });
    const patch = applyPatchFor(after, live(before));
    assert.deepEqual(patch, {
      metadata: {
        annotations: {
          [LAST_APPLIED_ANNOTATION]:
            withLastApplied(after).metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? '',
        },
        labels: { tier: 'frontend' },
      },
      spec: {
        '$setElementOrder/containers': [{ name: 'nginx' }],
        containers: [
          {
            '$setElementOrder/env': [{ name: 'A' }],
            env: [{ name: 'A', value: '2' }],
            image: 'nginx:1.28',
            name: 'nginx',
          },
        ],
      },
    });
  });

  test("§2.7: fields removed from the manifest become nulls; the server's own fields are left alone", () => {
    const before = manifest('nginx:1.27', [{ name: 'A', value: '1' }], { app: 'web', tier: 'frontend' });
    const after = manifest('nginx:1.27', undefined, { app: 'web' });
    const current = live(before);
    const patch = applyPatchFor(after, current);
    const spec = patch.spec as JsonObject;
    assert.deepEqual((patch.metadata as JsonObject).labels, { tier: null });
    assert.deepEqual(spec.containers, [{ env: null, name: 'nginx' }]);
    assert.equal('nodeName' in spec, false);
    assert.equal('status' in patch, false);
    const result = applyStrategicMergePatch(structuredClone(current) as unknown as JsonObject, patch, meta);
    assert.equal(((result.spec as JsonObject).containers as JsonObject[])[0]?.env, undefined);
    assert.equal((result.spec as JsonObject).nodeName, 'node-1');
    assert.deepEqual(result.status, { phase: 'Running' });
    assert.deepEqual((result.metadata as JsonObject).labels, { app: 'web' });
  });

  test('§2.7: the same manifest again gives an empty patch ("unchanged")', () => {
    const m = manifest('nginx:1.27', [{ name: 'A', value: '1' }], { tier: 'frontend' });
    assert.deepEqual(applyPatchFor(m, live(m)), {});
  });

  test('§2.7: a container dropped from the manifest is a $patch: delete item; one added is sent whole', () => {
    const last = {
      spec: {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'y' },
        ],
      },
    };
    const modified = {
      spec: {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'c', image: 'z' },
        ],
      },
    };
    const patch = createThreeWayMergePatch(last, modified, structuredClone(last), meta);
    assert.deepEqual(patch, {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'c' }],
        containers: [
          { $patch: 'delete', name: 'b' },
          { name: 'c', image: 'z' },
        ],
      },
    });
    const result = applyStrategicMergePatch(structuredClone(last), patch, meta);
    assert.deepEqual(result, modified);
  });

  test('§2.7: an object without last-applied (made by create) only gains what the manifest adds', () => {
    const m = manifest('nginx:1.27', undefined);
    const created = { ...m, metadata: { ...m.metadata, labels: { extra: 'kept' } } } as KubeObject;
    const patch = applyPatchFor(m, created);
    assert.deepEqual(Object.keys(patch), ['metadata']);
    assert.deepEqual(Object.keys((patch.metadata as JsonObject).annotations as JsonObject), [
      LAST_APPLIED_ANNOTATION,
    ]);
  });
});
