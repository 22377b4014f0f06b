import type { Container, EnvFromSource, EnvVar, Pod, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { admitConfigMap, admitSecret } from './configmap.js';
import { decodeAs } from './decode.js';
import { goQuote } from '../util/goquote.js';
import { invalid, notSupported, required, type FieldError } from './field-errors.js';
import type { KubeObject } from './types.js';
import { validateEnv, validateEnvFrom } from './validation-env.js';
import { validateLabels, validateObjectMeta } from './validation.js';
import { selectorMatches as labelSelectorMatches } from './workloads/selector.js';

/**
 * settings.k8s.io/v1alpha1 PodPreset and its admission plugin as Kubernetes had them up to 1.19
 * (plugin/pkg/admission/podpreset): at pod creation, the presets of the pod's namespace whose
 * selector matches the pod's labels are merged into the pod; a conflict leaves the pod unchanged.
 */

export interface PodPresetSpec {
  selector?: LabelSelector;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumes?: Volume[];
  volumeMounts?: VolumeMount[];
}

export interface PodPreset extends KubeObject {
  spec?: PodPresetSpec;
}

export const PODPRESET_ANNOTATION_PREFIX = 'podpreset.admission.kubernetes.io';
/** api.PodPresetOptOutAnnotationKey: a pod carrying it with "true" is left alone. */
export const PODPRESET_EXCLUDE_ANNOTATION = `${PODPRESET_ANNOTATION_PREFIX}/exclude`;
/** The event reason podvisor records when presets conflict with the pod (upstream only logged it). */
export const PODPRESET_CONFLICT_REASON = 'PodPreset';

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  const errs = validateLabels(sel?.matchLabels, `${path}.matchLabels`);
  (sel?.matchExpressions ?? []).forEach((req, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (!SELECTOR_OPERATORS.includes(req.operator)) {
      errs.push(notSupported(`${p}.operator`, req.operator, SELECTOR_OPERATORS));
    } else if ((req.operator === 'In' || req.operator === 'NotIn') && (req.values?.length ?? 0) === 0) {
      errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (
      (req.operator === 'Exists' || req.operator === 'DoesNotExist') &&
      (req.values?.length ?? 0) > 0
    ) {
      errs.push(
        invalid(
          `${p}.values`,
          req.values,
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
    errs.push(...validateLabels(req.key ? { [req.key]: '' } : undefined, `${p}.key`));
    if (!req.key) errs.push(required(`${p}.key`));
  });
  return errs;
}

/** ValidatePodPreset (pkg/apis/settings/validation). */
export function validatePodPreset(pp: PodPreset): FieldError[] {
  const errs = validateObjectMeta(pp.metadata, 'metadata');
  const spec = pp.spec ?? {};
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (!spec.env && !spec.envFrom && !spec.volumes && !spec.volumeMounts) {
    errs.push(required('spec.volumes,env,envFrom,volumeMounts', 'must specify at least one'));
  }
  const volumeNames = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    if (!v.name) errs.push(required(`spec.volumes[${i}].name`));
    else if (volumeNames.has(v.name))
      errs.push({ type: 'Duplicate value', field: `spec.volumes[${i}].name`, value: v.name, detail: '' });
    volumeNames.add(v.name);
  });
  errs.push(...validateEnv(spec.env, 'spec.env'));
  errs.push(...validateEnvFrom(spec.envFrom, 'spec.envFrom'));
  (spec.volumeMounts ?? []).forEach((m, i) => {
    if (!m.name) errs.push(required(`spec.volumeMounts[${i}].name`));
    if (!m.mountPath) errs.push(required(`spec.volumeMounts[${i}].mountPath`));
  });
  return errs;
}

export function admitPodPreset(obj: KubeObject): {
  object?: KubeObject;
  errors: FieldError[];
  warnings: string[];
  unknownFields?: string[];
} {
  // Decoded first, as a Pod is: a wrong type (`labels: {app: 1}`) is a field error, not a crash.
  const decoded = decodeAs('PodPreset', obj);
  const unknownFields = decoded.unknownFields;
  const warnings = unknownFields.map((f) => `unknown field ${goQuote(f)}`);
  if (decoded.errors.length > 0) return { errors: decoded.errors, warnings, unknownFields };
  const pp = decoded.value as PodPreset;
  pp.metadata ??= {} as PodPreset['metadata'];
  const errors = validatePodPreset(pp);
  return errors.length > 0
    ? { errors, warnings, unknownFields }
    : { object: pp, errors, warnings, unknownFields };
}

/**
 * metav1.LabelSelectorAsSelector(...).Matches. A PodPreset's selector is a value (never nil), so
 * an absent one is the empty selector, which matches every pod.
 */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  return labelSelectorMatches(sel ?? {}, labels);
}

/**
 * reflect.DeepEqual on Go structs, where an omitted field and its zero value are the same:
 * compare a canonical JSON with empty strings, `false` and nulls dropped and keys sorted.
 */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || x === null || x === '' || x === false) continue;
      out[k] = canonical(x);
    }
    return out;
  }
  return v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function show(v: unknown): string {
  return JSON.stringify(canonical(v));
}

interface Merged<T> {
  items: T[];
  errors: string[];
}

/**
 * mergeEnv / mergeVolumes / the name half of mergeVolumeMounts (podpreset admission): entries are
 * keyed by name; a preset's entry is added when the name is new, identical ones are ignored, and
 * a different one with the same name is a conflict (the message names `what`).
 */
function mergeByName<T extends { name: string }>(
  existing: T[] | undefined,
  presets: readonly PodPreset[],
  entries: (pp: PodPreset) => T[] | undefined,
  what: string,
  extraCheck?: (pp: PodPreset, v: T) => string | undefined,
): Merged<T> {
  const byName = new Map((existing ?? []).map((e) => [e.name, e] as const));
  const items = [...(existing ?? [])];
  const errors: string[] = [];
  for (const pp of presets) {
    for (const v of entries(pp) ?? []) {
      const found = byName.get(v.name);
      if (!found) {
        byName.set(v.name, v);
        items.push(v);
      } else if (!deepEqual(found, v)) {
        errors.push(
          `merging ${what} for ${pp.metadata.name} has a conflict on ${v.name}: \n${show(v)}\ndoes not match\n${show(found)}\n in container`,
        );
      }
      const extra = extraCheck?.(pp, v);
      if (extra) errors.push(extra);
    }
  }
  return { items, errors };
}

function mergeEnv(env: EnvVar[] | undefined, presets: readonly PodPreset[]): Merged<EnvVar> {
  return mergeByName(env, presets, (pp) => pp.spec?.env, 'env');
}

function mergeVolumes(volumes: Volume[] | undefined, presets: readonly PodPreset[]): Merged<Volume> {
  return mergeByName(volumes, presets, (pp) => pp.spec?.volumes, 'volumes');
}

/** Volume mounts also conflict on a mount path already used by a different mount. */
function mergeVolumeMounts(
  mounts: VolumeMount[] | undefined,
  presets: readonly PodPreset[],
): Merged<VolumeMount> {
  const byPath = new Map((mounts ?? []).map((m) => [m.mountPath, m] as const));
  return mergeByName(
    mounts,
    presets,
    (pp) => pp.spec?.volumeMounts,
    'volume mounts',
    (pp, v) => {
      const atPath = byPath.get(v.mountPath);
      if (!atPath) {
        byPath.set(v.mountPath, v);
        return undefined;
      }
      if (deepEqual(atPath, v)) return undefined;
      return `merging volume mounts for ${pp.metadata.name} has a conflict on mount path ${v.mountPath}: \n${show(v)}\ndoes not match\n${show(atPath)}\n in container`;
    },
  );
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several as `[a, b]`. */
function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? (errors[0] ?? '') : `[${errors.join(', ')}]`;
}

function mergeContainer(
  c: Container,
  presets: readonly PodPreset[],
): { container: Container; errors: string[] } {
  const env = mergeEnv(c.env, presets);
  const mounts = mergeVolumeMounts(c.volumeMounts, presets);
  const envFrom = [...(c.envFrom ?? []), ...presets.flatMap((pp) => pp.spec?.envFrom ?? [])];
  const container: Container = { ...c };
  if (env.items.length > 0) container.env = env.items;
  if (envFrom.length > 0) container.envFrom = envFrom;
  if (mounts.items.length > 0) container.volumeMounts = mounts.items;
  const errors: string[] = [];
  if (env.errors.length > 0) errors.push(aggregate(env.errors));
  if (mounts.errors.length > 0) errors.push(aggregate(mounts.errors));
  return { container, errors };
}

export type PresetOutcome =
  /** Nothing to do: excluded, mirror pod, or no preset matches. */
  | { kind: 'none'; pod: Pod }
  | { kind: 'applied'; pod: Pod; presets: string[] }
  /** The pod is admitted unchanged; `message` is the conflict, as upstream logged it. */
  | { kind: 'conflict'; pod: Pod; presets: string[]; message: string };

/** The presets that select `pod` (filterPodPresets), in the order given. */
export function matchingPresets(pod: Pod, presets: readonly PodPreset[]): PodPreset[] {
  const labels = pod.metadata?.labels ?? {};
  return presets.filter((pp) => selectorMatches(pp.spec?.selector, labels));
}

/**
 * The plugin's Admit for a pod being created. `presets` are the PodPresets of the pod's
 * namespace; the pod is returned as a new object (never modified in place).
 */
export function applyPodPresets(pod: Pod, presets: readonly PodPreset[]): PresetOutcome {
  const annotations = pod.metadata?.annotations ?? {};
  if (Object.hasOwn(annotations, 'kubernetes.io/config.mirror')) return { kind: 'none', pod };
  if (annotations[PODPRESET_EXCLUDE_ANNOTATION] === 'true') return { kind: 'none', pod };
  const matching = matchingPresets(pod, presets);
  if (matching.length === 0) return { kind: 'none', pod };
  const names = matching.map((pp) => pp.metadata.name);

  const spec = pod.spec ?? { containers: [] };
  const volumes = mergeVolumes(spec.volumes, matching);
  const errors: string[] = [];
  if (volumes.errors.length > 0) errors.push(aggregate(volumes.errors));
  const containers = spec.containers.map((c) => mergeContainer(c, matching));
  const initContainers = spec.initContainers?.map((c) => mergeContainer(c, matching));
  for (const r of [...containers, ...(initContainers ?? [])]) errors.push(...r.errors);
  if (errors.length > 0) {
    const message = `conflict occurred while applying podpresets: ${names.join(',')} on pod: ${pod.metadata?.name || pod.metadata?.generateName || ''} err: ${aggregate(errors)}`;
    return { kind: 'conflict', pod, presets: names, message };
  }

  const nextSpec = { ...spec, containers: containers.map((r) => r.container) };
  if (initContainers) nextSpec.initContainers = initContainers.map((r) => r.container);
  if (volumes.items.length > 0) nextSpec.volumes = volumes.items;
  const nextAnnotations = { ...annotations };
  for (const pp of matching) {
    nextAnnotations[`${PODPRESET_ANNOTATION_PREFIX}/podpreset-${pp.metadata.name}`] =
      pp.metadata.resourceVersion ?? '';
  }
  return {
    kind: 'applied',
    pod: { ...pod, metadata: { ...pod.metadata, annotations: nextAnnotations }, spec: nextSpec },
    presets: names,
  };
}

/** The config kinds manifest loading admits besides workloads, by kind: apiVersion. */
export const CONFIG_KINDS: Readonly<Record<string, string>> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  PodPreset: 'settings.k8s.io/v1alpha1',
};

/**
 * Manifest admission for ConfigMap, Secret and PodPreset (`up -f`): the namespace defaults to
 * "default" as the API path's request namespace would, then the kind's own admission.
 */
export function admitConfigKind(
  kind: string,
  obj: Record<string, unknown>,
): { object?: KubeObject; errors: FieldError[]; warnings: string[] } {
  const meta = (typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {}) as {
    namespace?: string;
  };
  const withNs = { ...obj, metadata: { ...meta, namespace: meta.namespace || 'default' } } as KubeObject;
  if (kind === 'ConfigMap') return admitConfigMap(withNs);
  if (kind === 'Secret') return admitSecret(withNs);
  return admitPodPreset(withNs);
}
