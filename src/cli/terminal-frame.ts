import { eventCells, eventSortTime } from '../api/event-summary.js';
import { summarizePod } from '../api/pod-summary.js';
import type { Event, Pod } from '../api/types.js';
import { podTableHeader, podTableRow } from './printers/pods-table.js';
import { renderTable } from './printers/table.js';

/** What one frame of the live view shows (`podvisor up` in a terminal, `podvisor top`). */
export interface FrameInput {
  /** `podvisor node "box"`, or the names of the virtual nodes. */
  title: string;
  /** The API address clients use. */
  server: string;
  pods: readonly Pod[];
  events: readonly Event[];
  now: number;
}

/** The terminal's size; `rows: Infinity` prints every pod (`top --once` into a pipe). */
export interface FrameSize {
  columns: number;
  rows: number;
}

/** How many of the latest events are shown below the pods. */
export const FRAME_EVENTS = 10;

/**
 * One frame, as lines no wider than `size.columns` and at most `size.rows` of them: a header
 * (node, API address, counts), the pods as `kubectl get pods` prints them (NAMESPACE when
 * there is more than one), and the latest events (AGE TYPE REASON OBJECT MESSAGE). Pure: the
 * screen code only positions these lines.
 */
export function renderFrame(input: FrameInput, size: FrameSize): string[] {
  const pods = [...input.pods].sort(byNamespaceAndName);
  const withNamespace = new Set(pods.map((p) => p.metadata?.namespace ?? 'default')).size > 1;
  const header = [`${input.title} · API ${input.server} · ${counts(pods)}`, ''];
  const events = latestEvents(input.events, withNamespace, input.now);
  // The events keep their room (header + blank + rows); the pods get what is left, at least 2 lines.
  const eventLines = events.length === 0 ? ['No events yet.'] : events;
  const podRoom = Math.max(2, size.rows - header.length - 1 - eventLines.length);
  const podLines =
    pods.length === 0
      ? ['No pods yet.']
      : tableLines(
          podTableHeader({ withNamespace }),
          pods.map((p) => podTableRow(p, input.now, { withNamespace })),
        );
  let shownPods = podLines;
  if (podLines.length > podRoom) {
    const hidden = podLines.length - (podRoom - 1);
    shownPods = [...podLines.slice(0, podRoom - 1), `… and ${hidden} more pods`];
  }
  const lines = [...header, ...shownPods, '', ...eventLines].slice(0, size.rows);
  return lines.map((line) => fit(line, size.columns));
}

function byNamespaceAndName(a: Pod, b: Pod): number {
  const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
  const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** `5 pods: 3 ready, 1 CrashLoopBackOff, 7 restarts`. */
export function counts(pods: readonly Pod[]): string {
  let ready = 0;
  let restarts = 0;
  const problems = new Map<string, number>();
  for (const pod of pods) {
    const s = summarizePod(pod);
    if (s.total > 0 && s.ready === s.total && s.status === 'Running') ready++;
    restarts += s.restarts;
    if (s.status !== 'Running' && s.status !== 'Completed' && s.status !== '') {
      problems.set(s.status, (problems.get(s.status) ?? 0) + 1);
    }
  }
  const parts = [`${ready} ready`, ...[...problems].map(([status, n]) => `${n} ${status}`)];
  parts.push(`${restarts} restart${restarts === 1 ? '' : 's'}`);
  return `${pods.length} pod${pods.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** The last FRAME_EVENTS events, oldest first, as a table (no lines when there are none). */
function latestEvents(events: readonly Event[], withNamespace: boolean, now: number): string[] {
  if (events.length === 0) return [];
  const latest = [...events].sort((a, b) => eventSortTime(a) - eventSortTime(b)).slice(-FRAME_EVENTS);
  const header = ['AGE', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  const rows = latest.map((ev) => {
    const c = eventCells(ev, now);
    const row = [c.lastSeen, c.type, c.reason, c.object, oneLine(c.message)];
    return withNamespace ? [ev.metadata?.namespace ?? '', ...row] : row;
  });
  return tableLines(withNamespace ? ['NAMESPACE', ...header] : header, rows);
}

function tableLines(header: string[], rows: string[][]): string[] {
  const text = renderTable(header, rows);
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Cut to `columns` characters (by code point), the cut marked with `…`. */
export function fit(line: string, columns: number): string {
  const chars = [...line.replace(/\t/g, ' ')];
  if (chars.length <= columns) return chars.join('');
  if (columns <= 0) return '';
  return `${chars.slice(0, columns - 1).join('')}…`;
}
