import type { Event } from '../../api/types.js';
import { eventCells, eventRowCells, sortEvents } from '../../api/event-summary.js';
import { parseTime, since } from './time.js';
import { renderTable, type TableOptions } from './table.js';

// Event cells are computed in src/api so the server's Tables print the same ones.
export { eventObjectRef, eventSortTime, sortEvents } from '../../api/event-summary.js';

/**
 * describe's Age column (DescribeEvents), spec §5: `31s (x3 over 41s)` for repeats, else the age of
 * the first occurrence.
 */
export function describeEventAge(ev: Event, now: number): string {
  const first =
    parseTime(ev.eventTime) !== undefined ? since(ev.eventTime, now) : since(ev.firstTimestamp, now);
  if (ev.series) {
    return `${since(ev.series.lastObservedTime, now)} (x${ev.series.count ?? 0} over ${first})`;
  }
  if ((ev.count ?? 0) > 1) return `${since(ev.lastTimestamp, now)} (x${ev.count} over ${first})`;
  return first;
}

export function eventTableHeader(opts: TableOptions = {}): string[] {
  const header = opts.wide
    ? [
        'LAST SEEN',
        'TYPE',
        'REASON',
        'OBJECT',
        'SUBOBJECT',
        'SOURCE',
        'MESSAGE',
        'FIRST SEEN',
        'COUNT',
        'NAME',
      ]
    : ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  return opts.withNamespace ? ['NAMESPACE', ...header] : header;
}

/** One row of `kubectl get events` (printers.go printEvent). */
export function eventTableRow(ev: Event, now: number, opts: TableOptions = {}): string[] {
  const c = eventCells(ev, now);
  const row = opts.wide ? eventRowCells(c).map(String) : [c.lastSeen, c.type, c.reason, c.object, c.message];
  return opts.withNamespace ? [ev.metadata?.namespace ?? '', ...row] : row;
}

/** The whole `kubectl get events` table, oldest first. */
export function printEventsTable(events: Event[], now: number, opts: TableOptions = {}): string {
  return renderTable(
    eventTableHeader(opts),
    sortEvents(events).map((e) => eventTableRow(e, now, opts)),
  );
}
