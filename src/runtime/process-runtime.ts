/**
 * The process runtime: ContainerRuntime for plain processes (DESIGN "Local mapping").
 * Pod sandbox = a private directory + a loopback IP; container = a process group, in a cgroup of
 * its own where the machine allows it (cgroup.ts); logs = CRI log files under `<stateDir>/pods`,
 * laid out like the kubelet's /var/log/pods.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RealClock, type Clock } from '../util/clock.js';
import { CgroupTree, type ContainmentChoice } from './cgroup.js';
import { ContainerProcess, type ContainerProcessOptions } from './container-process.js';
import { parseCriTimestamp } from './cri-log-format.js';
import { readInstanceLog, type InstanceLogSource } from './cri-log-reader.js';
import { endOrphans, instancesFile, InstanceRegistry, type LeaderRecord } from './instance-registry.js';
import { defaultClaimsDir, FileAddressClaims, UNCLAIMED } from './address-claims.js';
import { IpPool } from './ip-pool.js';
import {
  containerLogDir,
  findPodRoot,
  listAttempts,
  listPodRoots,
  podRoot,
  podWorkDir,
  removeAttemptLogs,
  sandboxFile,
} from './pod-paths.js';
import {
  ContainerStartError,
  type ContainerExit,
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  type LogReadOptions,
  type PodSandbox,
  type PodSandboxRequest,
  type ProcessContainment,
  type TimedLine,
} from './types.js';

export interface ProcessRuntimeOptions {
  stateDir: string;
  clock?: Clock;
  /** Pod IPs come from here; default 127.77.0.0/16. */
  podIpPool?: string;
  /**
   * Where nodes on this machine claim pod IPs so that no two pods share one (default: a shared
   * folder in the system's temporary directory); `false` turns coordination off.
   */
  addressClaimsDir?: string | false;
  /** Rotate an instance's log at this size (kubelet containerLogMaxSize); default 10 MiB. */
  logMaxBytes?: number;
  /** Files kept per instance, the live one included (kubelet containerLogMaxFiles); default 5. */
  logMaxFiles?: number;
  /**
   * `--process-containment`: `auto` (default) takes a cgroup per container where the machine
   * allows it, else the descendant scan; `cgroup` fails when it cannot have one; `scan` never tries.
   */
  processContainment?: ContainmentChoice;
  /** Told which pids of a crashed podvisor's containers were ended at create(). */
  onOrphansKilled?: (pids: number[]) => void;
  /** Told when the disk refuses a container's log output and when it takes it again. */
  onLogProblem?: ContainerProcessOptions['onLogProblem'];
  /**
   * The stop grace for a crashed podvisor's container (its pod's terminationGracePeriodSeconds);
   * without it they get SIGKILL at once.
   */
  orphanGraceMs?: (orphan: Pick<LeaderRecord, 'podUid' | 'container'>) => number;
}

interface SandboxState {
  sandbox: PodSandbox;
  root: string;
  namespace: string;
  name: string;
  hostNetwork: boolean;
}

const HOST_IP = '127.0.0.1';

/**
 * Build it with `ProcessRuntime.create()`, which also ends a crashed podvisor's leftovers; the
 * bare constructor does not (it keeps their records, so they are dealt with by the next create()).
 */
export class ProcessRuntime implements ContainerRuntime {
  private readonly stateDir: string;
  private readonly clock: Clock;
  private readonly pool: IpPool;
  private readonly logMaxBytes: number;
  private readonly logMaxFiles: number;
  private readonly registry: InstanceRegistry;
  private readonly onOrphansKilled: ((pids: number[]) => void) | undefined;
  private readonly onLogProblem: ContainerProcessOptions['onLogProblem'];
  private readonly sandboxes = new Map<string, SandboxState>();
  /** IPs of sandboxes found on disk (pod root → IP), reserved until their pod is prepared again. */
  private readonly restoredIps = new Map<string, string>();
  private readonly instances = new Map<string, ContainerProcess>();
  /** Instances whose processes or cgroup may still be there (shutdown waits for them). */
  private readonly unfinished = new Set<ContainerProcess>();
  private readonly cgroups: CgroupTree | undefined;
  private readonly containmentInUse: ProcessContainment;
  /** `<podUid>/<container>` → its previous and current instance, oldest first. */
  private readonly history = new Map<string, ContainerProcess[]>();
  private shuttingDown = false;

  constructor(opts: ProcessRuntimeOptions) {
    this.stateDir = opts.stateDir;
    this.clock = opts.clock ?? new RealClock();
    this.pool = new IpPool(
      opts.podIpPool ?? '127.77.0.0/16',
      opts.addressClaimsDir === false
        ? UNCLAIMED
        : new FileAddressClaims(opts.addressClaimsDir ?? defaultClaimsDir()),
    );
    this.logMaxBytes = Math.max(1, opts.logMaxBytes ?? 10 * 1024 * 1024);
    this.logMaxFiles = Math.max(1, opts.logMaxFiles ?? 5);
    this.onOrphansKilled = opts.onOrphansKilled;
    this.onLogProblem = opts.onLogProblem;
    this.registry = new InstanceRegistry(instancesFile(this.stateDir));
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const { tree, containment } = CgroupTree.open(this.stateDir, opts.processContainment ?? 'auto');
    this.cgroups = tree;
    this.containmentInUse = containment;
    this.restoreSandboxIps();
  }

  /**
   * Builds a runtime and ends whatever a crashed podvisor left running (DESIGN principle 6), each
   * group with its grace period, in parallel, before anything new starts.
   */
  static async create(opts: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const runtime = new ProcessRuntime(opts);
    const inherited = runtime.registry.inherited();
    const graceMs = opts.orphanGraceMs;
    const killed = await endOrphans(inherited, (r) => (graceMs ? graceMs(r) : 0));
    await runtime.registry.forget(inherited);
    // Container cgroups of a predecessor that crashed before recording them, and empty parents.
    if (runtime.cgroups) killed.push(...(await runtime.cgroups.removeStale()));
    if (killed.length > 0) opts.onOrphansKilled?.(killed);
    return runtime;
  }

  /** Which mechanism keeps each container's processes together (the node reports it). */
  containment(): ProcessContainment {
    return this.containmentInUse;
  }

  /** Pods keep their IP across a podvisor restart, so addresses on disk stay reserved. */
  private restoreSandboxIps(): void {
    for (const root of listPodRoots(this.stateDir)) {
      try {
        const saved = JSON.parse(readFileSync(sandboxFile(root), 'utf8')) as { podIP?: unknown };
        if (typeof saved.podIP === 'string' && this.pool.reserve(saved.podIP))
          this.restoredIps.set(root, saved.podIP);
      } catch {
        // no sandbox record: the pod gets a fresh address
      }
    }
  }

  async preparePod(req: PodSandboxRequest): Promise<PodSandbox> {
    const known = this.sandboxes.get(req.uid);
    const root = known?.root ?? podRoot(this.stateDir, req.namespace, req.name, req.uid);
    // Private whatever the umask (SECURITY.md §3), as every file podvisor writes.
    mkdirSync(podWorkDir(root), { recursive: true, mode: 0o700 });
    if (known) return known.sandbox;
    let podIP = this.restoredIps.get(root);
    this.restoredIps.delete(root);
    if (req.hostNetwork) {
      if (podIP) this.pool.release(podIP);
      podIP = HOST_IP;
    }
    podIP ??= this.pool.allocate();
    const sandbox: PodSandbox = { uid: req.uid, podIP, podDir: podWorkDir(root) };
    this.sandboxes.set(req.uid, {
      sandbox,
      root,
      namespace: req.namespace,
      name: req.name,
      hostNetwork: req.hostNetwork,
    });
    await writeFile(sandboxFile(root), JSON.stringify({ uid: req.uid, podIP }) + '\n', { mode: 0o600 });
    return sandbox;
  }

  async removePod(uid: string): Promise<void> {
    const state = this.sandboxes.get(uid);
    const root = state?.root ?? findPodRoot(this.stateDir, uid)?.root;
    this.sandboxes.delete(uid);
    if (state && !state.hostNetwork) this.pool.release(state.sandbox.podIP);
    if (root) {
      const restored = this.restoredIps.get(root);
      if (restored) this.pool.release(restored);
      this.restoredIps.delete(root);
    }
    for (const [key, list] of this.history) {
      if (!key.startsWith(`${uid}/`)) continue;
      this.history.delete(key);
      for (const instance of list) if (!instance.running) this.instances.delete(instance.id);
    }
    if (root) await rm(root, { recursive: true, force: true });
  }

  async start(launch: ContainerLaunch): Promise<ContainerInstance> {
    if (this.shuttingDown) throw new ContainerStartError('CreateContainerError', 'podvisor is shutting down');
    const root =
      this.sandboxes.get(launch.podUid)?.root ??
      podRoot(this.stateDir, launch.namespace, launch.podName, launch.podUid);
    const logDir = containerLogDir(root, launch.containerName);
    const instance = await ContainerProcess.start({
      launch,
      clock: this.clock,
      logDir,
      logMaxBytes: this.logMaxBytes,
      logMaxFiles: this.logMaxFiles,
      ...(this.onLogProblem ? { onLogProblem: this.onLogProblem } : {}),
      ...(this.cgroups ? { cgroups: this.cgroups } : {}),
    });
    this.instances.set(instance.id, instance);
    this.unfinished.add(instance);
    void instance.finished.then(() => this.unfinished.delete(instance));
    const recorded = this.registry.add({
      id: instance.id,
      pid: instance.pid,
      pgid: instance.pid,
      startTime: instance.startTime,
      ...(instance.cgroup ? { cgroup: instance.cgroup } : {}),
      podUid: launch.podUid,
      container: launch.containerName,
    });
    void instance.exited.then(() => this.registry.remove(instance.id));
    await Promise.all([
      recorded,
      this.keepTwoInstances(`${launch.podUid}/${launch.containerName}`, instance, logDir),
    ]);
    return instance;
  }

  /** The kubelet keeps one dead instance per container: its log is what `logs -p` shows. */
  private async keepTwoInstances(key: string, current: ContainerProcess, logDir: string): Promise<void> {
    const list = [...(this.history.get(key) ?? []), current];
    const kept = list.slice(-2);
    this.history.set(key, kept);
    for (const old of list.slice(0, -2)) void old.exited.then(() => this.instances.delete(old.id));
    const previousAttempt =
      kept.length === 2
        ? kept[0]?.launch.attempt
        : listAttempts(logDir)
            .filter((a) => a !== current.launch.attempt)
            .pop();
    const busy = new Set(list.filter((i) => i.running).map((i) => i.launch.attempt));
    for (const attempt of listAttempts(logDir)) {
      if (attempt === current.launch.attempt || attempt === previousAttempt || busy.has(attempt)) continue;
      await removeAttemptLogs(logDir, attempt);
    }
  }

  stop(instanceId: string, graceMs: number): Promise<ContainerExit> {
    const instance = this.instances.get(instanceId);
    if (!instance)
      return Promise.reject(new Error(`container instance ${instanceId} is not known to this runtime`));
    return instance.stop(graceMs);
  }

  processes(instanceId: string): number[] {
    return this.instances.get(instanceId)?.processes() ?? [];
  }

  readLogs(podUid: string, opts: LogReadOptions): AsyncIterable<string> {
    return this.logLines(podUid, opts);
  }

  private async *logLines(podUid: string, opts: LogReadOptions): AsyncGenerator<string> {
    const state = this.sandboxes.get(podUid);
    const location = state ?? findPodRoot(this.stateDir, podUid);
    if (!location) throw new Error(`no logs for pod with UID ${podUid}: the pod is not on this node`);
    const { container } = opts;
    const podName = location.name;
    const logDir = containerLogDir(location.root, container);
    const list = this.history.get(`${podUid}/${container}`) ?? [];
    const onDisk = listAttempts(logDir);
    const current: InstanceLogSource | undefined = list.at(-1)
      ? this.sourceOf(list.at(-1) as ContainerProcess, logDir)
      : onDisk.length > 0
        ? { dir: logDir, attempt: onDisk.at(-1) as number }
        : undefined;
    let source = current;
    if (opts.previous) {
      const prior = list.length >= 2 ? list.at(-2) : undefined;
      const priorAttempt = onDisk.filter((a) => a !== current?.attempt).pop();
      source = prior
        ? this.sourceOf(prior, logDir)
        : priorAttempt !== undefined
          ? { dir: logDir, attempt: priorAttempt }
          : undefined;
      if (!source)
        throw new Error(`previous terminated container "${container}" in pod "${podName}" not found`);
    }
    if (!source) throw new Error(`container "${container}" in pod "${podName}" has no logs yet`);
    yield* readInstanceLog(source, {
      tailLines: opts.tailLines,
      sinceMs: opts.sinceSeconds === undefined ? undefined : this.clock.now() - opts.sinceSeconds * 1000,
      timestamps: opts.timestamps,
      follow: opts.follow && !opts.previous,
      signal: opts.signal,
    });
  }

  private sourceOf(instance: ContainerProcess, logDir: string): InstanceLogSource {
    return { dir: logDir, attempt: instance.launch.attempt, writer: instance.writer };
  }

  /**
   * spec §4.4 FallbackToLogsOnError: the last `maxLines` lines, then at most the last `maxBytes`
   * bytes of them (the kubelet reads the tail into a ring buffer of that size).
   */
  async tailOfInstance(instanceId: string, maxLines: number, maxBytes: number): Promise<string> {
    const instance = this.instances.get(instanceId);
    if (!instance) return '';
    const source: InstanceLogSource = {
      dir: dirname(instance.writer.path),
      attempt: instance.launch.attempt,
      writer: instance.writer,
    };
    let text = '';
    for await (const line of readInstanceLog(source, { tailLines: maxLines })) text += `${line}\n`;
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= maxBytes) return text;
    let cut = bytes.length - maxBytes;
    // Do not start in the middle of a UTF-8 sequence.
    while (cut < bytes.length && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut++;
    return bytes.subarray(cut).toString('utf8');
  }

  lastOutputAt(instanceId: string): number | undefined {
    return this.instances.get(instanceId)?.writer.lastOutputAt;
  }

  tapOutput(instanceId: string, tap: (line: string, at: number) => void): (() => void) | undefined {
    const writer = this.instances.get(instanceId)?.writer;
    if (!writer || writer.closed) return undefined;
    return writer.tapOutput(tap);
  }

  /** Read once per instance by the kubelet's log window (a backfill), never per probe. */
  async recentLines(instanceId: string, maxLines: number): Promise<TimedLine[]> {
    const instance = this.instances.get(instanceId);
    if (!instance) return [];
    const source: InstanceLogSource = {
      dir: dirname(instance.writer.path),
      attempt: instance.launch.attempt,
      writer: instance.writer,
    };
    const out: TimedLine[] = [];
    for await (const line of readInstanceLog(source, { tailLines: maxLines, timestamps: true })) {
      const space = line.indexOf(' ');
      const at = parseCriTimestamp(space < 0 ? line : line.slice(0, space));
      if (!Number.isNaN(at)) out.push({ at, text: space < 0 ? '' : line.slice(space + 1) });
    }
    return out;
  }

  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    // Instances whose leader is gone may still be sweeping and draining: wait for those too.
    await Promise.all([...this.instances.values()].map((i) => (i.running ? i.stop(graceMs) : i.exited)));
    await Promise.all([...this.unfinished].map((i) => i.finished));
    await this.registry.persist();
    await this.cgroups?.remove();
  }
}
