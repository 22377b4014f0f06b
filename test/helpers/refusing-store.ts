import { StoreError, type ObjectStore } from '../../src/store/types.js';

/** What SqliteStore throws when its disk is full: the change was not made (a 500). */
export function refusal(): StoreError {
  return new StoreError(
    500,
    'InternalError',
    'cannot write to /state/podvisor.db: database or disk is full (SQLITE_FULL): the change was not made',
  );
}

export interface Outage {
  on: boolean;
  /** Writes refused so far. */
  refused: number;
}

/**
 * Makes `store` refuse every write while `outage.on` (as a full database disk does), on the
 * instance itself, so everything already holding the store sees the outage.
 */
export function refuseWritesDuring(store: ObjectStore): Outage {
  const outage: Outage = { on: false, refused: 0 };
  const target = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['create', 'update', 'mutate', 'delete'] as const) {
    const original = target[method]!.bind(store);
    target[method] = (...args: unknown[]) => {
      if (outage.on) {
        outage.refused++;
        throw refusal();
      }
      return original(...args);
    };
  }
  return outage;
}
