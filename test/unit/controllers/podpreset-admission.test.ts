import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPod } from '../../../src/api/admission.js';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import {
  admitPodPresets,
  configObjectsFirst,
  createPodWithPresets,
} from '../../../src/controllers/podpreset-admission.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { EventRecorder } from '../../../src/store/types.js';
import { FakeClock } from '../../../src/util/clock.js';

function setup(): { store: MemoryStore; clock: FakeClock } {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const store = new MemoryStore({ clock });
  store.create('podpresets', {
    apiVersion: 'settings.k8s.io/v1alpha1',
    kind: 'PodPreset',
    metadata: { name: 'db', namespace: 'default' },
    spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
  } as KubeObject);
  return { store, clock };
}

function pod(name: string, labels: Record<string, string>, env: Pod['spec'] = undefined): KubeObject {
  const admitted = admitPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: env ?? { containers: [{ name: 'app', command: ['env'] }] },
  });
  assert.ok(admitted.pod, JSON.stringify(admitted.errors));
  return admitted.pod as KubeObject;
}

describe('PodPreset admission against the store (pod CREATE: API and up -f)', () => {
  test('a matching preset is applied, annotated with its resourceVersion, and the pod stored', () => {
    const { store, clock } = setup();
    const rv = store.get('podpresets', 'default', 'db')?.metadata.resourceVersion;
    const stored = createPodWithPresets(store, clock, pod('web', { role: 'frontend' }), admitPod) as Pod &
      KubeObject;
    assert.deepEqual(stored.spec?.containers[0]?.env, [{ name: 'DB_PORT', value: '6379' }]);
    assert.equal(stored.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-db'], rv);
    assert.ok(store.get('pods', 'default', 'web'));
  });

  test('presets of another namespace are not applied', () => {
    const { store, clock } = setup();
    const other = pod('web', { role: 'frontend' });
    other.metadata.namespace = 'prod';
    const stored = createPodWithPresets(store, clock, other, admitPod) as Pod & KubeObject;
    assert.equal(stored.spec?.containers[0]?.env, undefined);
  });

  test('a conflict stores the pod unchanged and records a Warning PodPreset event on it', () => {
    const { store, clock } = setup();
    const events: { uid: string; type: string; reason: string; message: string }[] = [];
    const recorder: EventRecorder = {
      record: (involved, type, reason, message) => events.push({ uid: involved.uid, type, reason, message }),
    };
    const clash = pod(
      'clash',
      { role: 'frontend' },
      {
        containers: [{ name: 'app', command: ['env'], env: [{ name: 'DB_PORT', value: '1' }] }],
      },
    );
    // The step createPodWithPresets and the API's prepareCreate take, with a recorder to observe.
    const mutation = admitPodPresets(store, clock, clash, recorder);
    assert.equal(mutation.changed, false);
    assert.equal(mutation.object, clash);
    const stored = store.create('pods', mutation.object);
    mutation.afterCreate?.(stored);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.uid, stored.metadata.uid);
    assert.equal(events[0]?.type, 'Warning');
    assert.equal(events[0]?.reason, 'PodPreset');
    assert.match(
      events[0]?.message ?? '',
      /^conflict occurred while applying podpresets: db on pod: clash err: /,
    );
  });

  test('up -f creates ConfigMaps, Secrets and PodPresets before other objects, keeping file order', () => {
    const kinds = ['Pod', 'Service', 'PodPreset', 'Pod', 'ConfigMap', 'Secret'].map((kind, i) => ({
      kind,
      i,
    }));
    assert.deepEqual(
      configObjectsFirst(kinds).map((o) => o.i),
      [2, 4, 5, 0, 1, 3],
    );
  });
});
