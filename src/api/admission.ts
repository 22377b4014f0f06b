import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from './types.js';
import { decodeAs } from './decode.js';
import { defaultPod } from './defaults.js';
import { notSupported, required, type FieldError } from './field-errors.js';
import { goQuote } from '../util/goquote.js';
import { validatePod } from './validation.js';
import { podWarnings } from './warnings.js';
import { podvisorAnnotationWarnings, validatePodvisorAnnotations } from './podvisor-annotations.js';
import { admitService } from './service.js';
import { admitConfigKind, CONFIG_KINDS } from './podpreset.js';
import { admitWorkload, isWorkloadKind, WORKLOAD_KINDS } from './workloads/admission.js';

/**
 * The one entry point for turning an untrusted object into a stored Pod: Kubernetes defaults
 * (spec §1.1), validation (spec §1.2) and podvisor's warnings for fields with no process meaning.
 * Used by manifest loading (`up -f`, `apply -f`) and by the API server's create/replace.
 */
export interface PodAdmission {
  /** The defaulted pod when there are no errors. */
  pod?: Pod;
  errors: FieldError[];
  /** Human-readable, each naming the field: `spec.containers[0].image: "nginx:1.27" is recorded but not pulled: ...`. */
  warnings: string[];
  /**
   * Paths of fields that are not part of a Pod (also in `warnings` as `unknown field "<path>"`).
   * An API server honouring `fieldValidation=Strict` turns these into an error.
   */
  unknownFields?: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function admitPod(obj: unknown): PodAdmission {
  if (!isPlainObject(obj)) {
    return {
      errors: [{ type: 'Invalid value', field: '<root>', value: obj, detail: 'must be an object' }],
      warnings: [],
    };
  }
  const typeErrors: FieldError[] = [];
  if (!obj.apiVersion) typeErrors.push(required('apiVersion'));
  else if (obj.apiVersion !== 'v1') typeErrors.push(notSupported('apiVersion', obj.apiVersion, ['v1']));
  if (!obj.kind) typeErrors.push(required('kind'));
  else if (obj.kind !== 'Pod') typeErrors.push(notSupported('kind', obj.kind, ['Pod']));
  const decoded = decodeAs('Pod', obj);
  const unknownFields = decoded.unknownFields;
  const warnings = unknownFields.map((f) => `unknown field ${goQuote(f)}`);
  typeErrors.push(...decoded.errors);
  if (typeErrors.length > 0) return { errors: typeErrors, warnings, unknownFields };
  const userPod = decoded.value as Pod;
  // The API server names a pod from generateName before validating it (rest.BeforeCreate).
  if (userPod.metadata && !userPod.metadata.name && userPod.metadata.generateName) {
    userPod.metadata.name = generateName(userPod.metadata.generateName);
  }
  warnings.push(...podWarnings(userPod));
  warnings.push(...podvisorAnnotationWarnings(userPod.metadata, 'metadata.annotations'));
  // podStrategy.PrepareForCreate: a new pod's status is the server's, starting at Pending.
  const pod: Pod = { ...defaultPod(userPod), status: { phase: 'Pending' } };
  const errors = validatePod(pod);
  errors.push(...validatePodvisorAnnotations(pod.metadata, 'metadata.annotations', 'Pod'));
  return errors.length > 0 ? { errors, warnings, unknownFields } : { pod, errors, warnings, unknownFields };
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * names.SimpleNameGenerator: the base, cut to 58 characters, plus 5 random characters from an
 * alphabet without vowels (so no words appear) and without look-alikes such as 0/o and 1/l.
 */
export function generateName(base: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return base.slice(0, 58) + suffix;
}

export interface ObjectAdmission {
  /** The admitted object (a defaulted Pod in this version) when there are no errors. */
  object?: KubeObject;
  errors: FieldError[];
  warnings: string[];
  /** Set when the object is not something podvisor can run at all (wrong or missing kind). */
  kindError?: string;
  unknownFields?: string[];
}

/** The kinds podvisor admits, by apiVersion; everything else is refused with `kindError`. */
const SUPPORTED: Readonly<Record<string, string>> = {
  Pod: 'v1',
  Service: 'v1',
  ...CONFIG_KINDS,
  ...Object.fromEntries(Object.entries(WORKLOAD_KINDS).map(([k, v]) => [k, v.apiVersion])),
};

/**
 * Admits any manifest object: checks apiVersion and kind, then runs the kind's admission.
 * Lists are expanded by the caller (manifest loading), not here.
 */
export function admitObject(obj: unknown): ObjectAdmission {
  const refuse = (kindError: string): ObjectAdmission => ({ errors: [], warnings: [], kindError });
  if (!isPlainObject(obj)) {
    return refuse('expected a Kubernetes object (a mapping with apiVersion, kind, metadata and spec)');
  }
  const kind = obj.kind;
  const apiVersion = obj.apiVersion;
  if (typeof kind !== 'string' || kind === '') {
    return refuse(
      'kind is missing: every object needs apiVersion and kind, e.g. apiVersion: v1 and kind: Pod',
    );
  }
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    return refuse(
      `apiVersion is missing: every object needs apiVersion and kind, e.g. apiVersion: v1 and kind: ${kind}`,
    );
  }
  // Own keys only: `kind: toString` must not find Object.prototype.toString.
  const wantVersion = Object.hasOwn(SUPPORTED, kind) ? SUPPORTED[kind] : undefined;
  if (wantVersion === undefined) {
    return refuse(
      `kind ${goQuote(kind)} (${apiVersion}) is not supported yet: podvisor runs ${Object.keys(SUPPORTED).join(', ')} in this version`,
    );
  }
  if (apiVersion !== wantVersion) {
    return refuse(
      `no matches for kind ${goQuote(kind)} in version ${goQuote(apiVersion)}: ${kind} is ${wantVersion}`,
    );
  }
  if (isWorkloadKind(kind)) return admitWorkload(kind, obj);
  if (Object.hasOwn(CONFIG_KINDS, kind)) return admitConfigKind(kind, obj);
  if (kind === 'Service') {
    const svc = admitService(obj);
    return {
      object: svc.service,
      errors: svc.errors,
      warnings: svc.warnings,
      unknownFields: svc.unknownFields,
    };
  }
  const admitted = admitPod(obj);
  return {
    object: admitted.pod as KubeObject | undefined,
    errors: admitted.errors,
    warnings: admitted.warnings,
    unknownFields: admitted.unknownFields,
  };
}
