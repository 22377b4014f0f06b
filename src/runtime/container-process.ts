/**
 * One container instance: a process spawned in its own session and process group (pgid = sid =
 * pid), its log writer, and the kill sequence of spec §4.3. A container's processes die with it
 * (DESIGN principle 6): when the leader exits, whatever it left behind is SIGKILLed, found by its
 * cgroup when cgroup containment is in force (cgroup.ts), else by the descendant scan
 * (proc-scan.ts), which also backs the cgroup up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock, Timer } from '../util/clock.js';
import {
  ContainerStartError,
  type ContainerExit,
  type ContainerInstance,
  type ContainerLaunch,
} from './types.js';
import { CriLogWriter, type LogWriteProblem } from './cri-log-writer.js';
import {
  CGROUP_EMPTY_WAIT_MS,
  cgroupPopulated,
  cgroupProcs,
  endCgroup,
  killCgroup,
  removeCgroup,
  waitCgroupEmpty,
  type CgroupTree,
} from './cgroup.js';
import { findMembers, readFdLink, readProcStat, signalQuietly, type ProcStat } from './proc-scan.js';
import { execProblem, workingDirProblem } from './spawn-errors.js';

/** How long to wait for the stdio pipes to close once nothing of the container is left. */
const PIPE_DRAIN_MS = 2000;
const SWEEP_ROUNDS = 20;
/** How long an exit with nothing left behind waits for its pipes before taking the full path. */
const FAST_DRAIN_MS = 20;

/** Signal 0: does `target` (a pid, or -pgid for a group) still exist? EPERM means it does. */
function alive(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ContainerProcessOptions {
  launch: ContainerLaunch;
  clock: Clock;
  logDir: string;
  logMaxBytes: number;
  logMaxFiles: number;
  /** Where the instance gets its cgroup; undefined: the descendant scan alone keeps it together. */
  cgroups?: CgroupTree;
  /** The disk refused this instance's log output, or took it again. */
  onLogProblem?: (launch: ContainerLaunch, problem: LogWriteProblem) => void;
}

export function newInstanceId(): string {
  return `podvisor://${randomBytes(16).toString('hex')}`;
}

/** A fresh name for an instance's cgroup under podvisor's parent. */
function cgroupName(): string {
  return `c-${randomBytes(8).toString('hex')}`;
}

/**
 * The child's ends of its stdout/stderr (Node makes them socketpairs: `socket:[inode]`), read
 * in the spawn tick: the program has only just been exec'd and cannot have redirected them yet.
 */
function stdioLinks(pid: number): string[] {
  return [1, 2]
    .map((fd) => readFdLink(pid, fd))
    .filter((link): link is string => link !== undefined && /^(socket|pipe):\[\d+\]$/.test(link));
}

function exitOf(code: number | null, signal: NodeJS.Signals | null, finishedAt: number): ContainerExit {
  // spec §4.3: a signalled exit is reported as 128 + signo (143 SIGTERM, 137 SIGKILL).
  const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
  return { exitCode, signal, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt };
}

/**
 * How long the sweep watches the processes it killed before it scans again regardless (a process
 * in uninterruptible sleep outlives SIGKILL for a while; the sweep must not wait on it for long).
 */
const KILLED_WAIT_MS = 100;

/** Resolves once none of `procs` (matched with their start time) is alive, or after KILLED_WAIT_MS. */
async function untilGone(procs: ProcStat[]): Promise<void> {
  const deadline = Date.now() + KILLED_WAIT_MS;
  let left = procs;
  for (let pause = 2; left.length > 0 && Date.now() < deadline; pause = Math.min(pause * 2, 25)) {
    await delay(pause);
    left = left.filter((p) => {
      const now = readProcStat(p.pid);
      return now !== undefined && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X';
    });
  }
}

/** Resolves once the child has been created, or rejects with the spawn error. */
function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      child.off('spawn', onSpawn);
      reject(err);
    };
    const onSpawn = (): void => {
      child.off('error', onError);
      resolve();
    };
    child.once('error', onError);
    child.once('spawn', onSpawn);
  });
}

export class ContainerProcess implements ContainerInstance {
  readonly id = newInstanceId();
  readonly exited: Promise<ContainerExit>;
  /** Resolves once nothing of the instance is left and its cgroup is removed (after `exited`). */
  readonly finished: Promise<void>;
  readonly launch: ContainerLaunch;
  readonly writer: CriLogWriter;

  private readonly clock: Clock;
  /** Members seen while the leader was alive (pid → start time): found again even after they escape. */
  private readonly known = new Map<number, number>();
  private readonly pipes = new Set<string>();
  private readonly leaderStartTime: number;
  private leaderGone = false;
  private swept = false;
  private termSent = false;
  private readonly killTimers: Timer[] = [];
  private resolveExit!: (exit: ContainerExit) => void;
  private resolveFinished!: () => void;

  private constructor(
    readonly pid: number,
    readonly startedAt: number,
    /** The instance's own cgroup directory, when cgroup containment is in force. */
    readonly cgroup: string | undefined,
    child: ChildProcess,
    writer: CriLogWriter,
    opts: ContainerProcessOptions,
  ) {
    this.launch = opts.launch;
    this.clock = opts.clock;
    this.writer = writer;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    // Read while the leader cannot have been reaped yet (we are still in the spawn tick).
    this.leaderStartTime = readProcStat(pid)?.startTime ?? 0;
    this.known.set(pid, this.leaderStartTime);
    for (const link of stdioLinks(pid)) this.pipes.add(link);
    // Later errors (there are none for a spawned child we never signal through Node) must not crash podvisor.
    child.on('error', () => undefined);
    child.once('exit', (code, signal) => void this.onLeaderExit(exitOf(code, signal, this.clock.now())));
  }

  /** Spawns `launch.argv` directly (no shell); rejects with ContainerStartError. */
  static async start(opts: ContainerProcessOptions): Promise<ContainerProcess> {
    const { launch } = opts;
    const file = launch.argv[0];
    if (file === undefined || file === '') {
      throw new ContainerStartError(
        'CreateContainerError',
        'no command specified: podvisor runs `command`/`args` directly and cannot use an image entrypoint',
      );
    }
    const cwdProblem = await workingDirProblem(launch.workingDir);
    if (cwdProblem) throw new ContainerStartError('RunContainerError', cwdProblem);
    const fork = (): ChildProcess =>
      spawn(file, launch.argv.slice(1), {
        cwd: launch.workingDir,
        env: launch.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    let child: ChildProcess;
    let cgroup: string | undefined;
    try {
      // Born in its cgroup: a daemon it forks in its first microseconds is already inside.
      if (opts.cgroups) ({ dir: cgroup, result: child } = opts.cgroups.spawnIn(cgroupName(), fork));
      else child = fork();
    } catch (err) {
      throw new ContainerStartError('CreateContainerError', (err as Error).message);
    }
    try {
      await spawned(child);
    } catch (err) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (cgroup) await endCgroup(cgroup);
      const code = (err as NodeJS.ErrnoException).code;
      throw new ContainerStartError(
        'RunContainerError',
        await execProblem(file, code, launch.env, launch.workingDir),
      );
    }
    const pid = child.pid as number;
    const startedAt = opts.clock.now();
    let writer: CriLogWriter;
    try {
      writer = CriLogWriter.open({
        dir: opts.logDir,
        attempt: launch.attempt,
        maxBytes: opts.logMaxBytes,
        maxFiles: opts.logMaxFiles,
        clock: opts.clock,
        ...(opts.onLogProblem ? { onProblem: (p: LogWriteProblem) => opts.onLogProblem?.(launch, p) } : {}),
      });
    } catch (err) {
      signalQuietly(-pid, 'SIGKILL');
      if (cgroup) await endCgroup(cgroup);
      throw new ContainerStartError(
        'CreateContainerError',
        `cannot open the container log: ${(err as Error).message}`,
      );
    }
    const instance = new ContainerProcess(pid, startedAt, cgroup, child, writer, opts);
    if (child.stdout) writer.attach(child.stdout, 'stdout');
    if (child.stderr) writer.attach(child.stderr, 'stderr');
    return instance;
  }

  /** The leader's /proc start time (ticks since boot), for crash recovery. */
  get startTime(): number {
    return this.leaderStartTime;
  }

  get running(): boolean {
    return !this.leaderGone;
  }

  /** spec §4.3 step 6: stop signal to the group, SIGKILL once `graceMs` has passed. */
  stop(graceMs: number): Promise<ContainerExit> {
    if (this.leaderGone) return this.exited;
    if (graceMs <= 0) {
      this.killGroup();
      return this.exited;
    }
    if (!this.termSent) {
      this.termSent = true;
      // Without a cgroup, the members are recorded BEFORE the signal: a setsid child of the
      // leader is known only by its parent, and a leader that dies of the signal hands its
      // children to init at once. With a cgroup, which holds them whatever they do, no scan
      // here: on a machine with thousands of processes each costs the event loop ~0.5 s.
      if (!this.cgroup) this.scan();
      signalQuietly(-this.pid, 'SIGTERM');
    }
    // A second stop with a shorter grace shortens the wait; the earliest timer wins.
    this.killTimers.push(this.clock.setTimer(graceMs, () => this.killGroup()));
    return this.exited;
  }

  /** Pids of every live process of the instance. */
  processes(): number[] {
    if (this.swept) return [];
    const pids = new Set(this.scan().map((p) => p.pid));
    if (this.cgroup) for (const pid of cgroupProcs(this.cgroup)) pids.add(pid);
    return [...pids];
  }

  private killGroup(): void {
    if (this.leaderGone) return;
    if (this.cgroup) killCgroup(this.cgroup);
    else this.scan(); // a process that left the group since the stop signal is still known
    signalQuietly(-this.pid, 'SIGKILL');
  }

  /** Current members; while the leader lives they are remembered, so later escapes are still found. */
  private scan(): ProcStat[] {
    const members = findMembers({
      leaderPid: this.pid,
      leaderStartTime: this.leaderStartTime,
      known: this.known,
      pipes: this.pipes,
      idsValid: !this.swept,
    });
    if (!this.leaderGone) for (const p of members) this.known.set(p.pid, p.startTime);
    return members;
  }

  private async onLeaderExit(exit: ContainerExit): Promise<void> {
    this.leaderGone = true;
    for (const t of this.killTimers.splice(0)) t.cancel();
    // The container ends with its main process, as a pid namespace does when its init exits.
    if (this.cgroup && cgroupPopulated(this.cgroup)) killCgroup(this.cgroup);
    if (this.nothingLeftBehind() && (await this.drainedWithin(FAST_DRAIN_MS))) {
      // The common exit: the group is empty, every process seen before is gone and the pipes
      // closed. The exit is reported now (a restart does not wait for a scan of all of /proc,
      // which costs ~20 ms per 500 processes on the machine); the sweep still runs right after,
      // for an escapee that left the group and its pipes behind.
      setImmediate(() => void this.sweep());
      this.resolveExit(exit);
      return;
    }
    try {
      await this.sweep();
      // The pipes close once every holder is gone; an escapee we could not find must not hold up the exit.
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        this.writer.whenClosed().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PIPE_DRAIN_MS))),
      ]);
      clearTimeout(timer);
      if (!drained) {
        this.writer.abandonSources();
        await this.writer.whenClosed();
      }
    } finally {
      this.swept = true;
      this.resolveExit(exit);
    }
  }

  /** No process of the leader's group, and none of the members seen earlier, is alive. */
  private nothingLeftBehind(): boolean {
    if (this.cgroup && cgroupPopulated(this.cgroup)) return false;
    if (alive(-this.pid)) return false;
    for (const pid of this.known.keys()) if (pid !== this.pid && alive(pid)) return false;
    return true;
  }

  private async drainedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.writer.whenClosed().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return drained;
  }

  /** SIGKILLs what the leader left behind, until nothing is left (forks may race the first kill). */
  private async sweep(): Promise<void> {
    try {
      if (this.cgroup && !(await waitCgroupEmpty(this.cgroup, CGROUP_EMPTY_WAIT_MS))) {
        process.stderr.write(
          `podvisor: ${cgroupProcs(this.cgroup).length} process(es) of container "${this.launch.containerName}" ` +
            `(pod ${this.launch.namespace}/${this.launch.podName}) are still in ${this.cgroup} ` +
            `${CGROUP_EMPTY_WAIT_MS} ms after cgroup.kill (uninterruptible sleep?); podvisor's next start removes the cgroup\n`,
        );
      }
      // The backstop: what left the cgroup (a privileged process can), or everything without one.
      // A full scan of /proc costs ~0.1 ms per process on the machine, so between scans only the
      // processes just killed are watched; the next scan finds what they forked meanwhile.
      for (let round = 0; round < SWEEP_ROUNDS; round++) {
        const members = this.scan();
        if (members.length === 0) break;
        if (members.some((p) => p.pgid === this.pid)) signalQuietly(-this.pid, 'SIGKILL');
        for (const p of members) signalQuietly(p.pid, 'SIGKILL');
        await untilGone(members);
      }
      this.swept = true;
      if (this.cgroup) await removeCgroup(this.cgroup);
    } finally {
      this.resolveFinished();
    }
  }
}
