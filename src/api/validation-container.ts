import type { Container, ContainerPort, VolumeMount } from 'kubernetes-types/core/v1.js';
import {
  duplicate,
  forbidden,
  invalid,
  notFound,
  notSupported,
  required,
  type FieldError,
} from './field-errors.js';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './name-checks.js';
import { validateEnv, validateEnvFrom } from './validation-env.js';
import { validateProbesAndLifecycle } from './validation-probe.js';

/**
 * Container validation of `pkg/apis/core/validation/validation.go` (validateContainers,
 * validateContainerCommon, validateContainerPorts, ValidateVolumeMounts, checkHostPortConflicts),
 * spec §1.2, plus podvisor's own rule that a container must say which program to run.
 */

export interface ContainerContext {
  /** The pod's terminationGracePeriodSeconds (for sleep hooks). */
  gracePeriod: number | undefined;
  /** Names of the pod's volumes, for volumeMounts[].name. */
  volumeNames: ReadonlySet<string>;
}

export const COMMAND_REQUIRED =
  'podvisor runs commands, not images: set command (and args) to the program to run, e.g. command: ["node", "server.js"]';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

function validateContainerPorts(ports: ContainerPort[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = `${path}[${i}]`;
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) errs.push(...msgs.map((m) => invalid(`${p}.name`, port.name, m)));
      else if (names.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(`${p}.containerPort`));
    else
      errs.push(
        ...isValidPortNum(port.containerPort).map((m) =>
          invalid(`${p}.containerPort`, port.containerPort, m),
        ),
      );
    if (port.hostPort)
      errs.push(...isValidPortNum(port.hostPort).map((m) => invalid(`${p}.hostPort`, port.hostPort, m)));
    if (!port.protocol) errs.push(required(`${p}.protocol`));
    else if (!PROTOCOLS.includes(port.protocol))
      errs.push(notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
  });
  return errs;
}

function validateVolumeMounts(
  mounts: VolumeMount[] | undefined,
  volumes: ReadonlySet<string>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = `${path}[${i}]`;
    if (!m.name) errs.push(required(`${p}.name`));
    if (!volumes.has(m.name)) errs.push(notFound(`${p}.name`, m.name));
    if (!m.mountPath) errs.push(required(`${p}.mountPath`));
    if (mountPoints.has(m.mountPath)) errs.push(invalid(`${p}.mountPath`, m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (m.subPath && m.subPathExpr) {
      errs.push(invalid(`${p}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    }
  });
  return errs;
}

function validateContainerCommon(c: Container, path: string, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${path}.name`));
  else errs.push(...isDNS1123Label(c.name).map((m) => invalid(`${path}.name`, c.name, m)));
  // Kubernetes requires an image; podvisor does not pull one, so an absent image is only warned about.
  if (c.image !== undefined && c.image !== c.image.trim()) {
    errs.push(invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));
  }
  const tmp = c.terminationMessagePolicy ?? '';
  if (tmp === '') errs.push(required(`${path}.terminationMessagePolicy`));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) {
    errs.push(notSupported(`${path}.terminationMessagePolicy`, tmp, TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c.env, `${path}.env`));
  errs.push(...validateEnvFrom(c.envFrom, `${path}.envFrom`));
  errs.push(...validateVolumeMounts(c.volumeMounts, ctx.volumeNames, `${path}.volumeMounts`));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  }
  return errs;
}

/** AccumulateUniqueHostPorts: the same protocol/hostIP/hostPort may be used once per pod. */
function checkHostPortConflicts(containers: Container[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(`${path}[${ci}].ports[${pi}].hostPort`, key));
      else seen.add(key);
    });
  });
  return errs;
}

/** validateContainers for `spec.containers`, then podvisor's per-container rules. */
export function validateContainers(
  containers: Container[] | undefined,
  path: string,
  ctx: ContainerContext,
): FieldError[] {
  if (!containers || containers.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, p, ctx));
    if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    else names.add(c.name);
    errs.push(...validateProbesAndLifecycle(c, ctx.gracePeriod, p));
    if (c.restartPolicy !== undefined)
      errs.push(forbidden(`${p}.restartPolicy`, 'may not be set for non-init containers'));
    if (!c.command || c.command.length === 0) errs.push(required(`${p}.command`, COMMAND_REQUIRED));
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

const INIT_CONTAINER_RESTART_POLICIES = ['Always'];
const NOT_FOR_PLAIN_INIT = 'may not be set for init containers without restartPolicy=Always';

/**
 * validateInitContainers: the common rules, names unique across init and regular containers,
 * restartPolicy only `Always` (a sidecar, spec §4.7), which alone may have probes and lifecycle;
 * host ports conflict per init container only, since plain ones run one at a time.
 */
export function validateInitContainers(
  initContainers: Container[] | undefined,
  regular: Container[] | undefined,
  path: string,
  ctx: ContainerContext,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set((regular ?? []).map((c) => c.name));
  (initContainers ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    errs.push(...validateContainerCommon(c, p, ctx));
    let restartAlways = false;
    if (c.restartPolicy !== undefined) {
      if (!INIT_CONTAINER_RESTART_POLICIES.includes(c.restartPolicy)) {
        errs.push(notSupported(`${p}.restartPolicy`, c.restartPolicy, INIT_CONTAINER_RESTART_POLICIES));
      }
      restartAlways = c.restartPolicy === 'Always';
    }
    if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
    else if (c.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], path));
    if (restartAlways) {
      errs.push(...validateProbesAndLifecycle(c, ctx.gracePeriod, p));
    } else {
      for (const field of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[field]) errs.push(forbidden(`${p}.${field}`, NOT_FOR_PLAIN_INIT));
      }
    }
    if (!c.command || c.command.length === 0) errs.push(required(`${p}.command`, COMMAND_REQUIRED));
  });
  return errs;
}
