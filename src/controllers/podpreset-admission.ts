import type { PodAdmission } from '../api/admission.js';
import { formatFieldError } from '../api/field-errors.js';
import { applyPodPresets, PODPRESET_CONFLICT_REASON, type PodPreset } from '../api/podpreset.js';
import type { KubeObject, Pod } from '../api/types.js';
import { EventRecorderImpl } from '../store/event-recorder.js';
import type { EventRecorder, ObjectStore } from '../store/types.js';
import type { Clock } from '../util/clock.js';

/**
 * The PodPreset admission plugin wired to the store: runs at pod CREATE only (API creates and
 * `up -f` files alike), never on updates and never on controllers' templates, which are not pods.
 */

export interface PresetMutation {
  object: KubeObject;
  /** Whether presets changed the pod (the caller admits the result again, as validation follows mutation). */
  changed: boolean;
  /** Records the conflict event once the pod exists (the event needs its uid). */
  afterCreate?: (stored: KubeObject) => void;
}

const recorders = new WeakMap<ObjectStore, EventRecorder>();

function recorderFor(store: ObjectStore, clock: Clock): EventRecorder {
  let r = recorders.get(store);
  if (!r) {
    r = new EventRecorderImpl(store, clock, { component: 'podpreset-admission', host: '' });
    recorders.set(store, r);
  }
  return r;
}

export function admitPodPresets(
  store: ObjectStore,
  clock: Clock,
  pod: KubeObject,
  recorder: EventRecorder = recorderFor(store, clock),
): PresetMutation {
  const namespace = pod.metadata.namespace || 'default';
  const presets = store.list<PodPreset>('podpresets', { namespace }).items;
  if (presets.length === 0) return { object: pod, changed: false };
  const outcome = applyPodPresets(pod as Pod, presets);
  if (outcome.kind === 'applied') return { object: outcome.pod as KubeObject, changed: true };
  if (outcome.kind === 'none') return { object: pod, changed: false };
  return {
    object: pod,
    changed: false,
    afterCreate: (stored) => {
      recorder.record(
        {
          kind: 'Pod',
          apiVersion: 'v1',
          namespace: stored.metadata.namespace ?? namespace,
          name: stored.metadata.name,
          uid: stored.metadata.uid ?? '',
        },
        'Warning',
        PODPRESET_CONFLICT_REASON,
        outcome.message,
      );
    },
  };
}

/** Where manifest loading stores the config kinds (ConfigMap, Secret, PodPreset). */
const CONFIG_KIND_RESOURCES: Readonly<Record<string, string>> = {
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  PodPreset: 'podpresets',
};

export function configResourceFor(kind: string): string | undefined {
  return CONFIG_KIND_RESOURCES[kind];
}

/**
 * `up -f` creates ConfigMaps, Secrets and PodPresets before anything else, so that pods in the
 * same files see them at admission (presets) and at their first start (env sources); the order
 * within each group is the files' order.
 */
export function configObjectsFirst<T extends { kind: string }>(objects: readonly T[]): T[] {
  const config = objects.filter((o) => configResourceFor(o.kind) !== undefined);
  return [...config, ...objects.filter((o) => configResourceFor(o.kind) === undefined)];
}

/**
 * A Pod from a manifest file, through the same PodPreset admission as an API create: presets
 * applied, the result admitted again by `admitPod` (its errors refuse the pod, as the apiserver's
 * validation after mutation would), then stored. Throws StoreError 409 for an existing pod.
 */
export function createPodWithPresets(
  store: ObjectStore,
  clock: Clock,
  pod: KubeObject,
  admitPod: (obj: unknown) => PodAdmission,
): KubeObject {
  const mutation = admitPodPresets(store, clock, pod);
  let object = mutation.object;
  if (mutation.changed) {
    const again = admitPod(object);
    if (!again.pod) {
      const detail = again.errors.map(formatFieldError).join('; ');
      throw new Error(`pod ${pod.metadata.name}: after applying PodPresets: ${detail}`);
    }
    object = again.pod as KubeObject;
  }
  const stored = store.create('pods', object);
  mutation.afterCreate?.(stored);
  return stored;
}
