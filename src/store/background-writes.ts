import { StoreError } from './types.js';

/**
 * Writers that run on their own (timers, watch handlers, probe results) have no client to answer
 * with a 500, so a refused write must never escape them: an uncaught exception would take
 * podvisor, and every container's supervision, down with it. They retry on their own schedule.
 */

/** How soon a background writer tries again after the store refused its change. */
export const BACKGROUND_RETRY_MS = 1000;

/** The store could not persist the change (a full or read-only database): a 500 StoreError. */
export function isStoreRefusal(err: unknown): boolean {
  return err instanceof StoreError && err.code === 500;
}

/**
 * Says that `who` failed, unless the store refused the write: the store reports its own outage
 * once (in podvisor's log, then as a StateWriteFailed event), not once per writer and attempt.
 */
export function warnBackgroundFailure(who: string, err: unknown): void {
  if (isStoreRefusal(err)) return;
  process.emitWarning(`podvisor: ${who} failed: ${err instanceof Error ? err.message : String(err)}`);
}
