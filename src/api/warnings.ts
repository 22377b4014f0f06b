import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { goQuote } from '../util/goquote.js';

/**
 * Warnings for a pod as the user wrote it (before defaulting), each naming a field path:
 * Kubernetes' own pod warnings (`pkg/api/pod/warnings.go`) that apply here, and podvisor's
 * notes on fields that have no meaning for a process (DESIGN principle 4: never silently).
 */
export function podWarnings(pod: Pod): string[] {
  const spec = pod.spec ?? { containers: [] };
  const warnings = kubernetesWarnings(spec);
  (spec.containers ?? []).forEach((c, i) =>
    warnings.push(...containerWarnings(c, `spec.containers[${i}]`, spec.hostNetwork === true)),
  );
  warnings.push(...podSpecWarnings(spec));
  return warnings;
}

/** The warnings a 1.33 API server returns for these fields, with its wording. */
function kubernetesWarnings(spec: PodSpec): string[] {
  const out: string[] = [];
  (spec.containers ?? []).forEach((c, ci) => {
    const seen = new Set<string>();
    (c.env ?? []).forEach((e, i) => {
      if (!seen.has(e.name)) {
        seen.add(e.name);
        return;
      }
      const ref = `$(${e.name})`;
      const value = e.value ?? '';
      if (e.valueFrom || value === ref || !value.includes(ref)) {
        out.push(
          `spec.containers[${ci}].env[${i}]: hides previous definition of ${goQuote(e.name)}, which may be dropped when using apply`,
        );
      }
    });
  });
  const seenPorts = new Map<string, { path: string; hostPort: number; hostIP: string }[]>();
  (spec.containers ?? []).forEach((c, ci) => {
    (c.ports ?? []).forEach((p, pi) => {
      const path = `spec.containers[${ci}].ports[${pi}]`;
      const hostPort = p.hostPort ?? 0;
      const hostIP = p.hostIP ?? '';
      const key = `${p.containerPort}/${p.protocol || 'TCP'}`;
      for (const other of seenPorts.get(key) ?? []) {
        if (hostIP === other.hostIP && hostPort === other.hostPort) {
          out.push(`${path}: duplicate port definition with ${other.path}`);
        } else if (hostPort === 0 || other.hostPort === 0) {
          out.push(`${path}: overlapping port definition with ${other.path}`);
        } else if (hostPort === other.hostPort && (hostIP === '') !== (other.hostIP === '')) {
          out.push(`${path}: dangerously ambiguous port definition with ${other.path}`);
        }
      }
      seenPorts.set(key, [...(seenPorts.get(key) ?? []), { path, hostPort, hostIP }]);
    });
  });
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    out.push(
      'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
    );
  }
  return out;
}

const NOT_ENFORCED = 'recorded but not enforced: podvisor runs processes without cgroup limits';
const RUNS_AS_PODVISOR =
  "not applied: the process runs as the user that runs podvisor, with that user's privileges";
const SINGLE_NODE = 'ignored: podvisor is a single node and runs every pod on it';
const HOST_NAMING = "not applied: processes use the host's hostname, resolver and /etc/hosts";

function containerWarnings(c: Container, p: string, hostNetwork: boolean): string[] {
  const out: string[] = [];
  if (c.image)
    out.push(`${p}.image: ${goQuote(c.image)} is recorded but not pulled: podvisor runs ${p}.command`);
  if (c.imagePullPolicy) out.push(`${p}.imagePullPolicy: recorded but not used: podvisor pulls no images`);
  if (c.volumeMounts?.length) {
    out.push(
      `${p}.volumeMounts: not mounted: podvisor does not mount volumes; the container sees the host filesystem, and its pod directory is $POD_DIR`,
    );
  }
  if (c.volumeDevices?.length)
    out.push(`${p}.volumeDevices: not attached: podvisor does not provide block devices`);
  for (const kind of ['limits', 'requests'] as const) {
    if (c.resources?.[kind] && Object.keys(c.resources[kind]).length > 0)
      out.push(`${p}.resources.${kind}: ${NOT_ENFORCED}`);
  }
  if (c.resources?.claims?.length)
    out.push(`${p}.resources.claims: not allocated: podvisor has no dynamic resources`);
  if (c.resizePolicy?.length) out.push(`${p}.resizePolicy: no effect: podvisor does not enforce resources`);
  for (const key of Object.keys(c.securityContext ?? {}))
    out.push(`${p}.securityContext.${key}: ${RUNS_AS_PODVISOR}`);
  (c.ports ?? []).forEach((port, i) => {
    // With hostNetwork the process already listens on the host, which is what hostPort asks for.
    if (port.hostPort && !hostNetwork) {
      out.push(
        `${p}.ports[${i}].hostPort: not forwarded: podvisor maps no host ports; the process listens on the pod IP`,
      );
    }
    if (port.hostIP) out.push(`${p}.ports[${i}].hostIP: not used: podvisor forwards no host ports`);
  });
  for (const hook of ['postStart', 'preStop'] as const) {
    if (c.lifecycle?.[hook])
      out.push(`${p}.lifecycle.${hook}: not run: podvisor does not run lifecycle hooks yet`);
  }
  const stopSignal = (c.lifecycle as { stopSignal?: string } | undefined)?.stopSignal;
  if (stopSignal) out.push(`${p}.lifecycle.stopSignal: not used: podvisor stops containers with SIGTERM`);
  for (const key of ['stdin', 'stdinOnce', 'tty'] as const) {
    if (c[key]) out.push(`${p}.${key}: not attached: podvisor gives containers no stdin or terminal`);
  }
  return out;
}

function podSpecWarnings(spec: PodSpec): string[] {
  const out: string[] = [];
  (spec.volumes ?? []).forEach((v, i) => {
    out.push(
      `spec.volumes[${i}]: volume ${goQuote(v.name)} is not provided: podvisor does not mount volumes; containers see the host filesystem, and their pod directory is $POD_DIR`,
    );
  });
  const set = (v: unknown): boolean =>
    v !== undefined && (typeof v !== 'object' || v === null || Object.keys(v).length > 0);
  if (set(spec.nodeSelector)) out.push(`spec.nodeSelector: ${SINGLE_NODE}`);
  if (set(spec.affinity)) out.push(`spec.affinity: ${SINGLE_NODE}`);
  if (set(spec.tolerations)) out.push(`spec.tolerations: ${SINGLE_NODE}`);
  if (set(spec.topologySpreadConstraints)) out.push(`spec.topologySpreadConstraints: ${SINGLE_NODE}`);
  if (spec.schedulerName && spec.schedulerName !== 'default-scheduler') {
    out.push(`spec.schedulerName: ${SINGLE_NODE}`);
  }
  if (set(spec.schedulingGates))
    out.push('spec.schedulingGates: ignored: podvisor has no scheduler to hold the pod back');
  if (spec.priorityClassName) out.push('spec.priorityClassName: ignored: podvisor has no PriorityClasses');
  if (spec.runtimeClassName) out.push('spec.runtimeClassName: ignored: podvisor runs plain processes');
  for (const key of Object.keys(spec.securityContext ?? {})) {
    out.push(`spec.securityContext.${key}: ${RUNS_AS_PODVISOR}`);
  }
  if (spec.hostUsers === false)
    out.push('spec.hostUsers: not applied: podvisor does not use user namespaces');
  if (set(spec.dnsConfig)) out.push(`spec.dnsConfig: ${HOST_NAMING}`);
  if (set(spec.hostAliases)) out.push(`spec.hostAliases: ${HOST_NAMING}`);
  for (const key of ['hostname', 'subdomain', 'setHostnameAsFQDN'] as const) {
    if (spec[key]) out.push(`spec.${key}: ${HOST_NAMING}`);
  }
  if (set(spec.imagePullSecrets)) out.push('spec.imagePullSecrets: not used: podvisor pulls no images');
  for (const key of ['serviceAccountName', 'serviceAccount', 'automountServiceAccountToken'] as const) {
    if (spec[key]) out.push(`spec.${key}: not used: podvisor has no ServiceAccounts and mounts no tokens`);
  }
  if (set(spec.resourceClaims))
    out.push('spec.resourceClaims: not allocated: podvisor has no dynamic resources');
  const podResources = (spec as { resources?: object }).resources;
  if (set(podResources)) out.push(`spec.resources: ${NOT_ENFORCED}`);
  if (set(spec.overhead)) out.push(`spec.overhead: ${NOT_ENFORCED}`);
  return out;
}
