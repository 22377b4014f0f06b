import { eventCells, eventRowCells } from '../../api/event-summary.js';
import type { Event } from '../../api/types.js';
import * as d from './descriptions.js';
import { column, type TablePrinter } from './types.js';

/** printers.go eventColumnDefinitions: `LAST SEEN TYPE REASON OBJECT MESSAGE` + wide extras. */
const EVENT_COLUMNS = [
  column('Last Seen', d.EVENT_LAST_TIMESTAMP),
  column('Type', d.EVENT_TYPE),
  column('Reason', d.EVENT_REASON),
  column('Object', d.EVENT_INVOLVED_OBJECT),
  column('Subobject', d.OBJECT_REFERENCE_FIELD_PATH, { priority: 1 }),
  column('Source', d.EVENT_SOURCE, { priority: 1 }),
  column('Message', d.EVENT_MESSAGE),
  column('First Seen', d.EVENT_FIRST_TIMESTAMP, { priority: 1 }),
  column('Count', d.EVENT_COUNT, { priority: 1 }),
  column('Name', d.OBJECT_META_NAME, { priority: 1, format: 'name' }),
];

/** Rows in the store's order: upstream's printEventList does not sort (kubectl get events shows them as listed). */
export const eventTablePrinter: TablePrinter = {
  columns: EVENT_COLUMNS,
  row(obj, now) {
    const c = eventCells(obj as unknown as Event, now);
    return { cells: eventRowCells(c) };
  },
};
