/**
 * Process containment with cgroup v2 (issue 7): every container instance gets a cgroup of its own
 * under a podvisor-owned parent, `<cgroup2 mount><podvisor's own cgroup>/podvisor-<state hash>`,
 * as the kubelet relies on cgroups. Nothing in a cgroup can leave it without privileges, however
 * it forks (double fork, setsid, closed stdio), and `cgroup.kill` (Linux ≥ 5.14) ends all of it at
 * once. Where the machine does not allow this, the runtime falls back to the descendant scan of
 * proc-scan.ts and says why.
 *
 * Joining before the program can fork: Node cannot spawn into a cgroup (no CLONE_INTO_CGROUP), so
 * podvisor moves itself into the new cgroup for the synchronous spawn() call (the fork inherits
 * the cgroup of the forking process) and back right after. Measured on the 2-core CI machine
 * (medians of 200-300 spawns, spawn → the child's first output): bare 1.30 ms, this 1.30-1.66 ms,
 * a `/bin/sh` shim that writes its own pid into cgroup.procs and execs the command 2.05 ms (under
 * load: 2.5 / 2.1-2.9 / 4.3-5.9 ms); the synchronous part (mkdir + two moves + spawn) is 0.4-0.8 ms
 * longer than spawn alone. Writing the child's pid after spawn() returns costs as little but lets
 * a daemon forked in the program's first microseconds escape. podvisor's own cgroup stays
 * populated while podvisor is inside the container's (the parent is below its own), so a service
 * manager watching it sees nothing; a kill never targets the cgroup podvisor is in (killCgroup).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessContainment } from './types.js';

export type ContainmentChoice = 'auto' | 'cgroup' | 'scan';

/** How long a killed cgroup may take to empty before podvisor gives up waiting (and says so). */
export const CGROUP_EMPTY_WAIT_MS = 5000;

export interface Cgroup2Mount {
  mountPoint: string;
  /** The root it shows: `/` unless a sub-tree is bind-mounted. */
  root: string;
  /**
   * Mounted with `favordynmods` (Linux 6.0+). Without it, the kernel's cgroup migration lock waits
   * for an RCU grace period when it has been quiet, so moving into a new container's cgroup costs
   * ~7 ms per start on an idle 2-core machine (0.3 ms with it; bench/README.md, S1).
   */
  favorDynmods: boolean;
}

/** The cgroup2 mount, from mountinfo. */
export function findCgroup2Mount(mountinfo: string): Cgroup2Mount | undefined {
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fsType !== 'cgroup2') continue;
    const fields = line.slice(0, sep).split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    return {
      mountPoint: unescapeMountField(mountPoint),
      root: unescapeMountField(root),
      favorDynmods: superOptions.split(',').includes('favordynmods'),
    };
  }
  return undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The unified-hierarchy path in /proc/<pid>/cgroup (`0::/path`). */
export function unifiedCgroupPath(procCgroup: string): string | undefined {
  for (const line of procCgroup.split('\n')) if (line.startsWith('0::')) return line.slice(3);
  return undefined;
}

/** `podvisor-<12 hex>`: one per state directory, so a crashed predecessor's parent is found again. */
export function parentCgroupName(stateDir: string): string {
  return `podvisor-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 12)}`;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The live pids in a cgroup (empty when it is gone). */
export function cgroupProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'latin1')
      .split('\n')
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether any process is in the cgroup or below it; false when it is gone. */
export function cgroupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'latin1'));
  } catch {
    return false;
  }
}

let cgroup2Mount: { mountPoint: string; root: string } | undefined;

/** podvisor's current cgroup directory (its home, except inside CgroupTree.spawnIn). */
export function ownCgroupDir(): string | undefined {
  try {
    cgroup2Mount ??= findCgroup2Mount(readFileSync('/proc/self/mountinfo', 'utf8'));
    const path = unifiedCgroupPath(readFileSync('/proc/self/cgroup', 'utf8'));
    return cgroup2Mount && path !== undefined ? cgroupDir(cgroup2Mount, path) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL to everything in the cgroup and below it (cgroup.kill), never to podvisor's own cgroup. */
export function killCgroup(dir: string): boolean {
  // podvisor is only ever inside a container's cgroup for a spawn, but a kill there would end it.
  const own = ownCgroupDir();
  if (own === undefined || own === dir || own.startsWith(`${dir}/`)) return false;
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

/** Resolves true once the cgroup is empty (or gone), false after `timeoutMs`. Polls cgroup.events. */
export async function waitCgroupEmpty(dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 1; cgroupPopulated(dir); pause = Math.min(pause * 2, 25)) {
    if (Date.now() >= deadline) return false;
    await sleep(pause);
  }
  return true;
}

/** rmdir of an empty cgroup; a cgroup whose last process is still being torn down says EBUSY briefly. */
export async function removeCgroup(dir: string): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      await sleep(5 * (attempt + 1));
    }
  }
  return false;
}

/** Ends everything in `dir` and below (cgroup.kill), waits for it to empty, removes it (children first). */
export async function endCgroup(dir: string): Promise<number[]> {
  const pids = cgroupProcs(dir);
  for (const child of childCgroups(dir)) pids.push(...(await endCgroup(child)));
  if (cgroupPopulated(dir)) {
    killCgroup(dir);
    await waitCgroupEmpty(dir, CGROUP_EMPTY_WAIT_MS);
  }
  await removeCgroup(dir);
  return pids;
}

function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

export interface CgroupSystem {
  mountinfo: () => string;
  selfCgroup: () => string;
}

const REAL_SYSTEM: CgroupSystem = {
  mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
  selfCgroup: () => readFileSync('/proc/self/cgroup', 'utf8'),
};

/**
 * podvisor's parent cgroup and the way into it. Build it with `CgroupTree.open`, which decides
 * the containment mode; `undefined` tree means the scan is in force.
 */
export class CgroupTree {
  private constructor(
    /** `<mount><podvisor's cgroup>/podvisor-<hash>`. */
    readonly root: string,
    /** podvisor's own cgroup directory, where it returns after each spawn. */
    private readonly home: string,
    private readonly mount: Cgroup2Mount,
  ) {}

  /**
   * Works out the containment: `scan` when asked to; otherwise the cgroup when the machine allows
   * it (a cgroup2 mount, a writable parent, cgroup.kill, and podvisor can move itself in and out),
   * else the scan with the reason (`cgroup` then throws instead, naming the flag).
   */
  static open(
    stateDir: string,
    choice: ContainmentChoice,
    system: CgroupSystem = REAL_SYSTEM,
  ): { tree: CgroupTree | undefined; containment: ProcessContainment } {
    if (choice === 'scan') {
      return {
        tree: undefined,
        containment: {
          mode: 'scan',
          reason: 'descendant scan of /proc, as asked by --process-containment=scan',
        },
      };
    }
    const attempt = CgroupTree.tryOpen(stateDir, system);
    if (attempt instanceof CgroupTree) {
      return {
        tree: attempt,
        containment: {
          mode: 'cgroup',
          reason: `a cgroup v2 per container, under ${attempt.root}`,
          ...attempt.migrationNote(),
        },
      };
    }
    if (choice === 'cgroup') {
      throw new Error(
        `--process-containment=cgroup: ${attempt}: run podvisor as root on a machine with a writable cgroup v2 hierarchy, or pass --process-containment=auto (or scan)`,
      );
    }
    return {
      tree: undefined,
      containment: {
        mode: 'scan',
        reason: `descendant scan of /proc: no cgroup v2 here (${attempt}); run as root with a writable cgroup v2 for full containment`,
      },
    };
  }

  /** What moving into a new cgroup costs here, when the mount makes it cost more than it must. */
  private migrationNote(): { note?: string } {
    if (this.mount.favorDynmods) return {};
    return {
      note:
        `each container start waits for the kernel's cgroup migration lock (an RCU grace period, ` +
        `~7 ms on an idle machine): mount cgroup2 with favordynmods (Linux 6.0+) to avoid it, ` +
        `e.g. mount -o remount,favordynmods ${this.mount.mountPoint}`,
    };
  }

  /** The tree, or why it cannot be had. */
  private static tryOpen(stateDir: string, system: CgroupSystem): CgroupTree | string {
    if (process.platform !== 'linux') return `cgroups are Linux only (this is ${process.platform})`;
    let mount: Cgroup2Mount | undefined;
    let self: string | undefined;
    try {
      mount = findCgroup2Mount(system.mountinfo());
      self = unifiedCgroupPath(system.selfCgroup());
    } catch (err) {
      return `cannot read /proc/self/mountinfo or /proc/self/cgroup: ${errnoOf(err)}`;
    }
    if (!mount) return 'no cgroup2 mount in /proc/self/mountinfo';
    if (self === undefined) return 'no cgroup v2 entry ("0::") in /proc/self/cgroup';
    const home = cgroupDir(mount, self);
    if (home === undefined) return `podvisor's cgroup ${self} is not visible under ${mount.mountPoint}`;
    const tree = new CgroupTree(join(home, parentCgroupName(stateDir)), home, mount);
    const check = join(tree.root, `startup-check-${process.pid}`);
    try {
      mkdirSync(check, { recursive: true });
    } catch (err) {
      return `cannot create ${check}: ${errnoOf(err)}`;
    }
    try {
      if (!existsSync(join(check, 'cgroup.kill')))
        return 'the kernel has no cgroup.kill (Linux 5.14 or later is needed)';
      try {
        tree.spawnInside(check, () => undefined);
      } catch (err) {
        return `cannot move a process into ${check}: ${(err as Error).message}`;
      }
      return tree;
    } finally {
      try {
        rmdirSync(check);
      } catch {
        // removed with the stale cgroups at the next start
      }
    }
  }

  /**
   * Creates the cgroup `name` and forks into it (see spawnInside); the parent is made again if it
   * was removed meanwhile (another podvisor's start-up removes empty `podvisor-*` parents). On a
   * failure the cgroup is removed again and the error names it.
   */
  spawnIn<T>(name: string, fork: () => T): { dir: string; result: T } {
    const dir = join(this.root, name);
    for (let attempt = 0; ; attempt++) {
      let forked = false;
      try {
        mkdirSync(dir, { recursive: true });
        const result = this.spawnInside(dir, () => {
          forked = true;
          return fork();
        });
        return { dir, result };
      } catch (err) {
        if (!forked && (err as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 0) continue;
        try {
          rmdirSync(dir);
        } catch {
          // never made, or the child is still in it: removed with the stale cgroups at the next start
        }
        if (forked) throw err;
        throw new Error(`cannot put the container into cgroup ${dir}: ${errnoOf(err)}`);
      }
    }
  }

  /**
   * Runs `fork` (a synchronous spawn) with podvisor inside `dir`, so the child is born there, then
   * moves podvisor back home. A failed move back is retried; it must not leave podvisor in a
   * container's cgroup, where that container's kill would reach it.
   */
  spawnInside<T>(dir: string, fork: () => T): T {
    writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
    try {
      return fork();
    } finally {
      this.goHome();
    }
  }

  private goHome(): void {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(join(this.home, 'cgroup.procs'), String(process.pid));
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`podvisor cannot move itself back to ${this.home}: ${errnoOf(lastError)}`);
  }

  /**
   * What a crashed predecessor with this state directory left (DESIGN principle 6): every
   * container cgroup under the parent is ended and removed; returns the pids that were in them.
   * Then the empty `podvisor-*` parents of other podvisors that are gone are removed (the kernel
   * refuses rmdir of a populated cgroup, and a live podvisor makes its parent again on demand).
   */
  async removeStale(): Promise<number[]> {
    const pids: number[] = [];
    for (const dir of childCgroups(this.root)) pids.push(...(await endCgroup(dir)));
    for (const sibling of childCgroups(this.home)) {
      if (sibling === this.root || !/\/podvisor-[0-9a-f]{12}$/.test(sibling)) continue;
      if (cgroupPopulated(sibling)) continue;
      for (const dir of childCgroups(sibling)) if (!cgroupPopulated(dir)) await removeCgroup(dir);
      await removeCgroup(sibling);
    }
    return pids;
  }

  /** Removes the parent at shutdown (once every container cgroup is gone). */
  async remove(): Promise<boolean> {
    return removeCgroup(this.root);
  }
}

/** The directory of cgroup `path` under the mount, undefined when the mount does not show it. */
function cgroupDir(mount: { mountPoint: string; root: string }, path: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return undefined;
  return join(mount.mountPoint, path.slice(root.length));
}
