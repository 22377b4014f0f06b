import { parseTime } from '../../api/kube-time.js';

// Shared with the server's Tables, which must print the same ages.
export { parseTime, since } from '../../api/kube-time.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Go's time.RFC1123Z (`Mon, 02 Jan 2006 15:04:05 -0700`) in the local time zone, as kubectl
 * describe prints dates (spec §6.2): metav1.Time is converted to local time when decoded.
 * A zero time prints as Go's zero time does.
 */
export function rfc1123z(ts: string | null | undefined): string {
  const ms = parseTime(ts);
  if (ms === undefined) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${DAYS[d.getDay()]}, ${pad2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  );
}

/** `15:04:05` in local time, for the stream of `podvisor up`. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
