import { resolve as resolvePath } from 'node:path';
import { podKnobs } from '../api/podvisor-annotations.js';
import type { Container, Pod } from '../api/types.js';
import { envSourcesFrom } from '../api/configmap-env.js';
import { expandArgv, podEnvironment } from '../api/expansion.js';
import {
  ContainerStartError,
  type ContainerExit,
  type ContainerRuntime,
  type PodSandbox,
} from '../runtime/types.js';
import type { EventRecorder, ObjectStore } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { backOffEventMessage, backOffWaitingMessage, backoffKey, type CrashLoopBackOff } from './backoff.js';
import type { ContainerRecord, InstanceRecord } from './container-record.js';
import { containerRef, EventReason, messages, podRef } from './events.js';
import { killGraceSeconds, MIN_GRACE_SECONDS, type KillReason } from './pod-actions.js';
import { containerSpecHash } from './spec-hash.js';
import { HOST_IP } from './status.js';

/** backOffPeriod: a sync that failed (back-off, start error) is retried after 10 s. */
export const SYNC_RETRY_MS = 10_000;

/** MaxContainerTerminationMessageLog{Lines,Length} (§4.4). */
const TERMINATION_LOG_LINES = 80;
const TERMINATION_LOG_BYTES = 2048;

export interface RunnerDeps {
  nodeName: string;
  runtime: ContainerRuntime;
  recorder: EventRecorder;
  clock: Clock;
  backoff: CrashLoopBackOff;
  baseEnv: Record<string, string>;
  /** A relative `workingDir` is resolved against this (the directory the node was started in). */
  workingDirBase: string;
  /** ConfigMaps and Secrets for `envFrom`/`valueFrom` are read from here at each start. */
  store?: Pick<ObjectStore, 'get'>;
  /** The probe manager (the pod worker's): a kill a probe caused goes into the probe history. */
  probes?: {
    probeKilled(
      podUid: string,
      container: string,
      containerId: string,
      reason: 'LivenessProbe' | 'StartupProbe',
      message: string,
    ): void;
  };
}

/** What the runner needs from its pod worker. */
export interface RunnerHost {
  pod(): Pod;
  sandbox(): PodSandbox;
  record(name: string): ContainerRecord;
  /** A new instance exists (its exit is being watched). */
  instanceStarted(rec: ContainerRecord, inst: InstanceRecord): void;
  /** An instance's exit has been recorded. */
  instanceExited(rec: ContainerRecord, inst: InstanceRecord): void;
  /** Asks for another sync within `delayMs` (a failed or blocked start). */
  retryAfter(delayMs: number): void;
}

function storeGetter(store: Pick<ObjectStore, 'get'>) {
  return (resource: string, namespace: string, name: string): unknown => store.get(resource, namespace, name);
}

let syntheticIds = 0;

/**
 * Starting and killing one container, as kuberuntime's startContainer / killContainer and
 * doBackOff do it (spec §4.3–§4.5), with the events of §5.
 */
export class ContainerRunner {
  constructor(
    private readonly deps: RunnerDeps,
    private readonly host: RunnerHost,
  ) {}

  /**
   * Starts `container` unless CrashLoopBackOff holds it back. `backoffFrom` is the exit time the
   * back-off counts from (undefined for a first start: no back-off).
   */
  async start(container: Container, backoffFrom: number | undefined): Promise<void> {
    const { clock, backoff, recorder } = this.deps;
    const pod = this.host.pod();
    const rec = this.host.record(container.name);
    const ref = containerRef(pod, container.name);
    if (backoffFrom !== undefined) {
      const key = backoffKey(pod, container);
      const now = clock.now();
      // podvisor.io/crashloop-backoff: this pod's initial delay, cap and reset over the node's.
      const policy = backoff.policy(podKnobs(pod.metadata).crashloop);
      const remaining = backoff.remainingMs(key, backoffFrom, now, policy);
      if (remaining > 0) {
        recorder.record(ref, 'Warning', EventReason.BackOff, backOffEventMessage(container, pod));
        rec.waiting = {
          reason: 'CrashLoopBackOff',
          message: backOffWaitingMessage(backoff.get(key), container, pod),
        };
        // The kubelet retries a blocked sync every 10–15 s; podvisor also wakes exactly at expiry.
        this.host.retryAfter(Math.min(remaining, SYNC_RETRY_MS));
        return;
      }
      backoff.next(key, backoffFrom, now, policy);
    }

    const sandbox = this.host.sandbox();
    const environment = podEnvironment(pod, container, {
      podIP: sandbox.podIP,
      hostIP: HOST_IP,
      nodeName: this.deps.nodeName,
      podDir: sandbox.podDir,
      baseEnv: this.deps.baseEnv,
      ...(this.deps.store ? { envSources: envSourcesFrom(storeGetter(this.deps.store)) } : {}),
    });
    for (const ev of environment.events) recorder.record(podRef(pod), ev.type, ev.reason, ev.message);
    const firstError = environment.errors[0];
    if (firstError !== undefined) {
      this.failed(rec, container, 'CreateContainerConfigError', firstError);
      return;
    }
    const argv = expandArgv(container.command ?? [], container.args ?? [], environment.expansionEnv);
    const workingDir = container.workingDir
      ? resolvePath(this.deps.workingDirBase, container.workingDir)
      : sandbox.podDir;
    const attempt = rec.current ? rec.restartCount + 1 : rec.restartCount;
    const specHash = containerSpecHash(container);
    try {
      if (argv.length === 0) {
        throw new ContainerStartError(
          'RunContainerError',
          `container ${container.name} has no command: podvisor runs command/args, not images`,
        );
      }
      const started = await this.deps.runtime.start({
        podUid: pod.metadata?.uid ?? '',
        namespace: pod.metadata?.namespace ?? 'default',
        podName: pod.metadata?.name ?? '',
        containerName: container.name,
        attempt,
        argv,
        env: environment.env,
        workingDir,
      });
      let recorded!: () => void;
      const inst: InstanceRecord = {
        id: started.id,
        startedAt: started.startedAt,
        specHash,
        env: environment.env,
        workingDir,
        exitRecorded: new Promise<void>((resolve) => (recorded = resolve)),
      };
      rec.restartCount = attempt;
      rec.waiting = undefined;
      this.host.instanceStarted(rec, inst);
      recorder.record(ref, 'Normal', EventReason.Created, messages.created(container.name));
      recorder.record(ref, 'Normal', EventReason.Started, messages.started(container.name));
      void started.exited.then(async (exit) => {
        await this.recordExit(container, inst, exit);
        recorded();
        this.host.instanceExited(rec, inst);
      });
    } catch (err) {
      const reason = err instanceof ContainerStartError ? err.reason : 'RunContainerError';
      const message = err instanceof Error ? err.message : String(err);
      if (reason === 'RunContainerError') {
        // The runtime created the container but could not start it: containerd leaves an exited
        // instance (StartError, 128) behind, which counts as a restart and feeds back-off.
        recorder.record(ref, 'Normal', EventReason.Created, messages.created(container.name));
        const now = clock.now();
        const inst: InstanceRecord = {
          id: `podvisor://start-error-${(++syntheticIds).toString(16).padStart(8, '0')}`,
          startedAt: 0,
          specHash,
          env: environment.env,
          workingDir,
          exit: { exitCode: 128, reason: 'StartError', message, finishedAt: now },
          exitRecorded: Promise.resolve(),
        };
        rec.restartCount = attempt;
        this.host.instanceStarted(rec, inst);
        // Like a crash, the exited StartError instance is the back-off's event: sync again now and
        // let doBackOff decide (the first retry is immediate, then 10 s, 20 s, … — spec §4.5).
        this.failed(rec, container, reason, message, 0);
        return;
      }
      this.failed(rec, container, reason, message);
    }
  }

  /**
   * killContainer (§4.3): the `Killing` event first, then the stop signal with the selected grace
   * (an override replaces it), never less than 2 s; resolves once the exit is recorded.
   */
  async kill(
    container: Container,
    inst: InstanceRecord,
    message: string,
    reason: KillReason,
    graceOverrideSeconds?: number,
    turn?: Promise<void>,
  ): Promise<void> {
    const pod = this.host.pod();
    let grace = killGraceSeconds(pod, container, reason);
    this.deps.recorder.record(containerRef(pod, container.name), 'Normal', EventReason.Killing, message);
    if (reason !== 'Other')
      this.deps.probes?.probeKilled(pod.metadata?.uid ?? '', container.name, inst.id, reason, message);
    if (graceOverrideSeconds !== undefined) grace = graceOverrideSeconds;
    if (turn && grace > 0) grace -= await this.waitForTurn(turn, grace);
    if (grace < MIN_GRACE_SECONDS) grace = MIN_GRACE_SECONDS;
    await this.stop(inst, grace * 1000);
  }

  /**
   * terminationOrdering.waitForTurn: a sidecar is stopped only after the containers it waits for,
   * or once its grace has run out; returns the whole seconds waited (taken off its grace).
   */
  private async waitForTurn(turn: Promise<void>, graceSeconds: number): Promise<number> {
    const { clock } = this.deps;
    const from = clock.now();
    let timer: { cancel(): void } | undefined;
    await Promise.race([
      turn,
      new Promise<void>((resolve) => (timer = clock.setTimer(graceSeconds * 1000, resolve))),
    ]);
    timer?.cancel();
    return Math.floor((clock.now() - from) / 1000);
  }

  /** StopContainer without an event (a shorter grace for an instance already being killed). */
  async stop(inst: InstanceRecord, graceMs: number): Promise<void> {
    if (inst.exit) return;
    try {
      await this.deps.runtime.stop(inst.id, graceMs);
    } catch {
      // The instance is gone already; its exit is recorded through `exited`.
    }
    await inst.exitRecorded;
  }

  /**
   * A start that failed: waiting with the error's reason and a `Failed` event. Errors that leave no
   * instance (CreateContainerConfigError) are retried on the kubelet's sync cadence.
   */
  private failed(
    rec: ContainerRecord,
    container: Container,
    reason: string,
    message: string,
    retryMs = SYNC_RETRY_MS,
  ): void {
    rec.waiting = { reason, message };
    const pod = this.host.pod();
    this.deps.recorder.record(
      containerRef(pod, container.name),
      'Warning',
      EventReason.Failed,
      messages.failed(message),
    );
    this.host.retryAfter(retryMs);
  }

  private async recordExit(container: Container, inst: InstanceRecord, exit: ContainerExit): Promise<void> {
    let message: string | undefined;
    if (container.terminationMessagePolicy === 'FallbackToLogsOnError' && exit.exitCode !== 0) {
      try {
        message = await this.deps.runtime.tailOfInstance(
          inst.id,
          TERMINATION_LOG_LINES,
          TERMINATION_LOG_BYTES,
        );
      } catch {
        message = undefined;
      }
    }
    inst.exit = { exitCode: exit.exitCode, reason: exit.reason, finishedAt: exit.finishedAt };
    if (message) inst.exit.message = message;
  }
}
