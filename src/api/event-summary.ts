import type { Event } from './types.js';
import { parseTime, since } from './kube-time.js';

/**
 * What `kubectl get events` shows for a core/v1 Event (printers.go printEvent). Pure, so the
 * CLI's printers and the server's Tables compute the same cells.
 */
export interface EventCells {
  lastSeen: string;
  type: string;
  reason: string;
  /** `pod/web`: the involved object's kind, lower-cased, and name. */
  object: string;
  subobject: string;
  /** `component` or `component, host` (formatEventSource). */
  source: string;
  message: string;
  firstSeen: string;
  /** An integer cell upstream (int64), though its column is typed string. */
  count: number;
  name: string;
}

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

/** `pod/web`, as printEvent's OBJECT column shows the involved object. */
export function eventObjectRef(ev: Event): string {
  const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
  return ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
}

export function eventCells(ev: Event, now: number): EventCells {
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
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return {
    lastSeen,
    type: ev.type ?? '',
    reason: ev.reason ?? '',
    object: eventObjectRef(ev),
    subobject: ev.involvedObject?.fieldPath ?? '',
    source: instance ? `${component}, ${instance}` : component,
    message: (ev.message ?? '').trim(),
    firstSeen,
    count,
    name: ev.metadata?.name ?? '',
  };
}

/**
 * The cells in printers.go's event column order: Last Seen, Type, Reason, Object, Subobject,
 * Source, Message, First Seen, Count, Name (the server's Table and `get events -o wide`).
 */
export function eventRowCells(
  c: EventCells,
): [string, string, string, string, string, string, string, string, number, string] {
  return [
    c.lastSeen,
    c.type,
    c.reason,
    c.object,
    c.subobject,
    c.source,
    c.message,
    c.firstSeen,
    c.count,
    c.name,
  ];
}
