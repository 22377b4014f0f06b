import { podKnobs, probesPaused, type PodKnobs } from '../api/podvisor-annotations.js';
import type { Container, ContainerStatus, Pod, PodStatus, Probe, ProbeType } from '../api/types.js';
import type { Clock, Timer } from '../util/clock.js';
import type { ProbeResultRing } from './probe-history.js';
import { workerIdentity, type ProbeObserver, type ProbeWorkerIdentity } from './probe-observer.js';
import type { ResultsCache } from './results-cache.js';
import type { ProbeResult, ProbeRunOptions, ProbeRunResult } from './types.js';

/** What a worker reads and calls; implemented by the probe manager for one pod. */
export interface ProbeWorkerHost {
  readonly clock: Clock;
  /** When the kubelet started: workers created within one period of it get first-probe jitter. */
  readonly kubeletStartedAt: number;
  readonly random: () => number;
  /** The latest pod object (deletionTimestamp, restartPolicy). */
  pod(): Pod;
  /** The status manager's cached status, or undefined before the first sync. */
  podStatus(): PodStatus | undefined;
  /** One probe run, retries and events included (prober.probe). */
  runProbe(
    probeType: ProbeType,
    container: Container,
    containerId: string,
    signal: AbortSignal,
    opts?: ProbeRunOptions,
  ): Promise<ProbeRunResult>;
  /** Called once when the worker has stopped, whichever side stopped it. */
  workerStopped(worker: ProbeWorker): void;
  /** Where this probe's runs are recorded (the pod's probe history); none → not recorded. */
  historyFor?(probeType: ProbeType, container: Container, spec: Probe): ProbeResultRing | undefined;
  /** `probe-events: verbose`: the probe succeeded after `failures` consecutive failures. */
  probeRecovered?(probeType: ProbeType, container: Container, failures: number): void;
  /** Told about each counted run and the worker's stop (metrics); none → nobody is told. */
  readonly observer?: ProbeObserver;
}

/** What `check pod/NAME` reads of a worker (its consecutive run and thresholds). */
export interface ProbeWorkerState {
  containerId: string;
  lastResult: ProbeResult;
  resultRun: number;
  onHold: boolean;
  /** No run has been counted yet (Go's zero value still stands). */
  fresh: boolean;
  periodMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** A stand-in identity for "knobs not read yet" (annotations may be undefined). */
const UNREAD = {};

const INITIAL_VALUE: Record<ProbeType, ProbeResult> = {
  Readiness: 'Failure',
  Liveness: 'Success',
  Startup: 'Unknown',
};

type Phase = 'created' | 'jitter' | 'waiting' | 'probing' | 'stopped';

/**
 * One worker per container × probe type (prober/worker.go), spec §2.1/§2.2. A single timer
 * stands in for Go's ticker: ticks stay on the phase set when the worker began; while a probe
 * runs, at most one missed tick is kept (a Go ticker's channel holds one) and the rest are
 * dropped, so a slow probe delays the next one instead of queueing many. A manual trigger
 * (readiness, from the status update) runs at once and restarts the ticker from that moment.
 */
export class ProbeWorker {
  readonly periodMs: number;
  private readonly initialDelaySeconds: number;
  private readonly successThreshold: number;
  private readonly failureThreshold: number;
  private readonly initialValue: ProbeResult;

  private phase: Phase = 'created';
  private timer: Timer | undefined;
  private nextTickAt = 0;
  /** The one-slot manualTriggerCh buffer. */
  private manualPending = false;

  private containerId = '';
  /** Go's zero value of results.Result is Success (0); resultRun starts at 0. */
  private lastResult: ProbeResult = 'Success';
  private resultRun = 0;
  private onHold = false;
  /** Probe attempts that reached the prober (for probeStats). */
  probesRun = 0;
  private counted = false;
  private readonly ring: ProbeResultRing | undefined;
  /** The pod's knobs, re-read only when its annotations object changes. */
  private knobs: PodKnobs = podKnobs(undefined);
  private knobsFrom: unknown = UNREAD;

  /** Created on the first probe that needs one, aborted when the worker stops. */
  private cancelAttempt: AbortController | undefined;
  private readonly onTimer = (): void => this.timerFired();
  private readonly runNow = (): void => this.attempt();

  constructor(
    readonly probeType: ProbeType,
    readonly container: Container,
    private readonly spec: Probe,
    private readonly results: ResultsCache,
    private readonly host: ProbeWorkerHost,
  ) {
    // API defaults (spec §1.1) once more, so a hand-built pod still behaves.
    this.periodMs = (spec.periodSeconds || 10) * 1000;
    this.initialDelaySeconds = spec.initialDelaySeconds || 0;
    this.successThreshold = spec.successThreshold || 1;
    this.failureThreshold = spec.failureThreshold || 3;
    this.initialValue = INITIAL_VALUE[probeType];
    this.ring = host.historyFor?.(probeType, container, spec);
  }

  state(): ProbeWorkerState {
    return {
      containerId: this.containerId,
      lastResult: this.lastResult,
      resultRun: this.resultRun,
      onHold: this.onHold,
      fresh: !this.counted,
      periodMs: this.periodMs,
      successThreshold: this.successThreshold,
      failureThreshold: this.failureThreshold,
    };
  }

  private knobsOf(pod: Pod): PodKnobs {
    const annotations = pod.metadata?.annotations;
    if (annotations !== this.knobsFrom) {
      this.knobsFrom = annotations;
      this.knobs = podKnobs(pod.metadata);
    }
    return this.knobs;
  }

  /** `liveness-action: report`: a liveness Failure reports and keeps probing (no hold). */
  private reports(knobs: PodKnobs): boolean {
    return this.probeType === 'Liveness' && knobs.livenessAction === 'report';
  }

  /** Starts the loop: jitter only if the kubelet started less than one period ago (§2.1). */
  start(): void {
    if (this.phase !== 'created') return;
    const clock = this.host.clock;
    if (this.periodMs > clock.now() - this.host.kubeletStartedAt) {
      this.phase = 'jitter';
      this.timer = clock.setTimer(Math.floor(this.host.random() * this.periodMs), () => this.begin());
    } else {
      this.begin();
    }
  }

  /** Stops the worker and forgets its cached result (the deferred cleanup in worker.run). */
  stop(): void {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.timer?.cancel();
    // An attempt still running (an exec probe's process) ends now, not at its timeout.
    this.cancelAttempt?.abort();
    this.timer = undefined;
    if (this.containerId) this.results.remove(this.containerId);
    this.host.observer?.onProbeWorkerStopped?.(this.identity());
    this.host.workerStopped(this);
  }

  get stopped(): boolean {
    return this.phase === 'stopped';
  }

  /**
   * Non-blocking send on the one-slot manual trigger channel (prober_manager UpdatePodStatus).
   * Returns false when the slot is already full ("Failed to trigger a manual run").
   */
  trigger(): boolean {
    switch (this.phase) {
      case 'stopped':
        return false;
      case 'waiting':
        // The worker is blocked in select: it takes the message at once, resets the ticker
        // and probes (worker.run). Run it as a microtask, outside the caller's stack.
        this.timer?.cancel();
        this.timer = undefined;
        this.nextTickAt = this.host.clock.now() + this.periodMs;
        this.phase = 'probing';
        queueMicrotask(this.runNow);
        return true;
      default:
        if (this.manualPending) return false;
        this.manualPending = true;
        return true;
    }
  }

  private attemptSignal(): AbortSignal {
    this.cancelAttempt ??= new AbortController();
    return this.cancelAttempt.signal;
  }

  private begin(): void {
    if (this.phase === 'stopped') return;
    this.nextTickAt = this.host.clock.now() + this.periodMs;
    this.attempt();
  }

  private timerFired(): void {
    if (this.phase !== 'waiting') return;
    this.timer = undefined;
    this.nextTickAt += this.periodMs;
    this.attempt();
  }

  private attempt(): void {
    if (this.phase === 'stopped') return;
    this.phase = 'probing';
    let outcome: boolean | Promise<boolean>;
    try {
      outcome = this.doProbe();
    } catch {
      outcome = true; // HandleCrash: a panicking probe keeps the worker going.
    }
    if (typeof outcome === 'boolean') {
      this.afterAttempt(outcome);
    } else {
      outcome.then(
        (keepGoing) => this.afterAttempt(keepGoing),
        () => this.afterAttempt(true),
      );
    }
  }

  private afterAttempt(keepGoing: boolean): void {
    if (this.phase === 'stopped') return;
    if (!keepGoing) {
      this.stop();
      return;
    }
    const now = this.host.clock.now();
    let tickPending = false;
    if (this.nextTickAt <= now) {
      tickPending = true;
      const missed = Math.floor((now - this.nextTickAt) / this.periodMs) + 1;
      this.nextTickAt += missed * this.periodMs;
    }
    if (this.manualPending) {
      // Reset discards a pending tick (Go ≥1.23 timers) and rephases the ticker.
      this.manualPending = false;
      this.nextTickAt = now + this.periodMs;
      queueMicrotask(this.runNow);
      return;
    }
    if (tickPending) {
      queueMicrotask(this.runNow);
      return;
    }
    this.phase = 'waiting';
    this.timer = this.host.clock.setTimer(this.nextTickAt - now, this.onTimer);
  }

  /** worker.doProbe, spec §2.2 steps 1–12. Returns "keep going", possibly after a probe. */
  private doProbe(): boolean | Promise<boolean> {
    const status = this.host.podStatus();
    if (!status) return true; // 1
    if (status.phase === 'Failed' || status.phase === 'Succeeded') return false; // 2
    // 3: a sidecar's status is among the init containers' (spec §4.7).
    const c =
      findStatus(status.containerStatuses, this.container.name) ??
      findStatus(status.initContainerStatuses, this.container.name);
    if (!c || !c.containerID) return true;
    const pod = this.host.pod();
    const podUid = pod.metadata?.uid ?? '';
    if (c.containerID !== this.containerId) {
      // 4: lastResult/resultRun deliberately survive into the new instance (inferred quirk).
      if (this.containerId) this.results.remove(this.containerId);
      this.containerId = c.containerID;
      this.results.set(this.containerId, this.initialValue, podUid);
      this.onHold = false;
    }
    const knobs = this.knobsOf(pod);
    // A held liveness worker of a pod switched to `report` probes again: nothing will kill it.
    if (this.onHold && this.reports(knobs)) this.onHold = false;
    if (this.probeType !== 'Readiness' && probesPaused(knobs, this.host.clock.now())) {
      // A pause is a fresh start: a Failure verdict held from before it must not kill the
      // moment the person resumes, and the count starts again from the first failure after.
      if (this.onHold && this.results.get(this.containerId) === 'Failure') {
        this.onHold = false;
        this.results.set(this.containerId, this.initialValue, podUid);
      }
      this.resultRun = 0;
    }
    if (this.onHold) return true; // 5
    const running = c.state?.running;
    if (!running) {
      // 6
      this.results.set(this.containerId, 'Failure', podUid);
      // A sidecar is restarted whatever the pod's policy: its worker carries on (spec §4.7).
      return (
        !c.state?.terminated ||
        pod.spec?.restartPolicy !== 'Never' ||
        this.container.restartPolicy === 'Always'
      );
    }
    if (pod.metadata?.deletionTimestamp && this.probeType !== 'Readiness') {
      // 7: quiet shutdown.
      this.results.set(this.containerId, 'Success', podUid);
      return false;
    }
    // 8: from the status manager's startedAt, which normalizeStatus cut to whole seconds, and
    // int32(seconds) truncates: the first probe may come up to ~1 s "early".
    const startedAt = Date.parse(running.startedAt ?? '');
    if (Math.trunc((this.host.clock.now() - startedAt) / 1000) < this.initialDelaySeconds) return true;
    if (c.started === true) {
      if (this.probeType === 'Startup') return true; // 9
    } else if (this.probeType !== 'Startup') {
      return true;
    }
    this.probesRun++;
    const now = this.host.clock.now();
    // `podvisor probes pause`: liveness and startup still run and are recorded, but do not act.
    const paused = this.probeType !== 'Readiness' && probesPaused(knobs, now);
    let opts: ProbeRunOptions | undefined;
    if (paused) opts = QUIET;
    else if (knobs.probeEvents === 'verbose') {
      opts = {
        attempt: { k: (this.lastResult === 'Failure' ? this.resultRun : 0) + 1, n: this.failureThreshold },
      };
    }
    return this.host
      .runProbe(this.probeType, this.container, this.containerId, this.attemptSignal(), opts)
      .then((r) => this.record(r, podUid, now, paused, knobs));
  }

  /** Steps 10–12, and the run's line in the probe history. */
  private record(
    run: ProbeRunResult,
    podUid: string,
    startedAt: number,
    paused: boolean,
    knobs: PodKnobs,
  ): boolean {
    if (this.phase === 'stopped') return false;
    // The kubelet counts every run the prober answered without error; a paused run did probe.
    if (run.error === undefined) this.observe(run, startedAt);
    if (paused || run.error !== undefined) {
      // 10: errors are discarded; a paused run does not count either.
      this.remember(run, startedAt, undefined, paused);
      return true;
    }
    const result = run.result;
    const failuresBefore = this.lastResult === 'Failure' ? this.resultRun : 0;
    if (result === this.lastResult) {
      this.resultRun++;
    } else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    this.counted = true;
    if (result === 'Success' && failuresBefore > 0 && knobs.probeEvents === 'verbose') {
      this.host.probeRecovered?.(this.probeType, this.container, failuresBefore);
    }
    if (
      (result === 'Failure' && this.resultRun < this.failureThreshold) ||
      (result === 'Success' && this.resultRun < this.successThreshold)
    ) {
      this.remember(run, startedAt, undefined, false);
      return true; // 11
    }
    const acted = this.results.set(this.containerId, result, podUid); // 12
    this.remember(run, startedAt, acted ? result : undefined, false);
    if (result === 'Failure' && this.reports(knobs)) return true; // reported, not held: keeps probing
    if ((this.probeType === 'Liveness' && result === 'Failure') || this.probeType === 'Startup') {
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }

  private identity(): ProbeWorkerIdentity {
    return workerIdentity(this.probeType, this.container.name, this.host.pod());
  }

  private observe(run: ProbeRunResult, startedAt: number): void {
    this.host.observer?.onProbeResult({
      ...this.identity(),
      result: run.result === 'Success' ? 'successful' : 'failed',
      durationSeconds: (run.latencyMs ?? this.host.clock.now() - startedAt) / 1000,
    });
  }

  private remember(
    run: ProbeRunResult,
    startedAt: number,
    acted: 'Success' | 'Failure' | undefined,
    paused: boolean,
  ): void {
    const ring = this.ring;
    if (!ring) return;
    ring.push(
      startedAt,
      this.containerId,
      run.error !== undefined ? 'error' : (run.verdict ?? (run.result === 'Success' ? 'success' : 'failure')),
      run.latencyMs ?? this.host.clock.now() - startedAt,
      run.error ?? run.output ?? '',
      this.resultRun,
      acted,
      paused,
    );
  }
}

const QUIET: ProbeRunOptions = { quiet: true };

function findStatus(statuses: ContainerStatus[] | undefined, name: string): ContainerStatus | undefined {
  if (!statuses) return undefined;
  for (const s of statuses) if (s.name === name) return s;
  return undefined;
}
