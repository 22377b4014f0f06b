import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  applyPodPresets,
  selectorMatches,
  validatePodPreset,
  type PodPreset,
} from '../../../src/api/podpreset.js';
import { formatFieldError } from '../../../src/api/field-errors.js';

function preset(name: string, spec: PodPreset['spec'], rv = '7'): PodPreset {
  return {
    apiVersion: 'settings.k8s.io/v1alpha1',
    kind: 'PodPreset',
    metadata: { name, namespace: 'default', resourceVersion: rv },
    spec,
  };
}

function frontend(extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { role: 'frontend' }, ...extra },
    spec: {
      containers: [{ name: 'app', command: ['env'], env: [{ name: 'A', value: '1' }] }],
      initContainers: [{ name: 'init', command: ['true'] }],
    },
  };
}

const dbPort = preset('db-port', {
  selector: { matchLabels: { role: 'frontend' } },
  env: [{ name: 'DB_PORT', value: '6379' }],
  envFrom: [{ configMapRef: { name: 'cfg' } }],
  volumes: [{ name: 'cache', emptyDir: {} }],
  volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
});

describe('PodPreset admission (plugin/pkg/admission/podpreset, Kubernetes ≤ 1.19)', () => {
  test('a matching preset merges env, envFrom, volumeMounts into every container and volumes into the pod', () => {
    const out = applyPodPresets(frontend(), [dbPort]);
    assert.equal(out.kind, 'applied');
    const spec = out.pod.spec;
    assert.deepEqual(spec?.containers[0]?.env, [
      { name: 'A', value: '1' },
      { name: 'DB_PORT', value: '6379' },
    ]);
    assert.deepEqual(spec?.containers[0]?.envFrom, [{ configMapRef: { name: 'cfg' } }]);
    assert.deepEqual(spec?.containers[0]?.volumeMounts, [{ name: 'cache', mountPath: '/cache' }]);
    assert.deepEqual(spec?.initContainers?.[0]?.env, [{ name: 'DB_PORT', value: '6379' }]);
    assert.deepEqual(spec?.volumes, [{ name: 'cache', emptyDir: {} }]);
  });

  test('on success the annotation podpreset.admission.kubernetes.io/podpreset-<name> holds its resourceVersion', () => {
    const out = applyPodPresets(frontend(), [dbPort]);
    assert.equal(out.pod.metadata?.annotations?.['podpreset.admission.kubernetes.io/podpreset-db-port'], '7');
  });

  test('the input pod is never modified in place', () => {
    const pod = frontend();
    const before = JSON.stringify(pod);
    applyPodPresets(pod, [dbPort]);
    assert.equal(JSON.stringify(pod), before);
  });

  test('presets whose selector does not match are ignored', () => {
    const other = preset('backend', {
      selector: { matchLabels: { role: 'backend' } },
      env: [{ name: 'X', value: '1' }],
    });
    assert.equal(applyPodPresets(frontend(), [other]).kind, 'none');
  });

  test('an identical env entry is no conflict and is not duplicated', () => {
    const same = preset('same', { selector: {}, env: [{ name: 'A', value: '1' }] });
    const out = applyPodPresets(frontend(), [same]);
    assert.equal(out.kind, 'applied');
    assert.deepEqual(out.pod.spec?.containers[0]?.env, [{ name: 'A', value: '1' }]);
  });

  test('conflict on an env value: the pod is admitted unchanged and the conflict is reported', () => {
    const clash = preset('clash', {
      selector: { matchLabels: { role: 'frontend' } },
      env: [{ name: 'A', value: '2' }],
    });
    const pod = frontend();
    const out = applyPodPresets(pod, [dbPort, clash]);
    assert.equal(out.kind, 'conflict');
    assert.equal(out.pod, pod);
    assert.ok(out.kind === 'conflict');
    assert.match(
      out.message,
      /^conflict occurred while applying podpresets: db-port,clash on pod: web err: /,
    );
    assert.match(out.message, /merging env for clash has a conflict on A: /);
  });

  test('conflict on a mount path or a volume definition leaves the pod unchanged', () => {
    const path = preset('path', { selector: {}, volumeMounts: [{ name: 'other', mountPath: '/data' }] });
    const pod = frontend();
    const withMount: Pod = {
      ...pod,
      spec: {
        containers: [{ name: 'app', command: ['x'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    };
    const byPath = applyPodPresets(withMount, [path]);
    assert.equal(byPath.kind, 'conflict');
    assert.ok(byPath.kind === 'conflict' && byPath.message.includes('has a conflict on mount path /data'));
    const vol = preset('vol', { selector: {}, volumes: [{ name: 'data', hostPath: { path: '/tmp' } }] });
    const byVolume = applyPodPresets(withMount, [vol]);
    assert.ok(
      byVolume.kind === 'conflict' &&
        byVolume.message.includes('merging volumes for vol has a conflict on data'),
    );
  });

  test('a pod annotated podpreset.admission.kubernetes.io/exclude: "true" is skipped', () => {
    const pod = frontend({ annotations: { 'podpreset.admission.kubernetes.io/exclude': 'true' } });
    assert.equal(applyPodPresets(pod, [dbPort]).kind, 'none');
  });

  test('label selectors: matchLabels and matchExpressions; an empty selector matches everything', () => {
    assert.equal(selectorMatches(undefined, {}), true);
    assert.equal(selectorMatches({ matchLabels: { a: '1' } }, { a: '1', b: '2' }), true);
    assert.equal(selectorMatches({ matchLabels: { a: '1' } }, { a: '2' }), false);
    const expr = (operator: string, values?: string[]) => ({
      matchExpressions: [{ key: 'a', operator, ...(values ? { values } : {}) }],
    });
    assert.equal(selectorMatches(expr('In', ['1', '2']), { a: '2' }), true);
    assert.equal(selectorMatches(expr('In', ['1']), {}), false);
    assert.equal(selectorMatches(expr('NotIn', ['1']), {}), true);
    assert.equal(selectorMatches(expr('NotIn', ['1']), { a: '1' }), false);
    assert.equal(selectorMatches(expr('Exists'), { a: '' }), true);
    assert.equal(selectorMatches(expr('DoesNotExist'), { a: '' }), false);
  });

  test('validation: at least one of env, envFrom, volumes, volumeMounts; env names checked', () => {
    const empty = preset('empty', { selector: {} });
    assert.deepEqual(validatePodPreset(empty).map(formatFieldError), [
      'spec.volumes,env,envFrom,volumeMounts: Required value: must specify at least one',
    ]);
    const bad = preset('bad', { selector: {}, env: [{ name: '', value: 'x' }] });
    assert.deepEqual(validatePodPreset(bad).map(formatFieldError), ['spec.env[0].name: Required value']);
  });
});
