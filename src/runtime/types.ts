/**
 * The container runtime contract (the kubelet's CRI, for processes). It knows nothing about
 * probes or restart policy: it prepares pod sandboxes (a private directory and a loopback IP),
 * starts and stops container instances, and keeps their logs.
 */

export interface PodSandboxRequest {
  uid: string;
  namespace: string;
  name: string;
  /** hostNetwork: true → the pod IP is 127.0.0.1. */
  hostNetwork: boolean;
}

export interface PodSandbox {
  uid: string;
  /** A unique loopback address for this pod (127.x pool), or 127.0.0.1 with hostNetwork. */
  podIP: string;
  /** The pod's private directory: default working directory, kept across container restarts. */
  podDir: string;
}

export interface ContainerLaunch {
  podUid: string;
  namespace: string;
  podName: string;
  containerName: string;
  /** restartCount of this instance: names its log file (`<restartCount>.log`, as the kubelet does). */
  attempt: number;
  /** command + args, already $(VAR)-expanded. argv[0] is run directly, never through a shell. */
  argv: string[];
  /** The complete environment of the process (podvisor adds nothing beyond what is given here). */
  env: Record<string, string>;
  /** Absolute working directory. */
  workingDir: string;
}

export type TerminatedReason = 'Completed' | 'Error';

export interface ContainerExit {
  /** 0..255, or 128+signal for a signalled exit (143 for SIGTERM, 137 for SIGKILL). */
  exitCode: number;
  /** The signal that ended it, if any (not reported in status: Kubernetes leaves `signal` 0). */
  signal: NodeJS.Signals | null;
  reason: TerminatedReason;
  /** Epoch ms. */
  finishedAt: number;
}

export interface ContainerInstance {
  /** Fresh for every instance: `podvisor://<hex>` (the kubelet keys probe results by it). */
  id: string;
  pid: number;
  /** Epoch ms when the process was spawned. */
  startedAt: number;
  /** Resolves once when the process group's leader has exited. Never rejects. */
  readonly exited: Promise<ContainerExit>;
}

/** Thrown by start(): the kubelet turns it into waiting.reason + a `Failed` event. */
export class ContainerStartError extends Error {
  constructor(
    /** `RunContainerError` (e.g. ENOENT/EACCES on exec) or `CreateContainerConfigError`. */
    readonly reason: 'RunContainerError' | 'CreateContainerConfigError' | 'CreateContainerError',
    message: string,
  ) {
    super(message);
    this.name = 'ContainerStartError';
  }
}

export interface LogReadOptions {
  container: string;
  /** Read the previous instance's log (`kubectl logs -p`). */
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  follow?: boolean;
  /** Aborts a follow. */
  signal?: AbortSignal;
}

export interface ContainerRuntime {
  /** Creates (or finds, idempotently) the pod's sandbox. */
  preparePod(req: PodSandboxRequest): Promise<PodSandbox>;
  /** Spawns a container instance in its own process group. Rejects with ContainerStartError. */
  start(launch: ContainerLaunch): Promise<ContainerInstance>;
  /**
   * Stop signal (SIGTERM) to the instance's whole process group, SIGKILL to the group once
   * `graceMs` runs out; resolves with the exit. Stopping an exited instance resolves at once.
   */
  stop(instanceId: string, graceMs: number): Promise<ContainerExit>;
  /** Pids of every live process of the instance (its group and descendants). */
  processes(instanceId: string): number[];
  /** Releases the sandbox (IP back to the pool; the directory and logs are removed). */
  removePod(uid: string): Promise<void>;
  /**
   * Lines of a container's log (CRI log files underneath). With `follow`, keeps yielding as the
   * current instance writes until it exits or the signal aborts.
   */
  readLogs(podUid: string, opts: LogReadOptions): AsyncIterable<string>;
  /** The last `maxLines`/`maxBytes` of an instance's log, for FallbackToLogsOnError. */
  tailOfInstance(instanceId: string, maxLines: number, maxBytes: number): Promise<string>;
  /** Stops everything (SIGKILL after `graceMs`) — podvisor's shutdown. */
  shutdown(graceMs: number): Promise<void>;
  /**
   * Optional (in-process `check silence` / `check log`): when the instance last wrote any output
   * (epoch ms); undefined if it never has, or the instance is not known.
   */
  lastOutputAt?(instanceId: string): number | undefined;
  /**
   * Optional: hands each output line of a running instance to `tap` as it is written (its time is
   * the CRI record's); returns the unsubscribe, or undefined if the instance's log is closed/unknown.
   */
  tapOutput?(instanceId: string, tap: (line: string, at: number) => void): (() => void) | undefined;
  /** Optional: which mechanism keeps a container's processes together (the Node reports it). */
  containment?(): ProcessContainment;
  /** Optional: the last `maxLines` lines of an instance's log with their times, oldest first. */
  recentLines?(instanceId: string, maxLines: number): Promise<TimedLine[]>;
}

/** One log line with the time it was written (epoch ms). */
export interface TimedLine {
  at: number;
  text: string;
}

/**
 * How a container's processes are kept together, so that stopping it leaves none: `cgroup` (a
 * cgroup v2 per container, ended with cgroup.kill) or `scan` (the descendant scan of /proc).
 */
export interface ProcessContainment {
  mode: 'cgroup' | 'scan';
  /** One sentence: where the cgroups live, or why the scan is in force and how to change that. */
  reason: string;
  /**
   * What the machine makes the mode cost, and the fix, when there is one to say (printed by `up`
   * at start; kept out of `reason`, which kubectl shows in `describe node` and cuts at 140 chars).
   */
  note?: string;
}
