import type { Container, PodSpec, Probe } from '../types.js';
import { expandCommandOnlyStatic } from '../expansion.js';
import {
  commandShape,
  contactedHosts,
  dependencyWords,
  heavyProgram,
  isNetworkTool,
  isPodLocalHost,
  retryConstructs,
  type CommandShape,
} from './exec-command.js';
import { detectionTime, probeParams } from './timing.js';
import type { CheckRecognizer, LintFinding, ProbeKind } from './types.js';

/** A finding before the file, line, object and container are filled in. */
export type FindingDraft = Pick<LintFinding, 'severity' | 'rule' | 'fieldPath' | 'message' | 'why' | 'fix'>;

export interface ProbeSite {
  kind: ProbeKind;
  probe: Probe;
  /** e.g. `spec.containers[0].livenessProbe` */
  path: string;
  container: Container;
  podSpec: PodSpec;
  /** The object's kind (`Pod`, `Deployment`, …): advice differs for workloads. */
  objectKind: string;
  /** The workload's podvisor.io/liveness-restart-budget annotation, if set. */
  restartBudget?: string;
  checks?: CheckRecognizer;
}

/** Exec periods shorter than this make a heavy exec probe a real cost (issue 5, item 4). */
const HEAVY_EXEC_MIN_PERIOD = 10;

export function probeFindings(site: ProbeSite): FindingDraft[] {
  return [
    ...timeoutRule(site),
    ...portRules(site),
    ...hostRule(site),
    ...execRules(site),
    ...httpPathRule(site),
  ];
}

/** timeoutSeconds ≥ periodSeconds: the kubelet does not refuse it (spec §1.1), but it changes the cadence. */
function timeoutRule({ probe, path }: ProbeSite): FindingDraft[] {
  const p = probeParams(probe);
  if (p.timeout < p.period) return [];
  const detect = detectionTime(p);
  return [
    {
      severity: 'warning',
      rule: 'probe-timeout-not-below-period',
      fieldPath: `${path}.timeoutSeconds`,
      message: `timeoutSeconds (${p.timeout}) is not below periodSeconds (${p.period})`,
      why:
        `the API server does not check this (spec §1.1); the probe worker is serial and its ticker keeps one ` +
        `missed tick (spec §2.1), so an attempt that hangs for the whole timeout is followed at once by the next: ` +
        (p.timeout > p.period
          ? `the probe then runs every ${p.timeout}s instead of every ${p.period}s, and a dead app takes ${detect.seconds}s to be noticed`
          : `attempts then run back to back with no pause, keeping a struggling app permanently busy with probes`),
      fix:
        p.period > 1
          ? `set timeoutSeconds below periodSeconds (e.g. timeoutSeconds: ${Math.max(1, Math.floor(p.period / 2))}), or raise periodSeconds above ${p.timeout}`
          : `raise periodSeconds above timeoutSeconds (e.g. periodSeconds: ${p.timeout + 1})`,
    },
  ];
}

function probePort(probe: Probe): { port: number | string | undefined; field: string } | undefined {
  if (probe.httpGet) return { port: probe.httpGet.port, field: 'httpGet.port' };
  if (probe.tcpSocket) return { port: probe.tcpSocket.port, field: 'tcpSocket.port' };
  if (probe.grpc) return { port: probe.grpc.port, field: 'grpc.port' };
  return undefined;
}

/** Another container of the pod that declares the port (by number or name), if any. */
function declaredElsewhere(
  site: ProbeSite,
  match: (p: { name?: string; containerPort: number }) => boolean,
): string | undefined {
  const all = [...(site.podSpec.initContainers ?? []), ...(site.podSpec.containers ?? [])];
  return all.find((c) => c !== site.container && (c.ports ?? []).some(match))?.name;
}

function portRules(site: ProbeSite): FindingDraft[] {
  const target = probePort(site.probe);
  if (!target || target.port === undefined) return [];
  const fieldPath = `${site.path}.${target.field}`;
  const ports = site.container.ports ?? [];
  const name = site.container.name;
  if (typeof target.port === 'string') {
    if (ports.some((p) => p.name === target.port)) return [];
    const other = declaredElsewhere(site, (p) => p.name === target.port);
    const declared = ports.map((p) => p.name).filter((n): n is string => !!n);
    return [
      {
        severity: 'error',
        rule: 'probe-named-port-missing',
        fieldPath,
        message:
          `the ${site.kind} probe uses the port name "${target.port}", which container "${name}" does not declare` +
          (other
            ? ` (container "${other}" does; names resolve only against the probed container's own ports)`
            : ''),
        why:
          `the kubelet resolves the name at every attempt and fails (spec §3.0): that is a probe error, retried ` +
          `3 times and then thrown away (spec §2.6), so it never counts as a failure — ` +
          (site.kind === 'liveness'
            ? 'liveness never restarts this container, however dead it is'
            : site.kind === 'readiness'
              ? 'the container stays NotReady for ever'
              : 'the startup probe never decides, so liveness and readiness never run') +
          ', with only "errored" Unhealthy events to show for it',
        fix: declared.length
          ? `use one of the declared names (${declared.map((n) => `"${n}"`).join(', ')}) or a number, or add a port named "${target.port}" to the container's ports`
          : `add \`ports: [{name: ${target.port}, containerPort: <port>}]\` to container "${name}", or use the port number`,
      },
    ];
  }
  if (ports.some((p) => p.containerPort === target.port)) return [];
  const other = declaredElsewhere(site, (p) => p.containerPort === target.port);
  return [
    {
      severity: 'warning',
      rule: 'probe-port-not-declared',
      fieldPath,
      message: other
        ? `the ${site.kind} probe of container "${name}" targets port ${target.port}, which container "${other}" declares`
        : `the ${site.kind} probe targets port ${target.port}, which container "${name}" does not declare in ports`,
      why: other
        ? `probes go to the pod IP, so this one checks container "${other}", not "${name}": ` +
          `when "${other}" fails, "${name}" is the one ${site.kind === 'readiness' ? 'marked NotReady' : 'restarted'}`
        : `ports is informational, but a probe on an undeclared port is usually a typo or a port the app no longer ` +
          `uses: nothing answers, and ${site.kind === 'readiness' ? 'the pod never becomes Ready' : 'the container is killed again and again'}`,
      fix: other
        ? `move the probe to container "${other}", or probe a port "${name}" itself listens on`
        : `declare it (\`ports: [{containerPort: ${target.port}}]\`, better with a name the probe can use) or correct the port`,
    },
  ];
}

/** `httpGet.host` / `tcpSocket.host`: anything but the pod means the probe checks something else. */
function hostRule(site: ProbeSite): FindingDraft[] {
  const action = site.probe.httpGet ?? site.probe.tcpSocket;
  const host = action?.host;
  if (!action || !host) return [];
  const field = `${site.path}.${site.probe.httpGet ? 'httpGet' : 'tcpSocket'}.host`;
  const local = isPodLocalHost(host, new Set());
  if (local && site.podSpec.hostNetwork) return [];
  if (!local && site.kind === 'liveness') {
    return [externalDependency(field, `the liveness probe connects to host "${host}", not to the pod`)];
  }
  return [
    {
      severity: 'warning',
      rule: 'probe-host-not-pod',
      fieldPath: field,
      message: `the ${site.kind} probe connects to host "${host}" instead of the pod`,
      why: local
        ? `in a cluster the kubelet dials from the node, so "${host}" is the node, not the pod (it works only with ` +
          `hostNetwork: true); podvisor gives each pod its own address, so it misses the app there too`
        : `the verdict then says how "${host}" is doing, not this container`,
      fix: 'remove host: without it the probe goes to the pod IP, in podvisor and in a cluster',
    },
  ];
}

function externalDependency(fieldPath: string, message: string): FindingDraft {
  return {
    severity: 'warning',
    rule: 'liveness-external-dependency',
    fieldPath,
    message,
    why:
      'liveness should fail only when restarting this container would help; when the dependency has an outage, ' +
      'every replica fails the probe at the same time and all of them are restarted together, which does not bring ' +
      'the dependency back and takes the service down with it',
    fix:
      'make liveness check only the process itself (a /livez that does not touch dependencies, or a tcpSocket); ' +
      "report dependencies through readiness, or with `podvisor check conn` for the container's own connections",
  };
}

/**
 * Variables that name the pod itself, for `$(POD_IP)`-style hosts: the downward API's pod IP, or a
 * literal value that is a loopback address. Any other variable host (`$(DB_HOST)`) is remote.
 */
function podLocalVariables(container: Container): Set<string> {
  const out = new Set<string>();
  for (const e of container.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    if (path === 'status.podIP' || path === 'status.podIPs') out.add(e.name);
    else if (e.value !== undefined && e.value !== '' && isPodLocalHost(e.value, new Set())) out.add(e.name);
  }
  return out;
}

function execRules(site: ProbeSite): FindingDraft[] {
  const command = site.probe.exec?.command;
  if (!command || command.length === 0) return [];
  const field = `${site.path}.exec.command`;
  const expanded = expandCommandOnlyStatic(command, site.container.env);
  const checkArgs = site.checks?.invocation(expanded);
  if (checkArgs) return checkRules(site, field, checkArgs);
  return commandRules(site, field, commandShape(command));
}

/** podvisor's own `check` in an exec probe (issue 5, item 1). */
function checkRules(site: ProbeSite, field: string, args: string[]): FindingDraft[] {
  const parsed = site.checks?.parse(args);
  if (parsed && 'error' in parsed) {
    return [
      {
        severity: 'error',
        rule: 'podvisor-check-invalid',
        fieldPath: field,
        message: `\`podvisor check ${args.join(' ')}\` does not parse: ${parsed.error}`,
        why:
          'the check stops at its usage error on every run, so the probe fails every time: ' +
          (site.kind === 'readiness'
            ? 'the container is never Ready'
            : 'the container is killed after every failureThreshold × periodSeconds, for ever'),
        fix: 'correct the arguments (run the same `podvisor check …` in a shell to try them)',
      },
    ];
  }
  const kind = parsed && 'kind' in parsed ? parsed.kind : (args[0] ?? '');
  const out: FindingDraft[] = [];
  const p = probeParams(site.probe);
  if (p.period < HEAVY_EXEC_MIN_PERIOD) {
    out.push({
      severity: 'info',
      rule: 'exec-probe-podvisor-check',
      fieldPath: field,
      message: `\`podvisor check ${kind}\` every ${p.period}s is cheap under podvisor: it runs the check in-process, with no fork`,
      why:
        'in a real cluster the same exec probe runs the bundled check file with node: a Node.js start-up for every ' +
        'attempt, in every replica',
      fix: `nothing for podvisor; for a cluster, periodSeconds ≥ ${HEAVY_EXEC_MIN_PERIOD} keeps that cost small`,
    });
  }
  if (kind === 'conn' && site.kind === 'liveness') {
    // The restart budget is read on Deployments and ReplicaSets (podvisor-annotations.ts).
    const workload = site.objectKind === 'Deployment' || site.objectKind === 'ReplicaSet';
    out.push({
      severity: 'info',
      rule: 'liveness-checks-own-connections',
      fieldPath: field,
      message:
        "this liveness probe depends on a remote service on purpose: `podvisor check conn` looks at the container's " +
        'own sockets, so it restarts a replica that lost its connection and kept running',
      why:
        'that is the deliberate exception to "liveness must not depend on anything outside the container"; but an ' +
        'outage of the remote service still fails the check in every replica at once',
      fix: site.restartBudget
        ? `keep podvisor.io/liveness-restart-budget ("${site.restartBudget}"): at most that many replicas are restarted at a time`
        : workload
          ? `set the annotation podvisor.io/liveness-restart-budget (e.g. "1") on the ${site.objectKind} so only that many replicas restart at a time`
          : 'run it from a Deployment with the annotation podvisor.io/liveness-restart-budget so replicas restart a few at a time',
    });
  }
  if (kind === 'exec') {
    const dash = args.indexOf('--');
    if (dash >= 0) out.push(...commandRules(site, field, commandShape(args.slice(dash + 1))));
  } else if (kind === 'http' || kind === 'tcp' || kind === 'grpc') {
    out.push(
      ...commandRules(site, field, {
        viaShell: false,
        script: args.join(' '),
        commands: [{ program: 'curl', args }],
        loops: [],
      }),
    );
  }
  return out;
}

function commandRules(site: ProbeSite, field: string, shape: CommandShape): FindingDraft[] {
  const out: FindingDraft[] = [];
  const p = probeParams(site.probe);
  const heavy = heavyProgram(shape);
  if (heavy && p.period < HEAVY_EXEC_MIN_PERIOD) {
    out.push({
      severity: 'warning',
      rule: 'exec-probe-heavy',
      fieldPath: field,
      message: `the ${site.kind} probe starts \`${heavy}\` every ${p.period}s`,
      why:
        `each attempt forks a process and starts a runtime (tens to hundreds of ms of CPU, seconds for a JVM), in ` +
        `every replica; under load it gets slower, hits timeoutSeconds (${p.timeout}s) and fails, so the probe adds ` +
        `load and then ${site.kind === 'readiness' ? 'takes the pod out of service' : 'restarts the container'} for it`,
      fix:
        'probe an endpoint the app already serves (httpGet, tcpSocket or grpc), or keep the exec with ' +
        `periodSeconds ≥ ${HEAVY_EXEC_MIN_PERIOD} and a timeoutSeconds that covers the start-up`,
    });
  }
  const retries = retryConstructs(shape);
  if (retries.length > 0) {
    out.push({
      severity: 'warning',
      rule: 'exec-probe-retry-loop',
      fieldPath: field,
      message: `the ${site.kind} probe's command retries or waits by itself (${retries.join(', ')})`,
      why:
        `thresholds already retry: only failureThreshold consecutive failures count, so failureThreshold × ` +
        `periodSeconds (${p.failureThreshold} × ${p.period}s = ${p.failureThreshold * p.period}s) is the budget; ` +
        `a loop inside one attempt hides failures and stretches the attempt towards timeoutSeconds (${p.timeout}s), ` +
        `where the command is killed and the attempt fails anyway (spec §3.3)`,
      fix: 'make one attempt one quick check, and express the patience as failureThreshold × periodSeconds',
    });
  }
  if (site.kind === 'liveness') {
    const remote = contactedHosts(shape).filter(
      (h) => !isPodLocalHost(h.host, podLocalVariables(site.container)),
    );
    if (remote.length > 0) {
      const list = remote.map((h) => `${h.tool} → ${h.host}`).join(', ');
      out.push(externalDependency(field, `the liveness command reaches another host (${list})`));
    } else {
      const named = dependencyWords(namedText(shape));
      if (named.length > 0) {
        out.push(
          externalDependency(
            field,
            `the liveness command names a database or downstream service (${named.join(', ')})`,
          ),
        );
      }
    }
  }
  return out;
}

/**
 * The words of a command that may name a dependency. A network client pointed at the pod itself
 * (`redis-cli ping`, `pg_isready -h localhost`) checks this container, so its own name is left out.
 */
function namedText(shape: CommandShape): string {
  return shape.commands
    .map((c) => [isNetworkTool(c.program) ? '' : c.program, ...c.args].join(' '))
    .join(' ');
}

function httpPathRule(site: ProbeSite): FindingDraft[] {
  const path = site.probe.httpGet?.path;
  if (site.kind !== 'liveness' || !path) return [];
  const named = dependencyWords(path);
  if (named.length === 0) return [];
  return [
    externalDependency(
      `${site.path}.httpGet.path`,
      `the liveness path ${path} names a database or downstream service (${named.join(', ')})`,
    ),
  ];
}
