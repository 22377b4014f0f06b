/**
 * The kubelet's memory of one container (the runtime's view of its instances plus the reason
 * cache), from which status.ts derives the API ContainerStatus.
 */

export interface InstanceExit {
  exitCode: number;
  /** `Completed`, `Error`, `StartError` (failed start) or `ContainerStatusUnknown`. */
  reason: string;
  message?: string;
  finishedAt: number;
}

export interface InstanceRecord {
  /** Container ID, `podvisor://<hex>`; fresh for every instance (results are keyed by it). */
  id: string;
  /** Epoch ms; 0 for an instance that never started (StartError shows 1970, as containerd's). */
  startedAt: number;
  specHash: string;
  /** The process environment and working directory: exec probes run with them (DESIGN). */
  env: Record<string, string>;
  workingDir: string;
  exit?: InstanceExit;
  /** Resolves once `exit` has been filled in (termination message included). */
  exitRecorded: Promise<void>;
}

export interface WaitingReason {
  /** `CrashLoopBackOff`, `RunContainerError`, `CreateContainerConfigError`, `CreateContainerError`. */
  reason: string;
  message: string;
}

export interface ContainerRecord {
  name: string;
  /** The newest instance. */
  current?: InstanceRecord;
  /** The one before it (always exited): source of lastState. */
  previous?: InstanceRecord;
  /** restartCount of the newest instance (0 for the first). */
  restartCount: number;
  /** The reason cache entry: set by a failed start, cleared by a successful one (§4.4). */
  waiting?: WaitingReason;
}

export function isRunning(inst: InstanceRecord | undefined): inst is InstanceRecord {
  return inst !== undefined && inst.exit === undefined;
}

/** finishedAt of the newest exited instance: where doBackOff counts from (§4.5). */
export function latestExitTime(rec: ContainerRecord): number | undefined {
  if (rec.current?.exit) return rec.current.exit.finishedAt;
  return rec.previous?.exit?.finishedAt;
}
