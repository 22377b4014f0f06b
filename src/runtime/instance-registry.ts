/**
 * Crash recovery (DESIGN principle 6): every live container leader is recorded in
 * `<stateDir>/runtime/instances.json` with its pid, process group and start time. After a crash,
 * the next podvisor kills what is left, but only a leader that is provably the same process
 * (same start time), so a recycled pid is never touched.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findMembers, readProcStat, signalQuietly } from './proc-scan.js';

export interface LeaderRecord {
  id: string;
  pid: number;
  pgid: number;
  /** Field 22 of /proc/<pid>/stat when it was spawned. */
  startTime: number;
  podUid: string;
  container: string;
}

interface RegistryFile {
  version: 1;
  instances: LeaderRecord[];
}

export function instancesFile(stateDir: string): string {
  return join(stateDir, 'runtime', 'instances.json');
}

function isLeaderRecord(value: unknown): value is LeaderRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    Number.isInteger(r.pid) &&
    Number.isInteger(r.pgid) &&
    Number.isInteger(r.startTime) &&
    (r.pid as number) > 1 &&
    (r.pgid as number) > 1
  );
}

/** The records in `file`; a missing or unreadable file holds none. */
export function readLeaderRecords(file: string): LeaderRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const list = (parsed as Partial<RegistryFile> | null)?.instances;
  return Array.isArray(list) ? list.filter(isLeaderRecord) : [];
}

let tmpCounter = 0;

/** Replaces `file` atomically (temp file + rename), so a crash never leaves half a file. */
export async function writeLeaderRecords(file: string, records: LeaderRecord[]): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const body: RegistryFile = { version: 1, instances: records };
  const tmp = `${file}.${process.pid}-${++tmpCounter}.tmp`;
  await writeFile(tmp, JSON.stringify(body, null, 1) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * SIGKILLs the process group, session and descendants of every recorded leader that is still the
 * same process. Returns the pids signalled.
 */
export function killOrphans(records: LeaderRecord[]): number[] {
  const killed: number[] = [];
  for (const record of records) {
    const leader = readProcStat(record.pid);
    if (!leader || leader.state === 'Z' || leader.startTime !== record.startTime) continue;
    const members = findMembers({
      leaderPid: record.pid,
      leaderStartTime: record.startTime,
      known: new Map([[record.pid, record.startTime]]),
      pipes: new Set(),
      idsValid: true,
    });
    signalQuietly(-record.pgid, 'SIGKILL');
    for (const p of members) {
      signalQuietly(p.pid, 'SIGKILL');
      killed.push(p.pid);
    }
  }
  return killed;
}

/** The live set, persisted after every change; writes are serialised and coalesced. */
export class InstanceRegistry {
  private readonly records = new Map<string, LeaderRecord>();
  private flushing: Promise<void> | undefined;
  private dirty = false;

  /** Starts from the records already in `file`, so a crashed podvisor's leaders are not forgotten. */
  constructor(private readonly file: string) {
    for (const record of readLeaderRecords(file)) this.records.set(record.id, record);
  }

  /** Records left by an earlier podvisor (everything present before this process started any). */
  inherited(): LeaderRecord[] {
    return [...this.records.values()];
  }

  /** Drops records without checking them (after killOrphans has dealt with them). */
  forget(records: LeaderRecord[]): Promise<void> {
    for (const r of records) this.records.delete(r.id);
    return this.persist();
  }

  add(record: LeaderRecord): Promise<void> {
    this.records.set(record.id, record);
    return this.persist();
  }

  remove(id: string): Promise<void> {
    if (!this.records.delete(id)) return this.flushing ?? Promise.resolve();
    return this.persist();
  }

  /** Resolves once a write that includes every change so far has landed. */
  persist(): Promise<void> {
    this.dirty = true;
    this.flushing ??= this.flushLoop();
    return this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeLeaderRecords(this.file, [...this.records.values()]);
        } catch {
          // A state directory we cannot write only costs crash recovery; containers run on.
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
