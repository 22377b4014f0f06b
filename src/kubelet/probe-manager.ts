import type { ProbeHistory, ProbeRunReport, ProbeRunRequest } from '../api/probe-history.js';
import type { Container, ContainerStatus, Pod, PodStatus, ProbeType } from '../api/types.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { ChangeFeed } from '../util/change-feed.js';
import type { Clock } from '../util/clock.js';
import { CheckSourceRegistry } from './check-context.js';
import type { InstanceRecord } from './container-record.js';
import { PodProbeHistory, type PodIdentity } from './probe-history.js';
import type { ProbeObserver } from './probe-observer.js';
import { runProbeNow } from './probe-run.js';
import { ProbeWorker, type ProbeWorkerHost } from './probe-worker.js';
import { probeSpec, type Prober, type ProbeTarget } from './prober.js';
import { ResultsCache, type ResultUpdate } from './results-cache.js';
import type { ProbeRunOptions, ProbeRunResult } from './types.js';

/** What the probe manager needs from a pod's worker. */
export interface PodProbeSource {
  pod(): Pod;
  podStatus(): PodStatus | undefined;
  podIP(): string;
  instance(containerId: string): InstanceRecord | undefined;
}

export interface ProbeManagerOptions {
  clock: Clock;
  random: () => number;
  prober: Prober;
  /** Every change of any results cache (the kubelet's sync loop reacts, spec §2.4). */
  onUpdate: (update: ResultUpdate) => void;
  /** For podvisor's in-process checks: the instances' processes and output. */
  runtime?: ContainerRuntime;
  /** Told of every change of a probe history, keyed by pod uid (the probehistories watch). */
  historyChanges?: ChangeFeed<PodIdentity>;
  /** Told about every counted probe run (the node's /metrics). */
  observer?: ProbeObserver;
}

interface PodRecord {
  history: PodProbeHistory;
  source: PodProbeSource;
}

/** Workers are created in this order per container (AddPod). */
const WORKER_ORDER: ProbeType[] = ['Startup', 'Readiness', 'Liveness'];

/**
 * prober_manager.go: owns the three results caches and the workers of every pod; fills in
 * `started` and `ready` when status is generated, and triggers readiness at once where it is
 * still unknown (spec §2.1 manual trigger, §2.3, §2.4).
 */
export class ProbeManager {
  readonly liveness: ResultsCache;
  readonly readiness: ResultsCache;
  readonly startup: ResultsCache;
  private readonly pods = new Map<string, Map<string, ProbeWorker>>();
  /** Probe histories live as long as the pod's worker, past its probe workers (forgetPod). */
  private readonly records = new Map<string, PodRecord>();
  private readonly checks: CheckSourceRegistry | undefined;
  private retiredProbes = 0;
  /** When the kubelet started: decides first-probe jitter (§2.1). */
  startedAt: number;

  constructor(private readonly opts: ProbeManagerOptions) {
    this.liveness = new ResultsCache('Liveness', opts.onUpdate);
    this.readiness = new ResultsCache('Readiness', opts.onUpdate);
    this.startup = new ResultsCache('Startup', opts.onUpdate);
    this.startedAt = opts.clock.now();
    this.checks = opts.runtime ? new CheckSourceRegistry(opts.runtime) : undefined;
  }

  cache(probeType: ProbeType): ResultsCache {
    return probeType === 'Liveness'
      ? this.liveness
      : probeType === 'Readiness'
        ? this.readiness
        : this.startup;
  }

  /** AddPod: a worker per container × probe type, alive until the pod is removed or terminal. */
  addPod(pod: Pod, source: PodProbeSource): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.pods.has(uid)) return;
    const workers = new Map<string, ProbeWorker>();
    this.pods.set(uid, workers);
    let record = this.records.get(uid);
    if (!record) {
      const meta = pod.metadata ?? {};
      record = {
        history: new PodProbeHistory(
          {
            name: meta.name ?? '',
            namespace: meta.namespace ?? 'default',
            uid,
            ...(meta.creationTimestamp ? { creationTimestamp: meta.creationTimestamp } : {}),
          },
          this.opts.historyChanges,
        ),
        source,
      };
      this.records.set(uid, record);
    }
    const host = this.hostFor(uid, source, record.history);
    // Sidecars get workers too (spec §4.7); plain init containers cannot have probes.
    const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
    for (const container of [...sidecars, ...(pod.spec?.containers ?? [])]) {
      for (const type of WORKER_ORDER) {
        const spec = probeSpec(container, type);
        if (!spec) continue;
        const w = new ProbeWorker(type, container, spec, this.cache(type), host);
        workers.set(workerKey(container.name, type), w);
      }
    }
    for (const w of workers.values()) w.start();
  }

  /** StopLivenessAndStartup: at the start of a graceful termination (spec §2.7). */
  stopLivenessAndStartup(uid: string): void {
    for (const w of [...(this.pods.get(uid)?.values() ?? [])]) {
      if (w.probeType !== 'Readiness') w.stop();
    }
  }

  /** RemovePod: every worker of the pod stops. */
  removePod(uid: string): void {
    const workers = this.pods.get(uid);
    if (!workers) return;
    for (const w of [...workers.values()]) w.stop();
    this.pods.delete(uid);
    this.checks?.releasePod(uid);
  }

  /** The pod's worker is gone (the pod left the kubelet): its probe history goes too. */
  forgetPod(uid: string): void {
    this.records.get(uid)?.history.forget();
    this.records.delete(uid);
    this.checks?.releasePod(uid);
  }

  /** The pod's probe history, or undefined when the pod is not (or no longer) on this kubelet. */
  history(uid: string): ProbeHistory | undefined {
    return this.records.get(uid)?.history.toObject();
  }

  /** The kubelet stops: its histories go with it (a node that comes back starts new ones). */
  forgetAll(): void {
    for (const uid of [...this.records.keys()]) this.forgetPod(uid);
  }

  histories(): ProbeHistory[] {
    return [...this.records.values()].map((r) => r.history.toObject());
  }

  /** Pods with a history: identity only (for lookups by name). */
  podIdentities(): PodProbeHistory['pod'][] {
    return [...this.records.values()].map((r) => r.history.pod);
  }

  /**
   * A kill caused by a probe (container-runner's kill with reason LivenessProbe/StartupProbe):
   * the restart is recorded with the failures that caused it.
   */
  probeKilled(
    podUid: string,
    containerName: string,
    containerId: string,
    reason: 'LivenessProbe' | 'StartupProbe',
    message: string,
  ): void {
    const record = this.records.get(podUid);
    if (!record) return;
    const probeType: ProbeType = reason === 'LivenessProbe' ? 'Liveness' : 'Startup';
    record.history.recordRestart(this.opts.clock.now(), containerName, probeType, containerId, message);
  }

  /** `podvisor check pod/NAME`: the configured probe once now, without events or feeding the worker. */
  runNow(uid: string, req: ProbeRunRequest): Promise<ProbeRunReport> {
    const record = this.records.get(uid);
    return runProbeNow(
      {
        pod: record?.source.pod(),
        status: record?.source.podStatus(),
        worker: (container, type) => this.worker(uid, container, type),
        run: (type, container, containerId, opts) =>
          this.opts.prober.probe(type, this.target(uid, record?.source, container, containerId), opts),
        now: this.opts.clock.now(),
      },
      req,
    );
  }
  worker(uid: string, containerName: string, type: ProbeType): ProbeWorker | undefined {
    return this.pods.get(uid)?.get(workerKey(containerName, type));
  }

  /** isContainerStarted (spec §2.3). */
  isContainerStarted(uid: string, s: ContainerStatus): boolean {
    if (!s.state?.running) return false;
    const result = s.containerID ? this.startup.get(s.containerID) : undefined;
    if (result !== undefined) return result === 'Success';
    return !this.worker(uid, s.name, 'Startup');
  }

  /**
   * UpdatePodStatus: sets `started` and `ready` on freshly generated container statuses. With
   * `trigger`, a started, running container whose readiness is not Success yet gets its readiness
   * worker run now.
   */
  updatePodStatus(uid: string, statuses: ContainerStatus[], trigger: boolean): void {
    for (const s of statuses) {
      const started = this.isContainerStarted(uid, s);
      s.started = started;
      if (!started) {
        s.ready = false;
        continue;
      }
      let ready: boolean;
      if (!s.state?.running) {
        ready = false;
      } else if (s.containerID && this.readiness.get(s.containerID) === 'Success') {
        ready = true;
      } else {
        const w = this.worker(uid, s.name, 'Readiness');
        ready = !w;
        if (w && trigger) w.trigger();
      }
      s.ready = ready;
    }
  }

  /**
   * UpdatePodStatus for initContainerStatuses: `started` as for any container; a plain init
   * container is ready once it completed (exit 0); a sidecar's readiness is a container's.
   */
  updateInitContainerStatuses(pod: Pod, statuses: ContainerStatus[], trigger: boolean): void {
    const uid = pod.metadata?.uid ?? '';
    const sidecars = new Set(
      (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
    );
    const plain = statuses.filter((s) => !sidecars.has(s.name));
    for (const s of plain) {
      s.started = this.isContainerStarted(uid, s);
      s.ready = s.state?.terminated?.exitCode === 0;
    }
    this.updatePodStatus(
      uid,
      statuses.filter((s) => sidecars.has(s.name)),
      trigger,
    );
  }

  stats(): { workers: number; probesRun: number } {
    let workers = 0;
    let probesRun = this.retiredProbes;
    for (const pod of this.pods.values()) {
      for (const w of pod.values()) {
        workers++;
        probesRun += w.probesRun;
      }
    }
    return { workers, probesRun };
  }

  /** What the prober needs to probe one instance (the check sources only for podvisor's checks). */
  private target(
    uid: string,
    source: PodProbeSource | undefined,
    container: Container,
    containerId: string,
    signal?: AbortSignal,
  ): ProbeTarget {
    const inst = source?.instance(containerId);
    const running = inst && !inst.exit ? inst : undefined;
    const t: ProbeTarget = {
      pod: source?.pod() ?? {},
      podIP: source?.podIP() ?? '',
      container,
      containerId,
      exec: running ? { env: running.env, cwd: running.workingDir } : undefined,
    };
    if (signal) t.signal = signal;
    // Only an exec probe can be one of podvisor's checks.
    const execProbe =
      container.livenessProbe?.exec ?? container.readinessProbe?.exec ?? container.startupProbe?.exec;
    if (running && this.checks && execProbe) {
      t.check = this.checks.forInstance(uid, container.name, containerId, running.startedAt);
    }
    return t;
  }

  private hostFor(uid: string, source: PodProbeSource, history: PodProbeHistory): ProbeWorkerHost {
    const { clock, random, prober } = this.opts;
    const startedAt = this.startedAt;
    return {
      clock,
      random,
      kubeletStartedAt: startedAt,
      pod: () => source.pod(),
      podStatus: () => source.podStatus(),
      runProbe: (
        probeType,
        container,
        containerId,
        signal,
        opts?: ProbeRunOptions,
      ): Promise<ProbeRunResult> =>
        prober.probe(probeType, this.target(uid, source, container, containerId, signal), opts),
      ...(this.opts.observer ? { observer: this.opts.observer } : {}),
      historyFor: (probeType, container, spec) => history.ring(container, probeType, spec),
      probeRecovered: (probeType, container, failures) =>
        prober.recovered(source.pod(), container, probeType, failures),
      workerStopped: (w) => {
        this.retiredProbes += w.probesRun;
        const workers = this.pods.get(uid);
        if (workers?.get(workerKey(w.container.name, w.probeType)) === w) {
          workers.delete(workerKey(w.container.name, w.probeType));
        }
      },
    };
  }
}

function workerKey(containerName: string, type: ProbeType): string {
  return `${containerName}/${type}`;
}
