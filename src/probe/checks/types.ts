/**
 * `podvisor check …` (issue 5): extension checks that run inside an ordinary exec probe, so the
 * manifest stays valid Kubernetes. The same code runs in-process when podvisor's prober sees its
 * own check in an exec probe (no fork), as the `podvisor check` command, and as the bundled
 * stand-alone file inside a cluster container. Everything a check needs from where it runs comes
 * through a CheckContext.
 */

/** One check's verdict: exit 0 / non-zero, and the one-line reason printed on stdout. */
export interface CheckResult {
  ok: boolean;
  /** One line, no trailing newline: becomes the exec probe's output (the Unhealthy message). */
  reason: string;
}

/** The container output a `check log` / `check silence` reads. */
export interface CheckLogSource {
  /**
   * The container's output lines written at or after `sinceMs` (epoch ms), oldest first,
   * stdout and stderr together, without the CRI prefix. In-process this is the current
   * instance's output only; through the API it is `pods/log?sinceSeconds=…`.
   */
  linesSince(sinceMs: number, signal?: AbortSignal): Promise<string[]>;
  /** When the container last wrote anything (epoch ms); undefined if it never has. */
  lastOutputAt(signal?: AbortSignal): Promise<number | undefined>;
  /** When the checked instance started (epoch ms): silence is counted from here at most. */
  startedAt(signal?: AbortSignal): Promise<number | undefined>;
}

export interface CheckContext {
  now(): number;
  /** The probe's timeoutSeconds in ms (in-process), or `--timeout` on the command line. */
  timeoutMs: number;
  /** Aborted when the probe is cancelled (worker stopped). */
  signal?: AbortSignal;
  /** Where `check log` and `check silence` read; undefined → they fail naming what is missing. */
  logs?: CheckLogSource;
  /**
   * The pids whose sockets are the container's (in-process: the instance's process tree).
   * undefined → every socket of the current network namespace (/proc/self/net/tcp{,6}),
   * which in a cluster container is the pod's.
   */
  pids?: () => number[];
  /**
   * `check conn` may reuse a network namespace's socket tables read at most this long ago by
   * another check (default 0: read them every run). /proc/net/tcp costs the kernel a walk of every
   * socket of the namespace; in-process, many containers' checks share one namespace.
   */
  socketTableMaxAgeMs?: number;
  /** The pod IP: the default host of `check tcp` / `check grpc` when none is given. */
  podIP?: string;
  /** For `check exec`: the container's environment and working directory. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * The probed container's identity, when known (in-process). A `--pod`/`-c`/`-n` in the probe's
   * argv that names another container is then refused instead of silently reading our own log.
   */
  podName?: string;
  containerName?: string;
  namespace?: string;
}
