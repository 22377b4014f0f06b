/**
 * Reading the process table from /proc. A container is a process group (DESIGN "Local mapping"),
 * but processes can leave the group (setpgid), the session (setsid) or the tree (double fork), so
 * membership is worked out from several clues, each of them safe against recycled pids because a
 * process is only ever matched together with its start time.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** One letter: R, S, D, Z (zombie), T, ... */
  state: string;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot. Identifies a process with its pid. */
  startTime: number;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  return parseProcStat(pid, text);
}

/** The command name (field 2) can hold spaces and parentheses, so fields are counted after the last ')'. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); field n is fields[n - 3].
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  const sid = Number(fields[3]);
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isFinite(startTime)) return undefined;
  return { pid, ppid, pgid, sid, state, startTime };
}

/** Every live (non-zombie) process visible in /proc. */
export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readProcStat(pid);
    if (stat && stat.state !== 'Z' && stat.state !== 'X') out.push(stat);
  }
  return out;
}

/**
 * What one event-loop turn has read of /proc. Stopping 200 containers together (podvisor's
 * shutdown, a node stop) scans once per container and again as each leader exits; on a machine
 * with thousands of processes that was minutes of CPU. Within one turn the table is as current as
 * a fresh read would be (processes change under any read), and the next turn reads anew, so a
 * sweep that kills and waits always sees the effect of its kills.
 */
let turnTable: ProcStat[] | undefined;
/** pid → its fds 0-2 as readlink shows them, for this turn. */
let turnStdio: Map<number, (string | undefined)[]> | undefined;

/** Every live process, read at most once per event-loop turn (see above). */
export function processTable(): ProcStat[] {
  if (!turnTable) {
    const table = listProcesses();
    turnTable = table;
    setImmediate(() => {
      if (turnTable === table) turnTable = undefined;
    });
  }
  return turnTable;
}

function stdioLinks(pid: number): (string | undefined)[] {
  if (!turnStdio) {
    const links = new Map<number, (string | undefined)[]>();
    turnStdio = links;
    setImmediate(() => {
      if (turnStdio === links) turnStdio = undefined;
    });
  }
  let fds = turnStdio.get(pid);
  if (!fds) {
    fds = [readFdLink(pid, 0), readFdLink(pid, 1), readFdLink(pid, 2)];
    turnStdio.set(pid, fds);
  }
  return fds;
}

/** `pipe:[12345]` for a pipe, or whatever the fd links to; undefined when unreadable. */
export function readFdLink(pid: number, fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** Whether stdin, stdout or stderr of `pid` is one of `links` (cheaper than walking every fd). */
function holdsAny(pid: number, links: ReadonlySet<string>): boolean {
  return stdioLinks(pid).some((link) => link !== undefined && links.has(link));
}

/** What is known about one container instance's processes. */
export interface MembershipClues {
  /** The leader: pid = pgid = sid (it was spawned detached, i.e. after setsid()). */
  leaderPid: number;
  leaderStartTime: number;
  /** Processes seen as members earlier (pid → start time), e.g. while the leader was alive. */
  known: ReadonlyMap<number, number>;
  /** The container's stdout/stderr pipes (`pipe:[inode]`): whoever still holds them belongs to it. */
  pipes: ReadonlySet<string>;
  /**
   * Whether the group and session ids still designate this container. True while the leader is
   * unreaped; after that only while some member keeps the id in use (the kernel does not hand
   * out a pid that is still a pgid or sid), which the caller guarantees by sweeping right away.
   */
  idsValid: boolean;
}

/**
 * The live processes of a container instance: its process group and session, processes seen
 * before, their descendants (by ppid), and escaped processes that still have its stdio pipes as their stdio
 * (a `setsid` double-forked daemon that kept stdout). Never includes podvisor itself.
 */
export function findMembers(clues: MembershipClues, table: ProcStat[] = processTable()): ProcStat[] {
  const self = process.pid;
  const members = new Map<number, ProcStat>();
  const children = new Map<number, ProcStat[]>();
  for (const p of table) {
    if (p.pid === self) continue;
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
    if (p.startTime < clues.leaderStartTime) continue;
    const inIds = clues.idsValid && (p.pgid === clues.leaderPid || p.sid === clues.leaderPid);
    if (inIds || clues.known.get(p.pid) === p.startTime) members.set(p.pid, p);
  }
  if (clues.pipes.size > 0) {
    for (const p of table) {
      if (p.pid === self || members.has(p.pid) || p.startTime < clues.leaderStartTime) continue;
      if (holdsAny(p.pid, clues.pipes)) members.set(p.pid, p);
    }
  }
  const queue = [...members.values()];
  for (let p = queue.pop(); p; p = queue.pop()) {
    for (const child of children.get(p.pid) ?? []) {
      if (child.pid === self || members.has(child.pid)) continue;
      members.set(child.pid, child);
      queue.push(child);
    }
  }
  return [...members.values()];
}

/** Sends `signal` to a pid or (negative) group; false when there was nobody to signal. */
export function signalQuietly(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}
