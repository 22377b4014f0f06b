import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
  type FieldError,
} from './field-errors.js';
import { decodeAs } from './decode.js';
import { VOLUME_SOURCES } from './defaults.js';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './name-checks.js';
import { validateContainers, validateInitContainers } from './validation-container.js';

export type { FieldError, FieldErrorType } from './field-errors.js';
export { formatFieldError, formatInvalid } from './field-errors.js';

/**
 * What Kubernetes' ValidatePodCreate checks that matters to podvisor, with Kubernetes' messages
 * (spec §1.2), plus podvisor's own refusals (ephemeral containers, containers without a command,
 * ConfigMap/Secret sources). Expects a pod that went through `defaultPod`, as the API server
 * validates after defaulting. Fields podvisor ignores (affinity, tolerations, securityContext,
 * resources, volume sources, ...) are warned about by admission rather than validated in depth.
 */
export function validatePod(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata ?? {}, 'metadata');
  errs.push(...validatePodSpec(pod.spec ?? { containers: [] }, 'spec'));
  return errs;
}

/** ValidateObjectMeta for a namespaced object whose name must be a DNS-1123 subdomain. */
export function validateObjectMeta(meta: ObjectMeta, path: string): FieldError[] {
  // Kinds admitted without a full decode (ConfigMap, Secret) bring untrusted metadata here: a
  // label that is a number must be a field error, not a TypeError in the label checks.
  const typed = decodeAs('ObjectMeta', meta ?? {});
  if (typed.errors.length > 0)
    return typed.errors.map((e) => ({ ...e, field: e.field === '<root>' ? path : `${path}.${e.field}` }));
  const errs: FieldError[] = [];
  if (meta.generateName) {
    // A generated name gets a random suffix, so a trailing '-' is fine. maskTrailingDash replaces the
    // last two characters, not one; kept as Kubernetes has it.
    const g = meta.generateName;
    const masked = g.length > 1 && g.endsWith('-') ? g.slice(0, -2) + 'a' : g;
    errs.push(
      ...isDNS1123Subdomain(masked).map((m) => invalid(`${path}.generateName`, meta.generateName, m)),
    );
  }
  if (!meta.name) errs.push(required(`${path}.name`, 'name or generateName is required'));
  else errs.push(...isDNS1123Subdomain(meta.name).map((m) => invalid(`${path}.name`, meta.name, m)));
  if (!meta.namespace) errs.push(required(`${path}.namespace`));
  else
    errs.push(...isDNS1123Label(meta.namespace).map((m) => invalid(`${path}.namespace`, meta.namespace, m)));
  errs.push(...validateLabels(meta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(meta.annotations, `${path}.annotations`));
  return errs;
}

/** ValidateLabels: errors are reported on the map itself, with the bad key or value. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.push(...isQualifiedName(k).map((m) => invalid(path, k, m)));
    errs.push(...isValidLabelValue(v).map((m) => invalid(path, v, m)));
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys are qualified names in any letter case.
    errs.push(...isQualifiedName(k.toLowerCase()).map((m) => invalid(path, k, m)));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateVolumes(spec: PodSpec, path: string): { names: Set<string>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (spec.volumes ?? []).forEach((vol, i) => {
    const p = `${path}[${i}]`;
    const volErrs: FieldError[] = [];
    const record = vol as unknown as Record<string, unknown>;
    const sources = VOLUME_SOURCES.filter((k) => record[k] !== undefined);
    for (const extra of sources.slice(1))
      volErrs.push(forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
    if (sources.length === 0) volErrs.push(required(p, 'must specify a volume type'));
    if (!vol.name) volErrs.push(required(`${p}.name`));
    else volErrs.push(...isDNS1123Label(vol.name).map((m) => invalid(`${p}.name`, vol.name, m)));
    if (names.has(vol.name)) volErrs.push(duplicate(`${p}.name`, vol.name));
    if (volErrs.length === 0) names.add(vol.name);
    errs.push(...volErrs);
  });
  return { names, errs };
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

function enumErrors(value: string | undefined, path: string, supported: string[]): FieldError[] {
  if (!value) return [required(path)];
  return supported.includes(value) ? [] : [notSupported(path, value, supported)];
}

function subdomainField(value: string | undefined, path: string): FieldError[] {
  return value ? isDNS1123Subdomain(value).map((m) => invalid(path, value, m)) : [];
}

function labelField(value: string | undefined, path: string): FieldError[] {
  return value ? isDNS1123Label(value).map((m) => invalid(path, value, m)) : [];
}

/** ValidatePodSpec (the parts podvisor acts on) followed by ValidatePodCreate's extra rules. */
export function validatePodSpec(spec: PodSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.terminationGracePeriodSeconds === undefined)
    errs.push(required(`${path}.terminationGracePeriodSeconds`));
  const volumes = validateVolumes(spec, `${path}.volumes`);
  errs.push(...volumes.errs);
  errs.push(
    ...validateContainers(spec.containers, `${path}.containers`, {
      gracePeriod: spec.terminationGracePeriodSeconds,
      volumeNames: volumes.names,
    }),
  );
  errs.push(
    ...validateInitContainers(spec.initContainers, spec.containers, `${path}.initContainers`, {
      gracePeriod: spec.terminationGracePeriodSeconds,
      volumeNames: volumes.names,
    }),
  );
  if (spec.hostNetwork) {
    spec.containers?.forEach((c, ci) =>
      c.ports?.forEach((port, pi) => {
        if (port.hostPort !== port.containerPort) {
          errs.push(
            invalid(
              `${path}.containers[${ci}].ports[${pi}].hostPort`,
              port.hostPort ?? 0,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      }),
    );
  }
  errs.push(...enumErrors(spec.restartPolicy, `${path}.restartPolicy`, RESTART_POLICIES));
  errs.push(...enumErrors(spec.dnsPolicy, `${path}.dnsPolicy`, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  errs.push(...subdomainField(spec.serviceAccountName, `${path}.serviceAccountName`));
  errs.push(...subdomainField(spec.nodeName, `${path}.nodeName`));
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && (deadline < 1 || deadline > 2147483647)) {
    errs.push(invalid(`${path}.activeDeadlineSeconds`, deadline, inclusiveRangeError(1, 2147483647)));
  }
  errs.push(...labelField(spec.hostname, `${path}.hostname`));
  errs.push(...labelField(spec.subdomain, `${path}.subdomain`));
  errs.push(...subdomainField(spec.priorityClassName, `${path}.priorityClassName`));
  if (spec.preemptionPolicy !== undefined) {
    errs.push(...enumErrors(spec.preemptionPolicy, `${path}.preemptionPolicy`, PREEMPTION_POLICIES));
  }
  // ValidatePodCreate: ephemeral containers are only added later, through their own subresource.
  if (spec.ephemeralContainers && spec.ephemeralContainers.length > 0) {
    errs.push(forbidden(`${path}.ephemeralContainers`, 'cannot be set on create'));
  }
  if (spec.nodeName && spec.schedulingGates && spec.schedulingGates.length > 0) {
    errs.push(forbidden(`${path}.nodeName`, 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}
