import type { ProbeHistory } from '../../api/probe-history.js';
import { podQosClass } from '../../api/qos.js';
import type { Container, ContainerState, ContainerStatus, Event, Pod } from '../../api/types.js';
import { DESCRIBE_TABWRITER, tabulate } from '../tabwriter.js';
import { describeEventAge, sortEvents } from './events-table.js';
import { describeProbe } from './probe-line.js';
import { describeProbeHistory } from './probe-history-section.js';
import { podKnobLines } from './pod-knobs.js';
import { rfc1123z, since } from './time.js';

/**
 * `kubectl describe pod` (describe.go describePod), spec §6.2. Lines are built with kubectl's
 * PrefixWriter levels (2 spaces each) and tabs, then laid out by the tabwriter with padding 2.
 */
export class PrefixWriter {
  text = '';
  write(level: number, line: string): void {
    this.text += '  '.repeat(level) + line;
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_ANNOTATION_LEN = 140;

/**
 * Renders one pod. `events` undefined leaves the Events section out (as kubectl does when it could
 * not list them); an empty list prints `Events: <none>`.
 */
export function describePod(
  pod: Pod,
  events: Event[] | undefined,
  now: number,
  probeHistory?: ProbeHistory,
): string {
  const w = new PrefixWriter();
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const meta = pod.metadata ?? {};
  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`);
  // The Priority and ServiceAccount admission plugins always fill these in on a real cluster.
  w.write(0, `Priority:\t${spec.priority ?? 0}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  w.write(0, `Service Account:\t${spec.serviceAccountName || 'default'}\n`);
  w.write(0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(0, `Start Time:\t${rfc1123z(status.startTime)}\n`);
  writeLabels(w, 'Labels', meta.labels);
  writeAnnotations(w, 'Annotations', meta.annotations);
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${since(meta.deletionTimestamp, now)})\n`);
    w.write(0, `Termination Grace Period:\t${meta.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    w.write(0, `Status:\t${status.phase ?? ''}\n`);
  }
  if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(0, `Message:\t${status.message}\n`);
  w.write(0, `IP:\t${status.podIP ?? ''}\n`);
  const podIPs = status.podIPs ?? [];
  if (podIPs.length === 0) {
    w.write(0, 'IPs:\t<none>\n');
  } else {
    w.write(0, 'IPs:\n');
    for (const ip of podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const controller = (meta.ownerReferences ?? []).find((r) => r.controller);
  if (controller) w.write(0, `Controlled By:\t${controller.kind}/${controller.name}\n`);
  if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  for (const line of podKnobLines(pod, now)) w.write(0, `${line}\n`);

  if ((spec.initContainers ?? []).length > 0) {
    describeContainers(
      w,
      'Init Containers',
      spec.initContainers ?? [],
      status.initContainerStatuses ?? [],
      pod,
    );
  }
  describeContainers(w, 'Containers', spec.containers ?? [], status.containerStatuses ?? [], pod);

  const conditions = status.conditions ?? [];
  if ((spec.readinessGates ?? []).length > 0) {
    w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const gate of spec.readinessGates ?? []) {
      const found = conditions.find((c) => c.type === gate.conditionType);
      w.write(1, `${gate.conditionType} \t${found?.status ?? '<none>'} \n`);
    }
  }
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    // kubectl's format leaves a space after each cell ("%v \t%v \n").
    for (const c of conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, pod);
  w.write(0, `QoS Class:\t${status.qosClass || podQosClass(pod)}\n`);
  writeLabels(w, 'Node-Selectors', spec.nodeSelector);
  writeTolerations(w, pod);

  let out = w.text;
  // podvisor's own "Probe History:" section (podvisor.io API), laid out on its own before Events.
  let flushed = '';
  const probeSection = probeHistory ? describeProbeHistory(probeHistory, now) : '';
  if (probeSection !== '') {
    flushed = tabulate(out, DESCRIBE_TABWRITER) + probeSection;
    out = '';
  }
  if (events !== undefined) {
    if (events.length === 0) {
      out += 'Events:\t<none>\n';
    } else {
      // kubectl flushes the tabwriter before the events table, so it is aligned on its own.
      const head = flushed + tabulate(out, DESCRIBE_TABWRITER);
      return head + describeEventsTable(events, now);
    }
  }
  return flushed + tabulate(out, DESCRIBE_TABWRITER);
}

export function writeLabels(
  w: PrefixWriter,
  title: string,
  labels: Record<string, string> | undefined,
): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((key, i) => w.write(0, `${i === 0 ? '' : '\t'}${key}=${labels?.[key] ?? ''}\n`));
}

export function writeAnnotations(
  w: PrefixWriter,
  title: string,
  annotations: Record<string, string> | undefined,
): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => k !== LAST_APPLIED)
    .sort();
  if (keys.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = (annotations?.[key] ?? '').replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${key}:\n`);
      for (const s of value.split('\n')) {
        const short = s.length > MAX_ANNOTATION_LEN - 2 ? `${s.slice(0, MAX_ANNOTATION_LEN - 2)}...` : s;
        w.write(0, `\t  ${short}\n`);
      }
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
}

function writeTolerations(w: PrefixWriter, pod: Pod): void {
  w.write(0, 'Tolerations:\t');
  const tolerations = pod.spec?.tolerations ?? [];
  if (tolerations.length === 0) {
    w.write(0, '<none>\n');
    return;
  }
  tolerations.forEach((t, i) => {
    let line = i === 0 ? '' : '\t';
    line += t.key ?? '';
    if (t.value) line += `=${t.value}`;
    if (t.effect) line += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) line += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) line += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${line}\n`);
  });
}

function describeContainers(
  w: PrefixWriter,
  label: string,
  containers: Container[],
  statuses: ContainerStatus[],
  pod: Pod,
): void {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  w.write(0, `${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const c of containers) {
    const st = byName.get(c.name);
    w.write(1, `${c.name}:\n`);
    if (st) w.write(2, `Container ID:\t${st.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (st) w.write(2, `Image ID:\t${st.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`);
    w.write(2, ports.length > 1 ? `Ports:\t${ports.join(', ')}\n` : `Port:\t${ports[0] ?? '<none>'}\n`);
    w.write(
      2,
      hostPorts.length > 1
        ? `Host Ports:\t${hostPorts.join(', ')}\n`
        : `Host Port:\t${hostPorts[0] ?? '<none>'}\n`,
    );
    writeList(w, 'Command', c.command);
    writeList(w, 'Args', c.args);
    if (st) {
      describeState(w, 'State', st.state ?? {});
      if (st.lastState?.terminated) describeState(w, 'Last State', st.lastState);
      w.write(2, `Ready:\t${st.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${st.restartCount ?? 0}\n`);
    }
    for (const kind of ['limits', 'requests'] as const) {
      const values = c.resources?.[kind] ?? {};
      const names = Object.keys(values).sort();
      if (names.length === 0) continue;
      w.write(2, `${kind === 'limits' ? 'Limits' : 'Requests'}:\n`);
      for (const n of names) w.write(3, `${n}:\t${values[n]}\n`);
    }
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if ((c.envFrom ?? []).length > 0) {
      w.write(2, 'Environment Variables from:\n');
      for (const e of c.envFrom ?? []) {
        const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
        const ref = e.configMapRef ?? e.secretRef;
        const optional = ref?.optional === true;
        const source = e.prefix ? `${from} with prefix '${e.prefix}'` : from;
        w.write(3, `${ref?.name ?? ''}\t${source}\tOptional: ${optional}\n`);
      }
    }
    describeEnv(w, c, pod);
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : 1));
    w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function writeList(w: PrefixWriter, title: string, items: string[] | undefined): void {
  if (!items || items.length === 0) return;
  w.write(2, `${title}:\n`);
  for (const item of items) for (const s of item.split('\n')) w.write(3, `${s}\n`);
}

/** describeStatus: the waiting message is deliberately not shown (spec §6.2). */
function describeState(w: PrefixWriter, name: string, state: ContainerState): void {
  if (state.running) {
    w.write(2, `${name}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(state.running.startedAt)}\n`);
  } else if (state.waiting) {
    w.write(2, `${name}:\tWaiting\n`);
    if (state.waiting.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state.terminated) {
    const t = state.terminated;
    w.write(2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(2, `${name}:\tWaiting\n`);
  }
}

function describeEnv(w: PrefixWriter, c: Container, pod: Pod): void {
  const env = c.env ?? [];
  w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const from = e.valueFrom;
    if (!from) {
      (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
    } else if (from.fieldRef) {
      const value = podFieldValue(pod, from.fieldRef.fieldPath);
      w.write(3, `${e.name}:\t${value} (${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})\n`);
    } else if (from.resourceFieldRef) {
      w.write(
        3,
        `${e.name}:\t${resourceFieldValue(c, from.resourceFieldRef.resource)} (${from.resourceFieldRef.resource})\n`,
      );
    } else if (from.secretKeyRef) {
      const r = from.secretKeyRef;
      w.write(
        3,
        `${e.name}:\t<set to the key '${r.key}' in secret '${r.name ?? ''}'>\tOptional: ${r.optional === true}\n`,
      );
    } else if (from.configMapKeyRef) {
      const r = from.configMapKeyRef;
      w.write(
        3,
        `${e.name}:\t<set to the key '${r.key}' of config map '${r.name ?? ''}'>\tOptional: ${r.optional === true}\n`,
      );
    }
  }
}

/** The downward-API fields kubectl resolves for display (fieldpath.ExtractFieldPathAsString). */
function podFieldValue(pod: Pod, path: string): string {
  const keyed = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (keyed) {
    const map = keyed[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  const values: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.hostIP': pod.status?.hostIP,
    'status.hostIPs': pod.status?.hostIPs?.map((i) => i.ip).join(','),
    'status.podIP': pod.status?.podIP,
    'status.podIPs': pod.status?.podIPs?.map((i) => i.ip).join(','),
  };
  return values[path] ?? '';
}

function resourceFieldValue(c: Container, resource: string): string {
  const [kind, name] = resource.split('.') as [string, string | undefined];
  const table =
    kind === 'limits' ? c.resources?.limits : kind === 'requests' ? c.resources?.requests : undefined;
  const value = (name && table?.[name]) || '0';
  return value === '0' && (resource === 'limits.cpu' || resource === 'limits.memory')
    ? 'node allocatable'
    : value;
}

function describeVolumes(w: PrefixWriter, pod: Pod): void {
  const volumes = pod.spec?.volumes ?? [];
  if (volumes.length === 0) {
    w.write(0, 'Volumes:\t<none>\n');
    return;
  }
  w.write(0, 'Volumes:\n');
  for (const v of volumes) {
    w.write(1, `${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, 'Type:\tHostPath (bare host directory volume)\n');
      w.write(2, `Path:\t${v.hostPath.path}\n`);
      w.write(2, `HostPathType:\t${v.hostPath.type || '<none>'}\n`);
    } else if (v.emptyDir) {
      w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n");
      w.write(2, `Medium:\t${v.emptyDir.medium ?? ''}\n`);
      w.write(2, `SizeLimit:\t${v.emptyDir.sizeLimit || '<unset>'}\n`);
    } else if (v.configMap) {
      w.write(2, 'Type:\tConfigMap (a volume populated by a ConfigMap)\n');
      w.write(2, `Name:\t${v.configMap.name ?? ''}\n`);
      w.write(2, `Optional:\t${v.configMap.optional === true}\n`);
    } else if (v.secret) {
      w.write(2, 'Type:\tSecret (a volume populated by a Secret)\n');
      w.write(2, `SecretName:\t${v.secret.secretName ?? ''}\n`);
      w.write(2, `Optional:\t${v.secret.optional === true}\n`);
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

/** kubectl's Events table of `describe` (DescribeEvents), tabulated on its own. */
export function describeEventsTable(events: Event[], now: number): string {
  const e = new PrefixWriter();
  e.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  e.write(1, '----\t------\t----\t----\t-------\n');
  for (const ev of sortEvents(events)) {
    const from = ev.source?.component || ev.reportingComponent || '';
    e.write(
      1,
      `${ev.type ?? ''}\t${ev.reason ?? ''}\t${describeEventAge(ev, now)}\t${from}\t${(ev.message ?? '').trim()}\n`,
    );
  }
  return tabulate(e.text, DESCRIBE_TABWRITER);
}
