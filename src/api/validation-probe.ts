import type { HTTPGetAction, Lifecycle, LifecycleHandler, Probe } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isHTTPHeaderName, isValidPortName, isValidPortNum } from './name-checks.js';

/**
 * Probe and lifecycle-handler validation of `pkg/apis/core/validation/validation.go`
 * (validateProbe, validateHandler, validateLivenessProbe, ...), spec §1.2. Expects a defaulted pod:
 * `httpGet.path` is only "Required" if it is still empty after defaulting.
 */

/** A probe or lifecycle handler: at most one of these may be set, checked in this order. */
interface CommonHandler {
  exec?: { command?: string[] };
  httpGet?: HTTPGetAction;
  tcpSocket?: { port: number | string; host?: string };
  grpc?: { port: number; service?: string };
  sleep?: { seconds: number };
}

const NON_NEGATIVE_PROBE_FIELDS = [
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
] as const;

export function validateNonnegativeField(value: number, field: string): FieldError[] {
  return value < 0 ? [invalid(field, value, 'must be greater than or equal to 0')] : [];
}

/** ValidatePortNumOrName: a number must be 1–65535, a string a valid IANA service name. */
export function validatePortNumOrName(port: unknown, field: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(field, port, m));
  // An absent intstr is the integer 0 in Go.
  if (port === undefined) return isValidPortNum(0).map((m) => invalid(field, 0, m));
  return [{ type: 'Internal error', field, detail: `unknown type: ${typeof port}` }];
}

function validateHTTPGetAction(http: HTTPGetAction, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!http.path) errs.push(required(`${path}.path`));
  errs.push(...validatePortNumOrName(http.port, `${path}.port`));
  const scheme = http.scheme ?? '';
  if (scheme !== 'HTTP' && scheme !== 'HTTPS')
    errs.push(notSupported(`${path}.scheme`, scheme, ['HTTP', 'HTTPS']));
  for (const header of http.httpHeaders ?? []) {
    // Kubernetes reports header problems on the list, not on the entry.
    for (const m of isHTTPHeaderName(header.name)) errs.push(invalid(`${path}.httpHeaders`, header.name, m));
  }
  return errs;
}

/**
 * Sleep action as of 1.33, where PodLifecycleSleepActionAllowZero is on by default. A missing
 * pod grace period is reported elsewhere, so it is not flagged again here.
 */
function validateSleepAction(seconds: number, gracePeriod: number | undefined, path: string): FieldError[] {
  if (gracePeriod === undefined || (seconds >= 0 && seconds <= gracePeriod)) return [];
  return [
    invalid(
      path,
      seconds,
      `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`,
    ),
  ];
}

function validateHandler(h: CommonHandler, gracePeriod: number | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let handlers = 0;
  const one = (key: keyof CommonHandler, check: () => FieldError[]): void => {
    if (h[key] === undefined) return;
    if (handlers > 0) {
      errs.push(forbidden(`${path}.${key}`, 'may not specify more than 1 handler type'));
      return;
    }
    handlers++;
    errs.push(...check());
  };
  one('exec', () => (h.exec?.command?.length ? [] : [required(`${path}.exec.command`)]));
  one('httpGet', () => validateHTTPGetAction(h.httpGet as HTTPGetAction, `${path}.httpGet`));
  one('tcpSocket', () => validatePortNumOrName(h.tcpSocket?.port, `${path}.tcpSocket.port`));
  one('grpc', () => validatePortNumOrName(h.grpc?.port ?? 0, `${path}.grpc.port`));
  one('sleep', () => validateSleepAction(h.sleep?.seconds ?? 0, gracePeriod, `${path}.sleep`));
  if (handlers === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Probe, gracePeriod: number | undefined, path: string): FieldError[] {
  // Probes have no sleep action; passing the probe's own fields keeps that so.
  const handler: CommonHandler = {
    exec: probe.exec,
    httpGet: probe.httpGet,
    tcpSocket: probe.tcpSocket,
    grpc: probe.grpc,
  };
  const errs = validateHandler(handler, gracePeriod, path);
  for (const f of NON_NEGATIVE_PROBE_FIELDS)
    errs.push(...validateNonnegativeField(probe[f] ?? 0, `${path}.${f}`));
  const tgp = probe.terminationGracePeriodSeconds;
  if (tgp !== undefined && tgp <= 0) {
    errs.push(invalid(`${path}.terminationGracePeriodSeconds`, tgp, 'must be greater than 0'));
  }
  return errs;
}

/** validateLivenessProbe / validateStartupProbe: successThreshold must be 1. */
function validateRestartingProbe(
  probe: Probe | undefined,
  gracePeriod: number | undefined,
  path: string,
): FieldError[] {
  if (!probe) return [];
  const errs = validateProbe(probe, gracePeriod, path);
  const success = probe.successThreshold ?? 0;
  if (success !== 1) errs.push(invalid(`${path}.successThreshold`, success, 'must be 1'));
  return errs;
}

function validateReadinessProbe(
  probe: Probe | undefined,
  gracePeriod: number | undefined,
  path: string,
): FieldError[] {
  if (!probe) return [];
  const errs = validateProbe(probe, gracePeriod, path);
  const tgp = probe.terminationGracePeriodSeconds;
  if (tgp !== undefined) {
    errs.push(invalid(`${path}.terminationGracePeriodSeconds`, tgp, 'must not be set for readinessProbes'));
  }
  return errs;
}

export interface ProbedContainer {
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
}

/** Lifecycle and the three probes of a regular container, in Kubernetes' order. */
export function validateProbesAndLifecycle(
  c: ProbedContainer,
  gracePeriod: number | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle) {
    const hooks: [string, LifecycleHandler | undefined][] = [
      ['postStart', c.lifecycle.postStart],
      ['preStop', c.lifecycle.preStop],
    ];
    for (const [name, hook] of hooks) {
      if (hook) errs.push(...validateHandler(hook, gracePeriod, `${path}.lifecycle.${name}`));
    }
  }
  errs.push(...validateRestartingProbe(c.livenessProbe, gracePeriod, `${path}.livenessProbe`));
  errs.push(...validateReadinessProbe(c.readinessProbe, gracePeriod, `${path}.readinessProbe`));
  errs.push(...validateRestartingProbe(c.startupProbe, gracePeriod, `${path}.startupProbe`));
  return errs;
}
