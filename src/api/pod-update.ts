import type { Toleration } from 'kubernetes-types/core/v1.js';
import type { Container, Pod, PodSpec } from './types.js';
import { schemaFields } from './decode.js';
import { forbidden, invalid, required, type FieldError } from './field-errors.js';

/**
 * Kubernetes' pod update rules (pkg/apis/core/validation ValidatePodUpdate): a pod's spec is
 * immutable except container images, a shorter activeDeadlineSeconds, added tolerations and a
 * negative terminationGracePeriodSeconds set to 1. Metadata (labels, annotations) may change;
 * identity and generation are the store's business.
 */

export const UPDATABLE_POD_SPEC_FIELDS: readonly string[] = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

const MAX_INT32 = 2147483647;

type JsonRecord = Record<string, unknown>;

/** A plain JSON copy: `undefined` members gone, so comparisons see what would be stored. */
function plain<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(plain(a))) === JSON.stringify(sortKeys(plain(b)));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const obj = v as JsonRecord;
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, sortKeys(obj[k])]),
  );
}

/** ValidateContainerUpdates: same number of containers, an image kept if there was one, no stray whitespace. */
function validateContainerUpdates(
  next: readonly Container[],
  old: readonly Container[],
  field: string,
): { errors: FieldError[]; stop: boolean } {
  if (next.length !== old.length) {
    return { errors: [forbidden(field, 'pod updates may not add or remove containers')], stop: true };
  }
  const errors: FieldError[] = [];
  next.forEach((c, i) => {
    const image = c.image ?? '';
    // podvisor admits a pod without an image (it runs commands), so only removing one is refused:
    // otherwise a pod created without an image could never be updated (a label, a patch) again.
    if (image === '' && (old[i]?.image ?? '') !== '') errors.push(required(`${field}[${i}].image`));
    if (image.trim() !== image)
      errors.push(invalid(`${field}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errors, stop: false };
}

function validateActiveDeadline(next: PodSpec, old: PodSpec): FieldError[] {
  const field = 'spec.activeDeadlineSeconds';
  const n = next.activeDeadlineSeconds;
  const o = old.activeDeadlineSeconds;
  if (n !== undefined && n !== null) {
    if (n < 0 || n > MAX_INT32) return [invalid(field, n, `must be between 0 and ${MAX_INT32}, inclusive`)];
    if (o !== undefined && o !== null && o < n)
      return [invalid(field, n, 'must be less than or equal to previous value')];
    return [];
  }
  if (o !== undefined && o !== null)
    return [invalid(field, null, 'must not update from a positive integer to nil value')];
  return [];
}

/** validateOnlyAddedTolerations: every old toleration is still there (its tolerationSeconds may change). */
function validateOnlyAddedTolerations(next: readonly Toleration[], old: readonly Toleration[]): FieldError[] {
  for (const o of old) {
    const found = next.some((n) => {
      const { tolerationSeconds: _a, ...restNew } = n;
      const { tolerationSeconds: _b, ...restOld } = o;
      return equal(restNew, restOld);
    });
    if (!found)
      return [
        forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'),
      ];
  }
  return [];
}

/** The new spec with every field that may change set back to the old value. */
function mungedSpec(next: PodSpec, old: PodSpec): PodSpec {
  const munged = plain(next);
  munged.containers = munged.containers.map(
    (c, i) => ({ ...c, image: old.containers[i]?.image }) as Container,
  );
  if (munged.initContainers) {
    munged.initContainers = munged.initContainers.map(
      (c, i) => ({ ...c, image: old.initContainers?.[i]?.image }) as Container,
    );
  }
  const assign = <K extends keyof PodSpec>(key: K): void => {
    if (old[key] === undefined) delete munged[key];
    else munged[key] = plain(old[key]);
  };
  assign('activeDeadlineSeconds');
  assign('schedulingGates');
  assign('tolerations');
  const oldGrace = old.terminationGracePeriodSeconds;
  if (
    oldGrace !== undefined &&
    oldGrace !== null &&
    oldGrace < 0 &&
    munged.terminationGracePeriodSeconds === 1
  ) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  return munged;
}

export function validatePodUpdate(next: Pod, old: Pod): FieldError[] {
  const nextSpec = next.spec ?? { containers: [] };
  const oldSpec = old.spec ?? { containers: [] };
  const errors: FieldError[] = [];
  const containers = validateContainerUpdates(
    nextSpec.containers ?? [],
    oldSpec.containers ?? [],
    'spec.containers',
  );
  errors.push(...containers.errors);
  if (containers.stop) return errors;
  const inits = validateContainerUpdates(
    nextSpec.initContainers ?? [],
    oldSpec.initContainers ?? [],
    'spec.initContainers',
  );
  errors.push(...inits.errors);
  if (inits.stop) return errors;
  const deadline = validateActiveDeadline(nextSpec, oldSpec);
  if (deadline.length > 0) return [...errors, ...deadline];
  const munged = mungedSpec(nextSpec, oldSpec);
  errors.push(...validateOnlyAddedTolerations(nextSpec.tolerations ?? [], oldSpec.tolerations ?? []));
  if (!equal(munged, oldSpec)) {
    errors.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${podSpecDiff(plain(oldSpec), munged)}`,
      ),
    );
  }
  return errors;
}

// ---- the diff printed under the Forbidden error, in the style of go-cmp's cmp.Diff ----

const GO_NAMES: Readonly<Record<string, string>> = {
  dnsPolicy: 'DNSPolicy',
  dnsConfig: 'DNSConfig',
  hostPID: 'HostPID',
  hostIPC: 'HostIPC',
  serviceAccount: 'DeprecatedServiceAccount',
  seLinuxOptions: 'SELinuxOptions',
  tty: 'TTY',
  podIP: 'PodIP',
  hostIP: 'HostIP',
};

/** Go slice types go-cmp names when it opens a changed list. */
const SLICE_TYPES: Readonly<Record<string, string>> = {
  containers: '[]core.Container',
  initContainers: '[]core.Container',
  env: '[]core.EnvVar',
  ports: '[]core.ContainerPort',
  volumeMounts: '[]core.VolumeMount',
  volumes: '[]core.Volume',
  tolerations: '[]core.Toleration',
  command: '[]string',
  args: '[]string',
};

function goName(jsonName: string): string {
  return GO_NAMES[jsonName] ?? jsonName.charAt(0).toUpperCase() + jsonName.slice(1);
}

function goValue(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `{${v.map(goValue).join(', ')}}`;
  const entries = Object.entries(v as JsonRecord).map(([k, x]) => `${goName(k)}: ${goValue(x)}`);
  return `{${entries.join(', ')}}`;
}

function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function orderedKeys(a: JsonRecord, b: JsonRecord, typeName?: string): string[] {
  const keys = new Set([...(typeName ? schemaFields(typeName) : []), ...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => k in a || k in b);
}

function diffRecords(a: JsonRecord, b: JsonRecord, depth: number, out: string[], typeName?: string): void {
  const tabs = '\t'.repeat(depth);
  let same = 0;
  const flush = (what: string): void => {
    if (same > 0) out.push(`  ${tabs}... // ${same} identical ${what}${same === 1 ? '' : 's'}`);
    same = 0;
  };
  for (const key of orderedKeys(a, b, typeName)) {
    const x = a[key];
    const y = b[key];
    if (equal(x, y)) {
      same++;
      continue;
    }
    flush('field');
    const name = goName(key);
    if (isRecord(x) && isRecord(y)) {
      out.push(`  ${tabs}${name}: {`);
      diffRecords(x, y, depth + 1, out);
      out.push(`  ${tabs}},`);
    } else if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      out.push(`  ${tabs}${name}: ${SLICE_TYPES[key] ?? ''}{`);
      diffElements(x, y, depth + 1, out);
      out.push(`  ${tabs}},`);
    } else {
      out.push(`- ${tabs}${name}: ${goValue(x)},`);
      out.push(`+ ${tabs}${name}: ${goValue(y)},`);
    }
  }
  flush('field');
}

function diffElements(a: unknown[], b: unknown[], depth: number, out: string[]): void {
  const tabs = '\t'.repeat(depth);
  let same = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (equal(x, y)) {
      same++;
      return;
    }
    if (same > 0) out.push(`  ${tabs}... // ${same} identical element${same === 1 ? '' : 's'}`);
    same = 0;
    if (isRecord(x) && isRecord(y)) {
      out.push(`  ${tabs}{`);
      diffRecords(x, y, depth + 1, out);
      out.push(`  ${tabs}},`);
    } else {
      out.push(`- ${tabs}${goValue(x)},`);
      out.push(`+ ${tabs}${goValue(y)},`);
    }
  });
  if (same > 0) out.push(`  ${tabs}... // ${same} identical element${same === 1 ? '' : 's'}`);
}

/** `cmp.Diff(oldSpec, mungedSpec)`: what changed, `-` old and `+` new, in Go field names. */
export function podSpecDiff(old: PodSpec, next: PodSpec): string {
  const out = ['  core.PodSpec{'];
  diffRecords(old as unknown as JsonRecord, next as unknown as JsonRecord, 1, out, 'PodSpec');
  out.push('  }');
  return out.join('\n');
}
