import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { since } from '../../api/kube-time.js';
import { selectorString } from '../../api/workloads/selector.js';
import * as d from './descriptions.js';
import { column, type TablePrinter, type TableCell } from './types.js';

/**
 * printers.go replicaSetColumnDefinitions, replicationControllerColumnDefinitions and
 * deploymentColumnDefinitions: the wide columns (CONTAINERS, IMAGES, SELECTOR) have priority 1.
 */
const WIDE = [
  column('Containers', 'Names of each container in the template.', { priority: 1 }),
  column('Images', 'Images referenced by each container in the template.', { priority: 1 }),
  column(
    'Selector',
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
    { priority: 1 },
  ),
];

const REPLICA_COLUMNS = [
  column('Name', d.OBJECT_META_NAME, { format: 'name' }),
  column(
    'Desired',
    'Number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.',
    { type: 'integer' },
  ),
  column('Current', 'Replicas is the most recently observed number of replicas.', { type: 'integer' }),
  column('Ready', 'The number of ready replicas for this replica set.', { type: 'integer' }),
  column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  ...WIDE,
];

function templateCells(template: PodTemplateSpec | undefined): [string, string] {
  const containers = template?.spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

/** metav1.FormatLabelSelector: `<none>` for an empty selector. */
function formatSelector(selector: LabelSelector | undefined): string {
  const s = selectorString(selector);
  return s === '' ? '<none>' : s;
}

export const replicaSetTablePrinter: TablePrinter = {
  columns: REPLICA_COLUMNS,
  row(obj, now) {
    const rs = obj as ReplicaSet;
    const cells: TableCell[] = [
      obj.metadata.name,
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      since(obj.metadata.creationTimestamp, now),
      ...templateCells(rs.spec?.template),
      formatSelector(rs.spec?.selector),
    ];
    return { cells };
  },
};

export const replicationControllerTablePrinter: TablePrinter = {
  columns: REPLICA_COLUMNS,
  row(obj, now) {
    const rc = obj as ReplicationController;
    const selector = rc.spec?.selector ? { matchLabels: rc.spec.selector } : undefined;
    const cells: TableCell[] = [
      obj.metadata.name,
      rc.spec?.replicas ?? 0,
      rc.status?.replicas ?? 0,
      rc.status?.readyReplicas ?? 0,
      since(obj.metadata.creationTimestamp, now),
      ...templateCells(rc.spec?.template),
      formatSelector(selector),
    ];
    return { cells };
  },
};

export const deploymentTablePrinter: TablePrinter = {
  columns: [
    column('Name', d.OBJECT_META_NAME, { format: 'name' }),
    column('Ready', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      { type: 'integer' },
    ),
    column(
      'Available',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      { type: 'integer' },
    ),
    column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
    ...WIDE,
  ],
  row(obj, now) {
    const dep = obj as Deployment;
    const cells: TableCell[] = [
      obj.metadata.name,
      `${dep.status?.readyReplicas ?? 0}/${dep.spec?.replicas ?? 0}`,
      dep.status?.updatedReplicas ?? 0,
      dep.status?.availableReplicas ?? 0,
      since(obj.metadata.creationTimestamp, now),
      ...templateCells(dep.spec?.template),
      formatSelector(dep.spec?.selector),
    ];
    return { cells };
  },
};
