import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { KubeObject } from '../api/types.js';
import { RealClock, type Clock } from '../util/clock.js';
import { MemoryStore, type RestoredState, type StorePersistence } from './memory-store.js';
import { StoreError } from './types.js';

/** Bumped whenever the tables change shape; a newer database is refused, never rewritten. */
export const SCHEMA_VERSION = 1;
export const DATABASE_FILE = 'podvisor.db';

export function databaseFile(stateDir: string): string {
  return join(stateDir, DATABASE_FILE);
}

export interface SqliteStoreOptions {
  clock?: Clock;
  /** How many changes per resource a watch can replay from (MemoryStore's window). */
  historySize?: number;
  /** Events whose last write is older than this are dropped while loading (the API server's TTL). */
  eventTtlMs?: number;
  /**
   * NORMAL (default): in WAL mode a commit is in the OS before the write returns, so a SIGKILLed
   * podvisor loses nothing; only a power cut can lose the last commits (never corrupting the
   * file). FULL adds an fsync per change, which status updates make frequent.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * Told (after the change, never inside it) when writes to the database start failing and when
   * they succeed again. Failed changes are refused (memory stays as it was), so what this
   * reports is changes that did not happen, not changes that were lost.
   */
  onWriteProblem?: (problem: StateWriteProblem) => void;
}

export type StateWriteProblem =
  | { kind: 'failed'; file: string; error: Error }
  | { kind: 'recovered'; file: string; error: Error; refusedWrites: number; since: number };

/** The user's fix for a write SQLite refused, by its error code. */
function writeFailureHint(err: Error): string {
  const code = (err as Error & { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL' || /ENOSPC|disk is full/i.test(err.message))
    return 'the disk of the state directory is full: free space there and retry (podvisor keeps running)';
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM')
    return 'the state database is read-only: make it writable for this user and retry';
  return 'retry; if it keeps failing, check the disk of the state directory';
}

type Db = Database.Database;

const DEFAULT_EVENT_TTL_MS = 3_600_000;

/** The newest write of an Event, as the apiserver's lease would see it. */
function eventLastWrite(obj: KubeObject): number {
  const ev = obj as KubeObject & { lastTimestamp?: string; eventTime?: string };
  const t = ev.lastTimestamp ?? ev.eventTime ?? obj.metadata.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Creates the file private to the user before SQLite opens it; the -wal/-shm files copy its mode. */
function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}

function openDatabase(file: string, synchronous: 'NORMAL' | 'FULL'): Db {
  createPrivateFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name)
      ) WITHOUT ROWID;
    `);
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as
      { value: string } | undefined;
    const found = row ? Number(row.value) : undefined;
    if (found !== undefined && !(found <= SCHEMA_VERSION)) {
      throw new Error(
        `${file} has database schema version ${row?.value}, but this podvisor understands version ${SCHEMA_VERSION} at most: run a newer podvisor, or pass another --state-dir`,
      );
    }
    db.prepare(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('resource_version', '0')
       ON CONFLICT(key) DO NOTHING`,
    ).run(String(SCHEMA_VERSION));
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The write-through side: one transaction per change, statements prepared once. */
class SqlitePersistence implements StorePersistence {
  readonly put: (resource: string, object: KubeObject, resourceVersion: number) => void;
  readonly remove: (resource: string, namespace: string, name: string, resourceVersion: number) => void;

  /** Set while writes fail: the first error, when it started and how many writes were refused. */
  private outage: { error: Error; since: number; refused: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly file: string,
    private readonly clock: Clock,
    private readonly onProblem: ((problem: StateWriteProblem) => void) | undefined,
  ) {
    const upsert = db.prepare(
      `INSERT INTO objects (resource, namespace, name, resource_version, body) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(resource, namespace, name)
       DO UPDATE SET resource_version = excluded.resource_version, body = excluded.body`,
    );
    const del = db.prepare(`DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?`);
    const counter = db.prepare(`UPDATE meta SET value = ? WHERE key = 'resource_version'`);
    const putTx = db.transaction((resource: string, object: KubeObject, rv: number) => {
      const meta = object.metadata;
      upsert.run(resource, meta.namespace ?? '', meta.name ?? '', rv, JSON.stringify(object));
      counter.run(String(rv));
    });
    const removeTx = db.transaction((resource: string, namespace: string, name: string, rv: number) => {
      del.run(resource, namespace, name);
      counter.run(String(rv));
    });
    this.put = (resource, object, rv) => this.guard(() => putTx(resource, object, rv));
    this.remove = (resource, namespace, name, rv) =>
      this.guard(() => removeTx(resource, namespace, name, rv));
  }

  /**
   * A refused write is a 500 InternalError, as the apiserver answers when etcd's space is
   * exceeded; the message says the change was not made and what to do.
   */
  private guard(write: () => void): void {
    try {
      write();
    } catch (err) {
      const error = err as Error;
      const code = (error as Error & { code?: string }).code;
      if (this.outage) this.outage.refused++;
      else {
        this.outage = { error, since: this.clock.now(), refused: 1 };
        this.report({ kind: 'failed', file: this.file, error });
      }
      throw new StoreError(
        500,
        'InternalError',
        `cannot write to ${this.file}: ${error.message}${code ? ` (${code})` : ''}: the change was not made; ${writeFailureHint(error)}`,
      );
    }
    const outage = this.outage;
    if (outage) {
      this.outage = undefined;
      this.report({
        kind: 'recovered',
        file: this.file,
        error: outage.error,
        refusedWrites: outage.refused,
        since: outage.since,
      });
    }
  }

  /** Later, outside the change: a listener may well write to the store (an Event). */
  private report(problem: StateWriteProblem): void {
    const listener = this.onProblem;
    if (listener) queueMicrotask(() => listener(problem));
  }

  /** Everything stored, with Events past their TTL deleted on the way. */
  load(now: number, eventTtlMs: number): RestoredState {
    const rows = this.db.prepare(`SELECT resource, body FROM objects ORDER BY resource_version`).all() as {
      resource: string;
      body: string;
    }[];
    const counter = this.db.prepare(`SELECT value FROM meta WHERE key = 'resource_version'`).get() as
      { value: string } | undefined;
    const objects: RestoredState['objects'] = [];
    const expired: KubeObject[] = [];
    for (const row of rows) {
      const object = JSON.parse(row.body) as KubeObject;
      if (row.resource === 'events' && eventLastWrite(object) + eventTtlMs <= now) expired.push(object);
      else objects.push({ resource: row.resource, object });
    }
    const del = this.db.prepare(
      `DELETE FROM objects WHERE resource = 'events' AND namespace = ? AND name = ?`,
    );
    this.db.transaction(() => {
      for (const ev of expired) del.run(ev.metadata.namespace ?? '', ev.metadata.name ?? '');
    })();
    return { resourceVersion: Number(counter?.value ?? 0) || 0, objects };
  }
}

/**
 * The object store persisted in `<stateDir>/podvisor.db` (SQLite, write-ahead log): a MemoryStore
 * whose every change is first committed in its own transaction, so reads, watches and selectors
 * behave exactly as in memory, and a restart (or a crash) finds every object and the
 * resourceVersion counter where they were.
 */
export class SqliteStore extends MemoryStore {
  private constructor(
    private readonly db: Db,
    readonly file: string,
    persistence: SqlitePersistence,
    initial: RestoredState,
    opts: SqliteStoreOptions,
  ) {
    super({
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.historySize !== undefined ? { historySize: opts.historySize } : {}),
      persistence,
      initial,
    });
  }

  /** Opens (creating if needed) the database of a state directory and loads every object. */
  static open(stateDir: string, opts: SqliteStoreOptions = {}): SqliteStore {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = databaseFile(stateDir);
    const db = openDatabase(file, opts.synchronous ?? 'NORMAL');
    try {
      const clock = opts.clock ?? new RealClock();
      const persistence = new SqlitePersistence(db, file, clock, opts.onWriteProblem);
      const now = clock.now();
      const initial = persistence.load(now, opts.eventTtlMs ?? DEFAULT_EVENT_TTL_MS);
      return new SqliteStore(db, file, persistence, initial, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Checkpoints the log into the database file and closes it; later writes fail with 500. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
