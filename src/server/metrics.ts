import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ContainerStatus } from '../api/types.js';
import type { StoredPod } from '../kubelet/types.js';
import type {
  ProbeObserver,
  ProbeResultObservation,
  ProbeWorkerIdentity,
} from '../kubelet/probe-observer.js';
import type { ObjectStore } from '../store/types.js';
import { parseGoDuration } from '../util/go-duration.js';
import { readProcessUsage, type ProcessUsage } from './process-usage.js';

export interface NodeMetricsOptions {
  store: ObjectStore;
  /** Pids of every live process of a container instance (the runtime's `processes`). */
  processes(instanceId: string): number[];
  /** Reads one process's CPU and memory (default: /proc); tests pass a fake. */
  usage?: (pid: number) => ProcessUsage | undefined;
  /** process_* and nodejs_* of podvisor itself (default true; off in unit tests). */
  defaultMetrics?: boolean;
}

type PodLabels = 'container' | 'pod' | 'namespace';

interface ContainerSample {
  labels: { namespace: string; pod: string; uid: string; container: string };
  status: ContainerStatus;
  /** Running instances only. */
  usage?: ProcessUsage;
}
const RESULTS = ['successful', 'failed', 'unknown'] as const;

/**
 * The node's Prometheus metrics: the kubelet's prober metrics (fed by the probe workers through
 * ProbeObserver), and per-container restarts, waiting reason, back-off, CPU and memory read
 * from the store and /proc when scraped — so a deleted pod's series disappear with the pod.
 */
export class NodeMetrics implements ProbeObserver {
  readonly registry = new Registry();
  private readonly probeTotal: Counter<'probe_type' | 'result' | PodLabels | 'pod_uid'>;
  private readonly probeDuration: Histogram<'probe_type' | PodLabels>;
  /** What one scrape read of the store and /proc, shared by the collectors of that scrape. */
  private samples: ContainerSample[] = [];

  constructor(private readonly opts: NodeMetricsOptions) {
    const registers = [this.registry];
    // The kubelet's ProberResults and ProberDuration (pkg/kubelet/prober/metrics), same labels.
    this.probeTotal = new Counter({
      name: 'prober_probe_total',
      help: 'Cumulative number of a liveness, readiness or startup probe for a container by result.',
      labelNames: ['probe_type', 'result', 'container', 'pod', 'namespace', 'pod_uid'],
      registers,
    });
    this.probeDuration = new Histogram({
      name: 'prober_probe_duration_seconds',
      help: 'Duration in seconds for a probe response.',
      labelNames: ['probe_type', 'container', 'pod', 'namespace'],
      registers,
    });
    this.registerContainerMetrics();
  }

  private defaultMetricsStarted = false;

  /**
   * podvisor's own process_* and nodejs_* metrics, started at the first scrape: their event-loop
   * lag monitor is a native timer that wakes the process at its resolution (prom-client's 10 ms
   * default woke an idle node 100 times a second, 0.4–1 % of a core against the 0.2 % idle budget
   * of issue 6 S3). A node nobody scrapes pays nothing; a scraped one wakes 10 times a second.
   */
  private startDefaultMetrics(): void {
    if (this.defaultMetricsStarted || this.opts.defaultMetrics === false) return;
    this.defaultMetricsStarted = true;
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
  }

  onProbeResult(o: ProbeResultObservation): void {
    this.probeTotal.inc({
      probe_type: o.probeType,
      result: o.result,
      container: o.container,
      pod: o.pod,
      namespace: o.namespace,
      pod_uid: o.podUID,
    });
    // worker.go observes the duration of successful (and unknown) results only, not failures.
    if (o.result !== 'failed') {
      this.probeDuration.observe(
        { probe_type: o.probeType, container: o.container, pod: o.pod, namespace: o.namespace },
        o.durationSeconds,
      );
    }
  }

  /** As the kubelet's worker does on exit: its series go with it (no growth from old pods). */
  onProbeWorkerStopped(w: ProbeWorkerIdentity): void {
    const base = { probe_type: w.probeType, container: w.container, pod: w.pod, namespace: w.namespace };
    for (const result of RESULTS) this.probeTotal.remove({ ...base, result, pod_uid: w.podUID });
    this.probeDuration.remove(base);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.startDefaultMetrics();
    this.samples = this.sample();
    try {
      // prom-client spells a not-a-number sample `Nan` (e.g. the event-loop lag before its first
      // sample); the exposition format's spelling is `NaN`.
      const body = (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
      return { contentType: this.registry.contentType, body };
    } finally {
      this.samples = [];
    }
  }

  private registerContainerMetrics(): void {
    const registers = [this.registry];
    // prom-client calls collect() with the metric as `this`: the scrape's samples come through here.
    const samples = (): ContainerSample[] => this.samples;
    // kube-state-metrics' names (what dashboards for Kubernetes already query).
    new Counter({
      name: 'kube_pod_container_status_restarts_total',
      help: 'The number of container restarts per container.',
      labelNames: ['namespace', 'pod', 'uid', 'container'],
      registers,
      collect() {
        this.reset();
        for (const c of samples()) this.inc(c.labels, c.status.restartCount ?? 0);
      },
    });
    new Gauge({
      name: 'kube_pod_container_status_waiting_reason',
      help: 'Describes the reason the container is currently in waiting state.',
      labelNames: ['namespace', 'pod', 'uid', 'container', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const c of samples()) {
          const reason = c.status.state?.waiting?.reason;
          if (reason) this.set({ ...c.labels, reason }, 1);
        }
      },
    });
    new Gauge({
      name: 'podvisor_container_backoff_seconds',
      help: 'The current CrashLoopBackOff delay of a waiting container; 0 when it is not backing off.',
      labelNames: ['namespace', 'pod', 'uid', 'container'],
      registers,
      collect() {
        this.reset();
        for (const c of samples()) this.set(c.labels, backOffSeconds(c.status));
      },
    });
    this.registerUsageMetrics();
  }

  /** cAdvisor's names, summed over the container's processes at scrape time. */
  private registerUsageMetrics(): void {
    const registers = [this.registry];
    // prom-client calls collect() with the metric as `this`: the scrape's samples come through here.
    const samples = (): ContainerSample[] => this.samples;
    new Counter({
      name: 'container_cpu_usage_seconds_total',
      help: "Cumulative CPU time of the container's live processes (and the children they reaped) in seconds.",
      labelNames: ['container', 'pod', 'namespace'],
      registers,
      collect() {
        this.reset();
        for (const c of samples()) if (c.usage) this.inc(usageLabels(c), c.usage.cpuSeconds);
      },
    });
    new Gauge({
      name: 'container_memory_rss',
      help: "Resident set size of the container's live processes in bytes.",
      labelNames: ['container', 'pod', 'namespace'],
      registers,
      collect() {
        this.reset();
        for (const c of samples()) if (c.usage) this.set(usageLabels(c), c.usage.rssBytes);
      },
    });
  }

  private usageOf(instanceId: string): ProcessUsage {
    const read = this.opts.usage ?? readProcessUsage;
    const total: ProcessUsage = { cpuSeconds: 0, rssBytes: 0 };
    for (const pid of this.opts.processes(instanceId)) {
      const u = read(pid);
      if (!u) continue;
      total.cpuSeconds += u.cpuSeconds;
      total.rssBytes += u.rssBytes;
    }
    return total;
  }

  /** Every container status of every pod in the store (init containers included). */
  private sample(): ContainerSample[] {
    const out: ContainerSample[] = [];
    for (const pod of this.opts.store.list<StoredPod>('pods').items) {
      const meta = pod.metadata;
      const statuses = [
        ...(pod.status?.initContainerStatuses ?? []),
        ...(pod.status?.containerStatuses ?? []),
      ];
      for (const status of statuses) {
        const labels = {
          namespace: meta.namespace ?? 'default',
          pod: meta.name,
          uid: meta.uid ?? '',
          container: status.name,
        };
        const id = status.containerID;
        out.push(
          status.state?.running && id ? { labels, status, usage: this.usageOf(id) } : { labels, status },
        );
      }
    }
    return out;
  }
}

function usageLabels(c: ContainerSample): Record<PodLabels, string> {
  return { container: c.labels.container, pod: c.labels.pod, namespace: c.labels.namespace };
}

/** The delay the kubelet wrote into the waiting message (`back-off 40s restarting failed …`). */
export function backOffSeconds(status: ContainerStatus): number {
  const waiting = status.state?.waiting;
  if (waiting?.reason !== 'CrashLoopBackOff') return 0;
  const m = /^back-off (\S+) restarting/.exec(waiting.message ?? '');
  const ms = m?.[1] === undefined ? undefined : parseGoDuration(m[1]);
  return ms === undefined ? 0 : ms / 1000;
}

/** GET /metrics (behind the API server's token gate like every other path). */
export async function serveMetrics(metrics: NodeMetrics, res: ServerResponse): Promise<void> {
  const { contentType, body } = await metrics.render();
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
