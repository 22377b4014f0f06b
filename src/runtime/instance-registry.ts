/**
 * Crash recovery (DESIGN principle 6): every live container leader is recorded in
 * `<stateDir>/runtime/instances.json` with its pid, process group and start time. After a crash,
 * the next podvisor kills what is left, but only a leader that is provably the same process
 * (same start time), so a recycled pid is never touched. A container that had a cgroup is ended
 * through it, which also reaches daemons the scan cannot see (cgroup.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import {
  CGROUP_EMPTY_WAIT_MS,
  cgroupPopulated,
  cgroupProcs,
  killCgroup,
  removeCgroup,
  waitCgroupEmpty,
} from './cgroup.js';
import { findMembers, readProcStat, signalQuietly } from './proc-scan.js';

export interface LeaderRecord {
  id: string;
  pid: number;
  pgid: number;
  /** Field 22 of /proc/<pid>/stat when it was spawned. */
  startTime: number;
  /** The instance's cgroup directory, when it had one. */
  cgroup?: string;
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
    (r.pgid as number) > 1 &&
    (r.cgroup === undefined || (typeof r.cgroup === 'string' && r.cgroup.startsWith('/')))
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
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const body: RegistryFile = { version: 1, instances: records };
  const tmp = `${file}.${process.pid}-${++tmpCounter}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(body, null, 1) + '\n', { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    // A full disk: the half-written copy would only take more of it, once per attempt.
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** How often a stopping orphan group is looked at again. */
const ORPHAN_POLL_MS = 50;
/** After SIGKILL, how long to wait for the kernel to take the processes away. */
const ORPHAN_KILL_WAIT_MS = 2000;

/**
 * Ends what a crashed podvisor left, as the kubelet stops a container: SIGTERM to every recorded
 * group that is still the same process (start time check), SIGKILL once `graceMs(record)` has
 * passed, all groups in parallel. Resolves when they are gone, with the pids signalled. Real
 * time on purpose: these are real processes, whatever clock the runtime runs on.
 */
export async function endOrphans(
  records: LeaderRecord[],
  graceMs: (record: LeaderRecord) => number,
): Promise<number[]> {
  const ended = await Promise.all(records.map((r) => endOrphanGroup(r, Math.max(0, graceMs(r)))));
  return ended.flat();
}

async function endOrphanGroup(record: LeaderRecord, graceMs: number): Promise<number[]> {
  const leaderIsOurs = (): boolean => {
    const leader = readProcStat(record.pid);
    return leader !== undefined && leader.startTime === record.startTime;
  };
  // Everything in the instance's cgroup is its own, whatever its pid or start time.
  const cgroup = record.cgroup !== undefined && existsSync(record.cgroup) ? record.cgroup : undefined;
  if (!leaderIsOurs() && !(cgroup && cgroupPopulated(cgroup))) {
    if (cgroup) await removeCgroup(cgroup);
    return [];
  }
  // Members are remembered with their start time, so a pid recycled while we wait is left alone.
  const known = new Map<number, number>([[record.pid, record.startTime]]);
  const scan = (): number[] => {
    const members = findMembers({
      leaderPid: record.pid,
      leaderStartTime: record.startTime,
      known,
      pipes: new Set(),
      // The group and session ids are the container's only while its leader exists (zombie or not).
      idsValid: leaderIsOurs(),
    });
    for (const p of members) known.set(p.pid, p.startTime);
    const pids = new Set(members.map((p) => p.pid));
    if (cgroup) for (const pid of cgroupProcs(cgroup)) pids.add(pid);
    return [...pids];
  };
  const signalled = new Set<number>();
  const signalAll = (signal: NodeJS.Signals): number[] => {
    if (leaderIsOurs()) signalQuietly(-record.pgid, signal);
    if (cgroup && signal === 'SIGKILL') killCgroup(cgroup);
    const members = scan();
    for (const pid of members) {
      signalQuietly(pid, signal);
      signalled.add(pid);
    }
    return members;
  };
  let left = signalAll('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(Math.min(ORPHAN_POLL_MS, Math.max(1, deadline - Date.now())));
    left = scan();
  }
  if (left.length > 0) {
    left = signalAll('SIGKILL');
    const killDeadline = Date.now() + ORPHAN_KILL_WAIT_MS;
    while (left.length > 0 && Date.now() < killDeadline) {
      await sleep(ORPHAN_POLL_MS);
      left = scan();
    }
  }
  if (cgroup) {
    await waitCgroupEmpty(cgroup, CGROUP_EMPTY_WAIT_MS);
    await removeCgroup(cgroup);
  }
  return [...signalled];
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

  /** Drops records without checking them (after endOrphans has dealt with them). */
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
