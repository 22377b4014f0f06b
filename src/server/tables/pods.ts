import { podCells } from '../../api/pod-summary.js';
import type { Pod } from '../../api/types.js';
import * as d from './descriptions.js';
import { column, type TablePrinter, type TableRowCondition } from './types.js';

/** printers.go podColumnDefinitions (spec §6.3). RESTARTS is a string cell: `5 (32s ago)`. */
const POD_COLUMNS = [
  column('Name', d.OBJECT_META_NAME, { format: 'name' }),
  column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'The aggregate status of the containers in this pod.'),
  column(
    'Restarts',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  ),
  column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  column('IP', d.POD_STATUS_POD_IP, { priority: 1 }),
  column('Node', d.POD_SPEC_NODE_NAME, { priority: 1 }),
  column('Nominated Node', d.POD_STATUS_NOMINATED_NODE_NAME, { priority: 1 }),
  column('Readiness Gates', d.POD_SPEC_READINESS_GATES, { priority: 1 }),
];

const SUCCEEDED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const FAILED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

export const podTablePrinter: TablePrinter = {
  columns: POD_COLUMNS,
  row(obj, now) {
    const pod = obj as Pod;
    const c = podCells(pod, now);
    const cells = [
      c.name,
      c.ready,
      c.status,
      c.restarts,
      c.age,
      c.ip,
      c.node,
      c.nominatedNode,
      c.readinessGates,
    ];
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') return { cells, conditions: SUCCEEDED };
    if (phase === 'Failed') return { cells, conditions: FAILED };
    return { cells };
  },
};
