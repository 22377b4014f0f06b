import type { EnvFromSource, EnvVar, ObjectFieldSelector } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isConfigMapKey, isDNS1123Subdomain, isEnvVarName, isQualifiedName } from './name-checks.js';

/**
 * `env` and `envFrom` validation as Kubernetes does it (ValidateEnv, validateEnvVarValueFrom,
 * validateObjectFieldSelector, ValidateEnvFrom), plus podvisor's refusal of container resources,
 * which it does not track. ConfigMaps and Secrets are resolved by the kubelet at container start.
 */

/** Downward API fields an env var may use (validEnvDownwardAPIFieldPathExpressions), sorted. */
export const ENV_DOWNWARD_API_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
] as const;

/** Labels pods.ConvertDownwardAPIFieldLabel knows for v1 (env accepts only a subset, above). */
const CONVERTIBLE_FIELD_LABELS = new Set<string>([
  'metadata.annotations',
  'metadata.labels',
  ...ENV_DOWNWARD_API_FIELDS,
  'spec.restartPolicy',
  'spec.schedulerName',
  'status.phase',
]);

const RESOURCE_FIELD_EXPRESSIONS = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

const NO_RESOURCES = 'podvisor does not track container resources: set the variable with value instead';

/** fieldpath.SplitMaybeSubscriptedPath: `metadata.labels['app']` → [`metadata.labels`, `app`]. */
export function splitSubscriptedPath(fieldPath: string): { path: string; subscript?: string } {
  if (!fieldPath.endsWith("']")) return { path: fieldPath };
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return { path: fieldPath };
  return { path: s.slice(0, at), subscript: s.slice(at + 2) };
}

/**
 * pods.ConvertDownwardAPIFieldLabel: the internal field path, or the error text Kubernetes prints
 * after `error converting fieldPath: `.
 */
export function convertDownwardAPIFieldLabel(
  apiVersion: string,
  label: string,
): { path?: string; error?: string } {
  if (apiVersion !== 'v1') return { error: `unsupported pod version: ${apiVersion}` };
  const { path, subscript } = splitSubscriptedPath(label);
  if (subscript !== undefined) {
    if (path === 'metadata.annotations' || path === 'metadata.labels') return { path: label };
    return { error: `field label does not support subscript: ${label}` };
  }
  if (label === 'spec.host') return { path: 'spec.nodeName' };
  if (CONVERTIBLE_FIELD_LABELS.has(label)) return { path: label };
  return { error: `field label not supported: ${label}` };
}

function validateObjectFieldSelector(fs: ObjectFieldSelector, path: string): FieldError[] {
  if (!fs.apiVersion) return [required(`${path}.apiVersion`)];
  if (!fs.fieldPath) return [required(`${path}.fieldPath`)];
  const converted = convertDownwardAPIFieldLabel(fs.apiVersion, fs.fieldPath);
  if (converted.error !== undefined || converted.path === undefined) {
    return [
      invalid(`${path}.fieldPath`, fs.fieldPath, `error converting fieldPath: ${converted.error ?? ''}`),
    ];
  }
  const { path: internal, subscript } = splitSubscriptedPath(converted.path);
  if (subscript !== undefined) {
    const key = internal === 'metadata.annotations' ? subscript.toLowerCase() : subscript;
    return isQualifiedName(key).map((m) => invalid(path, key, m));
  }
  if (!(ENV_DOWNWARD_API_FIELDS as readonly string[]).includes(internal)) {
    return [notSupported(`${path}.fieldPath`, internal, ENV_DOWNWARD_API_FIELDS)];
  }
  return [];
}

/** validateConfigMapKeySelector / validateSecretKeySelector (both name checks use the Secret rule). */
function validateKeySelector(sel: { name?: string; key?: string }, path: string): FieldError[] {
  const errs = isDNS1123Subdomain(sel.name ?? '').map((m) => invalid(`${path}.name`, sel.name ?? '', m));
  if (!sel.key) errs.push(required(`${path}.key`));
  else errs.push(...isConfigMapKey(sel.key).map((m) => invalid(`${path}.key`, sel.key, m)));
  return errs;
}

function validateEnvVarValueFrom(ev: EnvVar, path: string): FieldError[] {
  const from = ev.valueFrom;
  if (!from) return [];
  const errs: FieldError[] = [];
  let sources = 0;
  if (from.fieldRef) {
    sources++;
    errs.push(...validateObjectFieldSelector(from.fieldRef, `${path}.fieldRef`));
  }
  if (from.resourceFieldRef) {
    sources++;
    const p = `${path}.resourceFieldRef`;
    const resource = from.resourceFieldRef.resource;
    if (!resource) errs.push(required(`${p}.resource`));
    else if (
      !RESOURCE_FIELD_EXPRESSIONS.includes(resource) &&
      !/^(requests|limits)\.hugepages-/.test(resource)
    ) {
      errs.push(notSupported(`${p}.resource`, resource, RESOURCE_FIELD_EXPRESSIONS));
    }
    errs.push(forbidden(p, NO_RESOURCES));
  }
  if (from.configMapKeyRef) {
    sources++;
    errs.push(...validateKeySelector(from.configMapKeyRef, `${path}.configMapKeyRef`));
  }
  if (from.secretKeyRef) {
    sources++;
    errs.push(...validateKeySelector(from.secretKeyRef, `${path}.secretKeyRef`));
  }
  if (sources === 0) {
    errs.push(
      invalid(
        path,
        '',
        'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ),
    );
  } else if (ev.value) {
    errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  } else if (sources > 1) {
    errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  }
  return errs;
}

export function validateEnv(vars: EnvVar[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (vars ?? []).forEach((ev, i) => {
    const p = `${path}[${i}]`;
    if (!ev.name) errs.push(required(`${p}.name`));
    else errs.push(...isEnvVarName(ev.name).map((m) => invalid(`${p}.name`, ev.name, m)));
    errs.push(...validateEnvVarValueFrom(ev, `${p}.valueFrom`));
  });
  return errs;
}

export function validateEnvFrom(sources: EnvFromSource[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (sources ?? []).forEach((src, i) => {
    const p = `${path}[${i}]`;
    if (src.prefix) errs.push(...isEnvVarName(src.prefix).map((m) => invalid(`${p}.prefix`, src.prefix, m)));
    let count = 0;
    for (const key of ['configMapRef', 'secretRef'] as const) {
      const ref = src[key];
      if (!ref) continue;
      count++;
      if (!ref.name) errs.push(required(`${p}.${key}.name`));
      else errs.push(...isDNS1123Subdomain(ref.name).map((m) => invalid(`${p}.${key}.name`, ref.name, m)));
    }
    // Kubernetes reports these two on the envFrom list itself.
    if (count === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (count > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}
