import type { Container, ContainerStatus, Pod, PodStatus, Probe, ProbeType } from '../../../src/api/types.js';
import type { ProbeObserver } from '../../../src/kubelet/probe-observer.js';
import { ProbeWorker, type ProbeWorkerHost } from '../../../src/kubelet/probe-worker.js';
import { ResultsCache, type ResultUpdate } from '../../../src/kubelet/results-cache.js';
import type { ProbeRunResult } from '../../../src/kubelet/types.js';
import { FakeClock } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';

type Verdict = ProbeRunResult | (() => ProbeRunResult | Promise<ProbeRunResult>);

/**
 * A probe worker on its own: the test plays the status manager (container status) and the
 * prober (a queue of verdicts), and reads the results cache.
 */
export class WorkerRig {
  readonly clock = new FakeClock();
  readonly updates: ResultUpdate[] = [];
  readonly cache: ResultsCache;
  readonly probeTimes: number[] = [];
  /** The cancellation signal handed to each probe run. */
  readonly signals: AbortSignal[] = [];
  readonly t0: number;
  worker!: ProbeWorker;
  pod: Pod;
  status: PodStatus | undefined;
  kubeletStartedAt: number;
  random = 0;
  stoppedCount = 0;
  /** Handed to the worker as its host's observer (metrics), when set before start(). */
  observer: ProbeObserver | undefined;
  private verdicts: Verdict[] = [];
  private fallback: Verdict = { result: 'Success' };

  constructor(
    readonly probeType: ProbeType,
    readonly probe: Probe,
    opts: { kubeletStartedAgoMs?: number; restartPolicy?: string } = {},
  ) {
    this.t0 = this.clock.now();
    this.kubeletStartedAt = this.t0 - (opts.kubeletStartedAgoMs ?? 3_600_000);
    this.cache = new ResultsCache(probeType, (u) => this.updates.push(u));
    this.pod = {
      metadata: { name: 'web', namespace: 'default', uid: 'pod-uid' },
      spec: { restartPolicy: opts.restartPolicy ?? 'Always', containers: [this.container] },
    };
  }

  get container(): Container {
    return { name: 'app', image: 'x', command: ['/bin/app'] };
  }

  /** The next probe runs answer these, in order; then `always`. */
  answer(...v: Verdict[]): void {
    this.verdicts.push(...v);
  }

  always(v: Verdict): void {
    this.fallback = v;
  }

  start(): ProbeWorker {
    const host: ProbeWorkerHost = {
      clock: this.clock,
      kubeletStartedAt: this.kubeletStartedAt,
      random: () => this.random,
      pod: () => this.pod,
      podStatus: () => this.status,
      runProbe: async (_type, _container, _id, signal) => {
        this.probeTimes.push(this.clock.now() - this.t0);
        this.signals.push(signal);
        const v = this.verdicts.shift() ?? this.fallback;
        return typeof v === 'function' ? v() : v;
      },
      workerStopped: () => this.stoppedCount++,
      ...(this.observer ? { observer: this.observer } : {}),
    };
    this.worker = new ProbeWorker(this.probeType, this.container, this.probe, this.cache, host);
    this.worker.start();
    return this.worker;
  }

  /** Status manager: container `id` running since `startedAtMs` (absolute), started flag. */
  running(id: string, startedAtMs: number, started = true): void {
    this.setContainer({
      name: 'app',
      containerID: id,
      ready: false,
      restartCount: 0,
      image: 'x',
      imageID: '',
      started,
      state: { running: { startedAt: rfc3339(startedAtMs) } },
    });
  }

  terminated(id: string, exitCode = 1): void {
    this.setContainer({
      name: 'app',
      containerID: id,
      ready: false,
      restartCount: 0,
      image: 'x',
      imageID: '',
      started: false,
      state: { terminated: { exitCode, reason: 'Error', containerID: id } },
    });
  }

  setContainer(s: ContainerStatus, phase = 'Running'): void {
    this.status = { phase, containerStatuses: [s] };
  }

  setStarted(started: boolean): void {
    const s = this.status?.containerStatuses?.[0];
    if (s) this.setContainer({ ...s, started });
  }

  /** Probe times in seconds since the rig started. */
  seconds(): number[] {
    return this.probeTimes.map((t) => t / 1000);
  }

  results(): string[] {
    return this.updates.map((u) => `${u.containerId}=${u.result}`);
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }
}
