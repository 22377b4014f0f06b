import type { Node } from 'kubernetes-types/core/v1.js';
import { since } from '../api/kube-time.js';
import type { KubeObject } from '../api/types.js';
import * as d from './tables/descriptions.js';
import { column, type TablePrinter } from './tables/types.js';

type StoredNode = Node & KubeObject;

/** printers.go nodeColumnDefinitions: NAME STATUS ROLES AGE VERSION + the wide columns. */
const NODE_COLUMNS = [
  column('Name', d.OBJECT_META_NAME, { format: 'name' }),
  column('Status', 'The status of the node'),
  column('Roles', 'The roles of the node'),
  column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  column('Version', 'Kubelet Version reported by the node.'),
  column(
    'Internal-IP',
    'List of addresses reachable to the node. Queried from cloud provider, if available.',
    {
      priority: 1,
    },
  ),
  column(
    'External-IP',
    'List of addresses reachable to the node. Queried from cloud provider, if available.',
    {
      priority: 1,
    },
  ),
  column(
    'OS-Image',
    'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
    {
      priority: 1,
    },
  ),
  column(
    'Kernel-Version',
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    {
      priority: 1,
    },
  ),
  column(
    'Container-Runtime',
    'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
    { priority: 1 },
  ),
];

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** printNode's STATUS: Ready / NotReady (Ready False or Unknown) / Unknown, then SchedulingDisabled. */
export function nodeStatusText(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const parts: string[] = [];
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (parts.length === 0) parts.push('Unknown');
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` labels, and the older `kubernetes.io/role`. */
function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

const orUnknown = (s: string | undefined): string => (s ? s : '<unknown>');

export const nodeTablePrinter: TablePrinter = {
  columns: NODE_COLUMNS,
  row(obj, now) {
    const node = obj as StoredNode;
    const info = node.status?.nodeInfo;
    return {
      cells: [
        node.metadata.name ?? '',
        nodeStatusText(node),
        nodeRoles(node),
        since(node.metadata.creationTimestamp, now),
        info?.kubeletVersion ?? '',
        address(node, 'InternalIP'),
        address(node, 'ExternalIP'),
        orUnknown(info?.osImage),
        orUnknown(info?.kernelVersion),
        orUnknown(info?.containerRuntimeVersion),
      ],
    };
  },
};
