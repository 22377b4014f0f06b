import type { Event } from '../../api/types.js';
import { parseTime, since } from './time.js';
import { renderTable, type TableOptions } from './table.js';

/**
 * The time an event sorts by (kubectl's SortableEvents / eventTime): series.lastObservedTime,
 * else lastTimestamp, else eventTime.
 */
export function eventSortTime(ev: Event): number {
  return (
    parseTime(ev.series?.lastObservedTime) ?? parseTime(ev.lastTimestamp) ?? parseTime(ev.eventTime) ?? 0
  );
}

/** Oldest first; stable, so events with equal times keep the server's order. */
export function sortEvents(events: Event[]): Event[] {
  return [...events].sort((a, b) => eventSortTime(a) - eventSortTime(b));
}

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

/** `pod/web`, as printEvent's OBJECT column shows the involved object. */
export function eventObjectRef(ev: Event): string {
  const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
  return ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
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
  const firstSeen =
    parseTime(ev.firstTimestamp) !== undefined ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
  let lastSeen = parseTime(ev.lastTimestamp) !== undefined ? since(ev.lastTimestamp, now) : firstSeen;
  let count = ev.count ?? 0;
  if (ev.series) {
    lastSeen = since(ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (count === 0) {
    count = 1; // singleton events of the new API carry no count
  }
  const message = (ev.message ?? '').trim();
  let row: string[];
  if (opts.wide) {
    const component = ev.source?.component || ev.reportingComponent || '';
    const instance = ev.source?.host || ev.reportingInstance || '';
    row = [
      lastSeen,
      ev.type ?? '',
      ev.reason ?? '',
      eventObjectRef(ev),
      ev.involvedObject?.fieldPath ?? '',
      instance ? `${component}, ${instance}` : component,
      message,
      firstSeen,
      String(count),
      ev.metadata?.name ?? '',
    ];
  } else {
    row = [lastSeen, ev.type ?? '', ev.reason ?? '', eventObjectRef(ev), message];
  }
  return opts.withNamespace ? [ev.metadata?.namespace ?? '', ...row] : row;
}

/** The whole `kubectl get events` table, oldest first. */
export function printEventsTable(events: Event[], now: number, opts: TableOptions = {}): string {
  return renderTable(
    eventTableHeader(opts),
    sortEvents(events).map((e) => eventTableRow(e, now, opts)),
  );
}
