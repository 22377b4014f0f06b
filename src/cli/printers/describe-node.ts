import type { Node } from 'kubernetes-types/core/v1.js';
import type { Event, Pod } from '../../api/types.js';
import { NodeAnnotation } from '../../api/podvisor-annotations.js';
import { DESCRIBE_TABWRITER, tabulate } from '../tabwriter.js';
import { describeEventsTable, PrefixWriter, writeAnnotations, writeLabels } from './describe-pod.js';
import { rfc1123z, since } from './time.js';

const ROLE_LABEL = 'node-role.kubernetes.io/';

/**
 * `kubectl describe node` (describe.go describeNode) for the parts a podvisor node has: no Lease,
 * PodCIDR or ProviderID, and no resource columns (podvisor does not account requests or limits),
 * plus podvisor's "Process Containment" line (cgroup or scan, and why: runtime/cgroup.ts).
 * `pods` are the node's pods (terminated ones are left out here); `events` undefined leaves the
 * Events section out, as kubectl does when it could not list them.
 */
export function describeNode(node: Node, pods: Pod[], events: Event[] | undefined, now: number): string {
  const w = new PrefixWriter();
  const meta = node.metadata ?? {};
  const spec = node.spec ?? {};
  const status = node.status ?? {};
  w.write(0, `Name:\t${meta.name ?? ''}\n`);
  const roles = Object.keys(meta.labels ?? {})
    .filter((k) => k.startsWith(ROLE_LABEL) && k.length > ROLE_LABEL.length)
    .map((k) => k.slice(ROLE_LABEL.length))
    .sort();
  w.write(0, `Roles:\t${roles.length > 0 ? roles.join(',') : '<none>'}\n`);
  writeLabels(w, 'Labels', meta.labels);
  writeAnnotations(w, 'Annotations', meta.annotations);
  w.write(0, `CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}\n`);
  const taints = spec.taints ?? [];
  if (taints.length === 0) w.write(0, 'Taints:\t<none>\n');
  taints.forEach((t, i) => {
    const value = t.value ? `=${t.value}` : '';
    w.write(0, `${i === 0 ? 'Taints:' : ''}\t${t.key}${value}:${t.effect}\n`);
  });
  w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);

  const conditions = status.conditions ?? [];
  if (conditions.length > 0) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of conditions) {
      w.write(
        1,
        `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`,
      );
    }
  }
  w.write(0, 'Addresses:\n');
  for (const a of status.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  writeResources(w, 'Capacity', status.capacity);
  writeResources(w, 'Allocatable', status.allocatable);
  const info = status.nodeInfo;
  if (info) {
    w.write(0, 'System Info:\n');
    w.write(1, `Machine ID:\t${info.machineID}\n`);
    w.write(1, `System UUID:\t${info.systemUUID}\n`);
    w.write(1, `Boot ID:\t${info.bootID}\n`);
    w.write(1, `Kernel Version:\t${info.kernelVersion}\n`);
    w.write(1, `OS Image:\t${info.osImage}\n`);
    w.write(1, `Operating System:\t${info.operatingSystem}\n`);
    w.write(1, `Architecture:\t${info.architecture}\n`);
    w.write(1, `Container Runtime Version:\t${info.containerRuntimeVersion}\n`);
    w.write(1, `Kubelet Version:\t${info.kubeletVersion}\n`);
    w.write(1, `Kube-Proxy Version:\t${info.kubeProxyVersion}\n`);
  }
  w.write(0, `Process Containment:\t${processContainment(meta.annotations)}\n`);
  const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  w.write(0, `Non-terminated Pods:\t(${running.length} in total)\n`);
  if (running.length > 0) {
    w.write(1, 'Namespace\tName\tAge\n');
    w.write(1, '---------\t----\t---\n');
    for (const p of running) {
      const m = p.metadata ?? {};
      w.write(1, `${m.namespace ?? ''}\t${m.name ?? ''}\t${since(m.creationTimestamp, now)}\n`);
    }
  }
  if (events?.length === 0) w.write(0, 'Events:\t<none>\n');
  const head = tabulate(w.text, DESCRIBE_TABWRITER);
  if (events === undefined || events.length === 0) return head;
  // kubectl flushes the tabwriter before the events table, so it is aligned on its own.
  return head + describeEventsTable(events, now);
}

/** `cgroup (cgroup v2: …)`, or `<unknown>` for a node that never reported it (not a podvisor kubelet). */
function processContainment(annotations: Record<string, string> | undefined): string {
  const mode = annotations?.[NodeAnnotation.processContainment];
  if (!mode) return '<unknown>';
  const reason = annotations?.[NodeAnnotation.processContainmentReason];
  return reason ? `${mode} (${reason})` : mode;
}

function writeResources(w: PrefixWriter, title: string, list: Record<string, string> | undefined): void {
  const names = Object.keys(list ?? {}).sort();
  if (names.length === 0) return;
  w.write(0, `${title}:\n`);
  for (const name of names) w.write(1, `${name}:\t${list?.[name] ?? ''}\n`);
}
