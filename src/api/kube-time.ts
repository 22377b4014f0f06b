import { humanDuration } from '../util/duration.js';

/**
 * Time helpers shared by kubectl-style printing on both sides (the CLI's printers and the
 * server's Tables): they must agree to the character.
 */

/** Parses a Kubernetes Time/MicroTime; undefined for absent, null or zero values. */
export function parseTime(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) || ms <= Date.UTC(1, 0, 1) ? undefined : ms;
}

/** kubectl's translateTimestampSince: `<unknown>` for a zero time, else HumanDuration (spec §6.4). */
export function since(ts: string | null | undefined, now: number): string {
  const ms = parseTime(ts);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}
