import type { KubeObject, ObjectMeta } from '../../api/types.js';

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

/** meta.k8s.io/v1 TableRowCondition (printPod marks finished pods Completed). */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export type TableCell = string | number | boolean;

/** The metadata-only stand-in for a row's object (includeObject=Metadata, the default). */
export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: string;
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: KubeObject | PartialObjectMetadata;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string };
  /** null after the first event of a Table watch (upstream sets NoHeaders from then on). */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/**
 * How one resource prints (a pkg/printers/internalversion handler): the columns and the cells of
 * one object. The server always prints wide, as the apiserver does; kubectl hides priority > 0
 * columns itself unless `-o wide`.
 */
export interface TablePrinter {
  columns: readonly TableColumnDefinition[];
  row(obj: KubeObject, now: number): { cells: TableCell[]; conditions?: TableRowCondition[] };
}

export const column = (
  name: string,
  description: string,
  extra: Partial<Pick<TableColumnDefinition, 'type' | 'format' | 'priority'>> = {},
): TableColumnDefinition => ({
  name,
  type: extra.type ?? 'string',
  format: extra.format ?? '',
  description,
  priority: extra.priority ?? 0,
});
