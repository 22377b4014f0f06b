import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import { decodeAs } from '../decode.js';
import { notSupported, required, type FieldError } from '../field-errors.js';
import type { KubeObject } from '../types.js';
import { goQuote } from '../../util/goquote.js';
import { podvisorAnnotationWarnings, validatePodvisorAnnotations } from '../podvisor-annotations.js';
import { defaultDeployment, defaultReplicaSet, defaultReplicationController } from './defaults.js';
import { validateDeployment, validateReplicaSet, validateReplicationController } from './validation.js';

/** The workload kinds podvisor serves, with their apiVersion and REST plural. */
export const WORKLOAD_KINDS = {
  ReplicaSet: { apiVersion: 'apps/v1', resource: 'replicasets' },
  Deployment: { apiVersion: 'apps/v1', resource: 'deployments' },
  ReplicationController: { apiVersion: 'v1', resource: 'replicationcontrollers' },
} as const;

export type WorkloadKind = keyof typeof WORKLOAD_KINDS;

export function isWorkloadKind(kind: unknown): kind is WorkloadKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(WORKLOAD_KINDS, kind);
}

export interface WorkloadAdmission {
  object?: KubeObject;
  errors: FieldError[];
  warnings: string[];
  unknownFields?: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Defaults and validates a ReplicaSet, Deployment or ReplicationController (apps/v1, v1). A new
 * object starts at generation 1 with no status (the strategies' PrepareForCreate); the REST
 * layer's prepareUpdate keeps both right on update.
 */
export function admitWorkload(kind: WorkloadKind, obj: unknown): WorkloadAdmission {
  if (!isPlainObject(obj)) {
    return {
      errors: [{ type: 'Invalid value', field: '<root>', value: obj, detail: 'must be an object' }],
      warnings: [],
    };
  }
  const want = WORKLOAD_KINDS[kind].apiVersion;
  const typeErrors: FieldError[] = [];
  if (!obj.apiVersion) typeErrors.push(required('apiVersion'));
  else if (obj.apiVersion !== want) typeErrors.push(notSupported('apiVersion', obj.apiVersion, [want]));
  if (obj.kind !== kind) typeErrors.push(notSupported('kind', obj.kind ?? '', [kind]));
  // The whole object is decoded (the template as a pod's fields): a wrong type anywhere is a
  // field error rather than a crash in defaulting, and unknown fields are reported and dropped.
  const decoded = decodeAs(kind, obj);
  typeErrors.push(...decoded.errors);
  const unknownFields = decoded.unknownFields;
  const warnings = unknownFields.map((f) => `unknown field ${goQuote(f)}`);
  if (typeErrors.length > 0) return { errors: typeErrors, warnings, unknownFields };
  const value = decoded.value as Record<string, unknown>;
  const input = { ...value, metadata: value.metadata ?? {}, spec: value.spec ?? {} };
  delete (input as { status?: unknown }).status;
  let object: KubeObject;
  let errors: FieldError[];
  if (kind === 'ReplicaSet') {
    const rs = defaultReplicaSet(input as unknown as ReplicaSet);
    errors = validateReplicaSet(rs);
    object = rs as KubeObject;
  } else if (kind === 'Deployment') {
    const d = defaultDeployment(input as unknown as Deployment);
    errors = validateDeployment(d);
    object = d as KubeObject;
  } else {
    const rc = defaultReplicationController(input as unknown as ReplicationController);
    errors = validateReplicationController(rc);
    object = rc as KubeObject;
  }
  // podvisor's knobs: the restart budget on the workload, the pod knobs on its template.
  const templateMeta = (object as { spec?: { template?: PodTemplateSpec } }).spec?.template?.metadata;
  errors.push(
    ...validatePodvisorAnnotations(object.metadata, 'metadata.annotations', 'Workload'),
    ...validatePodvisorAnnotations(templateMeta, 'spec.template.metadata.annotations', 'PodTemplate'),
  );
  warnings.push(
    ...podvisorAnnotationWarnings(object.metadata, 'metadata.annotations'),
    ...podvisorAnnotationWarnings(templateMeta, 'spec.template.metadata.annotations'),
  );
  if (errors.length > 0) return { errors, warnings, unknownFields };
  const created = { ...object, metadata: { ...object.metadata, generation: 1 } };
  return { object: created, errors, warnings, unknownFields };
}
