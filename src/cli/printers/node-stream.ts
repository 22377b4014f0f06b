import type { Event, Pod } from '../../api/types.js';
import { summarizePod } from './pods-table.js';
import { eventSortTime } from './events-table.js';
import { clockTime } from './time.js';

/**
 * The readable stream `podvisor up` prints: one line per new or updated Event and one per pod state
 * change, e.g.
 *   12:00:03  Warning  Unhealthy  pod/web  spec.containers{app}  Liveness probe failed: ... (x3)
 *   12:00:04  pod/web  Running  1/1  restarts=2
 */
export interface StreamStyle {
  color: boolean;
}

const YELLOW = '\u001b[33m';
const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

function paint(text: string, code: string, style: StreamStyle): string {
  return style.color && code !== '' ? `${code}${text}${RESET}` : text;
}

function objectRef(kind: string, namespace: string | undefined, name: string): string {
  const ref = `${kind.toLowerCase()}/${name}`;
  return namespace && namespace !== 'default' ? `${namespace}/${ref}` : ref;
}

export function eventStreamLine(ev: Event, now: number, style: StreamStyle = { color: false }): string {
  const at = eventSortTime(ev) || now;
  const count = ev.series?.count ?? ev.count ?? 1;
  const type = ev.type ?? 'Normal';
  const fields = [
    paint(clockTime(at), DIM, style),
    type === 'Warning' ? paint(type, YELLOW, style) : type,
    ev.reason ?? '',
    objectRef(ev.involvedObject?.kind ?? '', ev.involvedObject?.namespace, ev.involvedObject?.name ?? ''),
  ];
  if (ev.involvedObject?.fieldPath) fields.push(ev.involvedObject.fieldPath);
  let message = (ev.message ?? '').trim().replace(/\s*\n\s*/g, ' ');
  if (count > 1) message += ` (x${count})`;
  fields.push(message);
  return `${fields.join('  ')}\n`;
}

/** What a pod line says; a new line is printed only when this changes. */
export function podStateKey(pod: Pod): string {
  const s = summarizePod(pod);
  return `${s.status} ${s.ready}/${s.total} ${s.restarts}`;
}

export function podStateLine(
  pod: Pod,
  now: number,
  style: StreamStyle = { color: false },
  deleted = false,
): string {
  const s = summarizePod(pod);
  const ref = objectRef('pod', pod.metadata?.namespace, pod.metadata?.name ?? '');
  if (deleted) return `${paint(clockTime(now), DIM, style)}  ${ref}  deleted\n`;
  const healthy = s.status === 'Running' && s.ready === s.total;
  const status = paint(
    s.status,
    healthy ? GREEN : s.status === 'Running' || s.status === 'Completed' ? '' : RED,
    style,
  );
  return (
    `${paint(clockTime(now), DIM, style)}  ${ref}  ${status}  ${s.ready}/${s.total}  ` +
    `restarts=${s.restarts}\n`
  );
}
