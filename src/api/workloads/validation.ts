import type { Deployment, DeploymentStrategy, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { forbidden, GoSyntax, invalid, notSupported, required, type FieldError } from '../field-errors.js';
import { isQualifiedName, isValidLabelValue } from '../name-checks.js';
import { validateLabels, validateObjectMeta, validatePodSpec } from '../validation.js';
import { goStringMap, isEmptySelector, selectorMatches } from './selector.js';

/**
 * Workload validation with Kubernetes' messages (pkg/apis/apps/validation, ValidateReplicationController
 * in pkg/apis/core/validation). Expects defaulted objects. The template is checked with the pod
 * validation, its paths under `spec.template.`.
 */

const GTE_ZERO = 'must be greater than or equal to 0';

function nonNegative(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, GTE_ZERO)] : [];
}

/** unversionedvalidation.ValidateLabelSelector (operators and values). */
function validateLabelSelector(sel: LabelSelector, path: string): FieldError[] {
  const errs = validateLabels(sel.matchLabels, `${path}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0)
        errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0)
        errs.push(
          forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
    } else {
      errs.push(invalid(`${p}.operator`, e.operator, 'not a valid selector operator'));
    }
    errs.push(...isQualifiedName(e.key ?? '').map((m) => invalid(`${p}.key`, e.key, m)));
    values.forEach((v, j) =>
      errs.push(...isValidLabelValue(v).map((m) => invalid(`${p}.values[${j}]`, v, m))),
    );
  });
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet: labels match the selector, restartPolicy Always, no deadline. */
export function validateTemplateFor(
  template: PodTemplateSpec | undefined,
  matches: (labels: Record<string, string> | undefined) => boolean,
  selectorEmpty: boolean,
  path: string,
): FieldError[] {
  if (!template) return [required(path)];
  const errs: FieldError[] = [];
  const labels = template.metadata?.labels;
  if (!selectorEmpty && !matches(labels)) {
    errs.push(
      invalid(
        `${path}.metadata.labels`,
        new GoSyntax(goStringMap(labels)),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validateLabels(labels, `${path}.metadata.labels`));
  const spec = template.spec ?? { containers: [] };
  errs.push(...validatePodSpec(spec, `${path}.spec`));
  if (spec.restartPolicy !== undefined && spec.restartPolicy !== 'Always')
    errs.push(notSupported(`${path}.spec.restartPolicy`, spec.restartPolicy, ['Always']));
  if (spec.activeDeadlineSeconds !== undefined)
    errs.push(
      forbidden(`${path}.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in ReplicaSet is not Supported'),
    );
  return errs;
}

/** The apps/v1 selector rules shared by ReplicaSet and Deployment specs. */
function validateAppsSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
): FieldError[] {
  if (!selector)
    return [required('spec.selector'), ...validateTemplateFor(template, () => true, true, 'spec.template')];
  const errs = validateLabelSelector(selector, 'spec.selector');
  if (isEmptySelector(selector))
    errs.push(
      invalid(
        'spec.selector',
        new GoSyntax('&v1.LabelSelector{}'),
        'empty selector is invalid for deployment',
      ),
    );
  errs.push(
    ...validateTemplateFor(
      template,
      (l) => selectorMatches(selector, l),
      isEmptySelector(selector),
      'spec.template',
    ),
  );
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const errs = validateObjectMeta(rs.metadata ?? {}, 'metadata');
  const spec = rs.spec;
  errs.push(...nonNegative(spec?.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateAppsSelectorAndTemplate(spec?.selector, spec?.template));
  return errs;
}

const PERCENT = /^[0-9]+%$/;
const PERCENT_MESSAGE =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

function intOrPercent(value: number | string | undefined, path: string): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === 'number') return nonNegative(value, path);
  if (!PERCENT.test(value)) return [invalid(path, value, PERCENT_MESSAGE)];
  return [];
}

function isZero(value: number | string | undefined): boolean {
  return value === 0 || value === '0%';
}

function validateStrategy(strategy: DeploymentStrategy | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = strategy?.type;
  if (type === 'Recreate') {
    if (strategy?.rollingUpdate)
      errs.push(
        forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'"),
      );
    return errs;
  }
  if (type !== 'RollingUpdate')
    return [notSupported(`${path}.type`, type ?? '', ['Recreate', 'RollingUpdate'])];
  const ru = strategy?.rollingUpdate;
  if (!ru) return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
  const p = `${path}.rollingUpdate`;
  errs.push(...intOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
  errs.push(...intOrPercent(ru.maxSurge, `${p}.maxSurge`));
  if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge))
    errs.push(invalid(`${p}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  const mu = ru.maxUnavailable;
  if (typeof mu === 'string' && PERCENT.test(mu) && Number(mu.slice(0, -1)) > 100)
    errs.push(invalid(`${p}.maxUnavailable`, mu, 'must not be greater than 100%'));
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const errs = validateObjectMeta(d.metadata ?? {}, 'metadata');
  const spec = d.spec;
  errs.push(...nonNegative(spec?.replicas, 'spec.replicas'));
  errs.push(...validateAppsSelectorAndTemplate(spec?.selector, spec?.template));
  errs.push(...validateStrategy(spec?.strategy, 'spec.strategy'));
  errs.push(...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const deadline = spec?.progressDeadlineSeconds;
  if (deadline !== undefined) {
    errs.push(...nonNegative(deadline, 'spec.progressDeadlineSeconds'));
    if (deadline <= (spec?.minReadySeconds ?? 0))
      errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** ValidateReplicationControllerSpec: a non-empty map selector the template's labels match. */
export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const errs = validateObjectMeta(rc.metadata ?? {}, 'metadata');
  const spec = rc.spec ?? {};
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector = spec.selector ?? {};
  errs.push(...validateLabels(selector, 'spec.selector'));
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  const template = spec.template;
  if (!template) {
    errs.push(required('spec.template'));
    return errs;
  }
  const matches = (l: Record<string, string> | undefined): boolean =>
    Object.entries(selector).every(([k, v]) => l?.[k] === v);
  if (Object.keys(selector).length > 0 && !matches(template.metadata?.labels)) {
    errs.push(
      invalid(
        'spec.template.metadata.labels',
        new GoSyntax(goStringMap(template.metadata?.labels)),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validateTemplateFor(template, () => true, true, 'spec.template'));
  return errs;
}
