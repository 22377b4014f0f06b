import * as d from './descriptions.js';
import { column, type TablePrinter } from './types.js';

/**
 * The apiserver's fallback for a kind without a printer (apiserver registry/rest/table.go
 * defaultTableConvertor): NAME and CREATED AT, the time in RFC 3339 UTC.
 */
export const defaultTablePrinter: TablePrinter = {
  columns: [
    column('Name', d.OBJECT_META_NAME, { format: 'name' }),
    column('Created At', d.OBJECT_META_CREATION_TIMESTAMP, { type: 'date' }),
  ],
  row(obj) {
    const ms = Date.parse(obj.metadata.creationTimestamp ?? '');
    const created = Number.isNaN(ms)
      ? '0001-01-01T00:00:00Z'
      : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { cells: [obj.metadata.name, created] };
  },
};
