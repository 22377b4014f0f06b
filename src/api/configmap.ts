import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, required, tooLong, type FieldError } from './field-errors.js';
import { isConfigMapKey } from './name-checks.js';
import type { KubeObject } from './types.js';
import { validateObjectMeta } from './validation.js';

/**
 * core/v1 ConfigMap and Secret as the apiserver admits them (pkg/apis/core/validation
 * ValidateConfigMap, ValidateSecret and their Update variants; the Secret strategy folds
 * `stringData` into base64 `data`).
 */

export type StoredConfigMap = ConfigMap & KubeObject;
export type StoredSecret = Secret & KubeObject;

export interface ConfigAdmission {
  object?: KubeObject;
  errors: FieldError[];
  warnings: string[];
}

/** Data in a ConfigMap or a Secret may total at most 1 MiB (MaxSecretSize, ConfigMap limit alike). */
const MAX_TOTAL_BYTES = 1024 * 1024;
const IMMUTABLE = 'field is immutable when `immutable` is set';

function keyErrors(keys: Iterable<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const key of keys) {
    errs.push(...isConfigMapKey(key).map((m) => invalid(`${path}[${key}]`, key, m)));
  }
  return errs;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((s) => typeof s === 'string')
  );
}

/** Shape errors the decoder would give: data maps must hold strings. */
function mapShapeErrors(obj: Record<string, unknown>, fields: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const v = obj[f];
    if (v !== undefined && v !== null && !isStringMap(v)) {
      errs.push(invalid(f, v, 'must be a map of string values'));
    }
  }
  return errs;
}

export function validateConfigMap(cm: StoredConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, 'metadata');
  let total = 0;
  errs.push(...keyErrors(Object.keys(cm.data ?? {}), 'data'));
  for (const v of Object.values(cm.data ?? {})) total += Buffer.byteLength(v);
  for (const key of Object.keys(cm.binaryData ?? {})) {
    errs.push(...isConfigMapKey(key).map((m) => invalid(`binaryData[${key}]`, key, m)));
    if (Object.hasOwn(cm.data ?? {}, key)) {
      errs.push(invalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
    }
    total += Buffer.from(cm.binaryData?.[key] ?? '', 'base64').length;
  }
  if (total > MAX_TOTAL_BYTES) errs.push(tooLong('', MAX_TOTAL_BYTES));
  return errs;
}

export function admitConfigMap(obj: KubeObject): ConfigAdmission {
  const shape = mapShapeErrors(obj as unknown as Record<string, unknown>, ['data', 'binaryData']);
  if (shape.length > 0) return { errors: shape, warnings: [] };
  const cm = obj as StoredConfigMap;
  const errors = validateConfigMap(cm);
  return errors.length > 0 ? { errors, warnings: [] } : { object: cm, errors, warnings: [] };
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  const bk = Object.keys(b ?? {});
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(b ?? {}, k) && a?.[k] === b?.[k]);
}

/** ValidateConfigMapUpdate: once `immutable: true`, neither the flag nor the data may change. */
export function validateConfigMapUpdate(next: StoredConfigMap, old: StoredConfigMap): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (next.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE));
  if (!sameMap(next.data, old.data)) errs.push(forbidden('data', IMMUTABLE));
  if (!sameMap(next.binaryData, old.binaryData)) errs.push(forbidden('binaryData', IMMUTABLE));
  return errs;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The Secret strategy's PrepareForCreate/Update and defaulting: `type` defaults to Opaque and
 * `stringData` entries overwrite `data` entries (base64-encoded), then stringData is dropped.
 */
export function normalizeSecret(secret: StoredSecret): StoredSecret {
  const data: Record<string, string> = { ...(secret.data ?? {}) };
  for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = Buffer.from(v).toString('base64');
  const { stringData: _dropped, ...rest } = secret;
  const out: StoredSecret = { ...rest, type: secret.type || 'Opaque' };
  if (Object.keys(data).length > 0 || secret.data !== undefined) out.data = data;
  return out;
}

export function validateSecret(secret: StoredSecret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, 'metadata');
  let total = 0;
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    errs.push(...isConfigMapKey(key).map((m) => invalid(`data[${key}]`, key, m)));
    // JSON []byte: a value that is not base64 cannot be decoded at all.
    if (!BASE64.test(value)) errs.push(invalid(`data[${key}]`, '<value omitted>', 'must be base64-encoded'));
    total += Buffer.from(value, 'base64').length;
  }
  if (total > MAX_TOTAL_BYTES) errs.push(tooLong('data', MAX_TOTAL_BYTES));
  // Per-type required keys (ValidateSecret's switch), for the types kubectl creates.
  const data = secret.data ?? {};
  switch (secret.type) {
    case 'kubernetes.io/dockerconfigjson':
      if (!Object.hasOwn(data, '.dockerconfigjson')) errs.push(required('data[.dockerconfigjson]'));
      break;
    case 'kubernetes.io/tls':
      if (!Object.hasOwn(data, 'tls.crt')) errs.push(required('data[tls.crt]'));
      if (!Object.hasOwn(data, 'tls.key')) errs.push(required('data[tls.key]'));
      break;
    case 'kubernetes.io/basic-auth':
      if (!Object.hasOwn(data, 'username') && !Object.hasOwn(data, 'password'))
        errs.push(required('data[username]'), required('data[password]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!Object.hasOwn(data, 'ssh-privatekey')) errs.push(required('data[ssh-privatekey]'));
      break;
    default:
      break;
  }
  return errs;
}

export function admitSecret(obj: KubeObject): ConfigAdmission {
  const shape = mapShapeErrors(obj as unknown as Record<string, unknown>, ['data', 'stringData']);
  if (shape.length > 0) return { errors: shape, warnings: [] };
  const secret = normalizeSecret(obj as StoredSecret);
  const errors = validateSecret(secret);
  return errors.length > 0 ? { errors, warnings: [] } : { object: secret, errors, warnings: [] };
}

/** ValidateSecretUpdate: `type` never changes; `immutable` freezes the flag and the data. */
export function validateSecretUpdate(next: StoredSecret, old: StoredSecret): FieldError[] {
  const errs: FieldError[] = [];
  if ((next.type ?? 'Opaque') !== (old.type ?? 'Opaque'))
    errs.push(invalid('type', next.type, 'field is immutable'));
  if (old.immutable === true) {
    if (next.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE));
    if (!sameMap(next.data, old.data)) errs.push(forbidden('data', IMMUTABLE));
  }
  return errs;
}

/** A Secret's values as the process sees them (base64-decoded, UTF-8). */
export function secretValues(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}
