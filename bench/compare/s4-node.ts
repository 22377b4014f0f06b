/**
 * S4's node: the real kubelet (store, recorder, pod workers, probe manager, prober and the probe
 * handlers of src/probe) in this process, on a runtime that spawns nothing. S4 measures the probe
 * path, and an idle `sleep` per container adds nothing to it but thousands of spawns on a shared
 * 2-core machine (S3 measures what idle containers cost). Every handler call is timestamped with
 * the key of the worker that made it (pod IP + port [+ path]), so lateness is per worker.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admitPod } from '../../src/api/admission.js';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { defaultProbeHandlers, Kubelet, type ProbeHandlers } from '../../src/kubelet/index.js';
import type { ProbeOutcome } from '../../src/probe/types.js';
import type {
  ContainerExit,
  ContainerInstance,
  ContainerLaunch,
  ContainerRuntime,
  LogReadOptions,
  PodSandbox,
  PodSandboxRequest,
} from '../../src/runtime/types.js';
import { EventRecorderImpl } from '../../src/store/event-recorder.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RealClock } from '../../src/util/clock.js';

/** One probe as its handler saw it: `startedAt` is when the prober called the handler. */
export interface ProbeStart {
  key: string;
  startedAt: number;
  finishedAt: number;
  result: ProbeOutcome['result'];
  output: string;
}

interface LiveInstance {
  instance: ContainerInstance;
  finish: (exit: ContainerExit) => void;
}

/** Pods get 127.78.x.y (a pool of its own, so a concurrent ProcessRuntime's 127.77/16 is left alone). */
class ProcesslessRuntime implements ContainerRuntime {
  private readonly live = new Map<string, LiveInstance>();
  private seq = 0;
  private podSeq = 0;

  constructor(private readonly podDir: string) {}

  async preparePod(req: PodSandboxRequest): Promise<PodSandbox> {
    const n = ++this.podSeq;
    const podIP = req.hostNetwork ? '127.0.0.1' : `127.78.${(n >> 8) & 255}.${n & 255}`;
    return { uid: req.uid, podIP, podDir: this.podDir };
  }

  async start(_launch: ContainerLaunch): Promise<ContainerInstance> {
    let finish!: (exit: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((resolve) => (finish = resolve));
    const id = `podvisor://bench${(++this.seq).toString(16).padStart(8, '0')}`;
    const instance: ContainerInstance = { id, pid: 0, startedAt: Date.now(), exited };
    this.live.set(id, { instance, finish });
    return instance;
  }

  async stop(instanceId: string): Promise<ContainerExit> {
    const exit: ContainerExit = { exitCode: 143, signal: 'SIGTERM', reason: 'Error', finishedAt: Date.now() };
    const entry = this.live.get(instanceId);
    this.live.delete(instanceId);
    entry?.finish(exit);
    return exit;
  }

  processes(): number[] {
    return [];
  }

  async removePod(): Promise<void> {}

  // eslint-disable-next-line require-yield
  async *readLogs(_podUid: string, _opts: LogReadOptions): AsyncIterable<string> {
    return;
  }

  async tailOfInstance(): Promise<string> {
    return '';
  }

  async shutdown(): Promise<void> {
    for (const id of [...this.live.keys()]) await this.stop(id);
  }
}

export class S4Node {
  readonly probes: ProbeStart[] = [];
  readonly started: string[] = [];
  private readonly store = new MemoryStore({ clock: new RealClock() });
  private readonly dir = mkdtempSync(join(tmpdir(), 'podvisor-s4-'));
  private kubelet: Kubelet | undefined;
  private runtime: ProcesslessRuntime | undefined;

  /** `handlers` replaces the real probers (e.g. an older version, for a before/after figure). */
  start(handlers: ProbeHandlers = defaultProbeHandlers): void {
    const clock = new RealClock();
    this.runtime = new ProcesslessRuntime(this.dir);
    const started = this.started;
    const inner = this.runtime;
    const runtime = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'start') {
          return async (launch: ContainerLaunch): Promise<ContainerInstance> => {
            const inst = await target.start(launch);
            started.push(launch.podName);
            return inst;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const recorder = new EventRecorderImpl(this.store, clock, { component: 'kubelet', host: 's4' });
    this.kubelet = new Kubelet({
      nodeName: 's4',
      store: this.store,
      recorder,
      runtime,
      clock,
      handlers: this.recordingHandlers(handlers),
    });
    this.kubelet.start();
  }

  /** Probe runs that reached the prober (in-process checks included, which no handler sees). */
  probeRuns(): number {
    return this.kubelet?.probeStats().probesRun ?? 0;
  }

  createPod(pod: Pod): void {
    const admitted = admitPod(pod);
    if (!admitted.pod) throw new Error(admitted.errors.map((e) => `${e.field}: ${e.detail}`).join('; '));
    this.store.create('pods', admitted.pod as Pod & KubeObject);
  }

  async stop(): Promise<void> {
    await this.kubelet?.stop(2000);
    await this.runtime?.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private recordingHandlers(inner: ProbeHandlers): ProbeHandlers {
    const probes = this.probes;
    const wrap =
      <R extends { timeoutMs: number }>(fn: (r: R) => Promise<ProbeOutcome>, keyOf: (r: R) => string) =>
      async (req: R): Promise<ProbeOutcome> => {
        const startedAt = performance.timeOrigin + performance.now();
        const out = await fn(req);
        probes.push({
          key: keyOf(req),
          startedAt,
          finishedAt: performance.timeOrigin + performance.now(),
          result: out.result,
          output: out.output,
        });
        return out;
      };
    const handlers: ProbeHandlers = {
      http: wrap(inner.http, (r) => `http ${r.host}:${r.port}${r.path}`),
      tcp: wrap(inner.tcp, (r) => `tcp ${r.host}:${r.port}`),
      exec: wrap(inner.exec, (r) => `exec ${r.argv.join(' ')}`),
      grpc: wrap(inner.grpc, (r) => `grpc ${r.host}:${r.port}`),
    };
    if (inner.check) handlers.check = inner.check;
    return handlers;
  }
}

/** A pod of one container that runs nothing; `container` adds probes. */
export function benchPod(name: string, container: object): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', command: ['sleep', '3600'], ...container }],
    },
  } as Pod;
}

const CLK_TCK = 100;

/** utime+stime(+cutime+cstime) of a process from /proc, in ms: children count once reaped. */
export function procCpuMs(pid: number | 'self', withChildren = true): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = Number(f[11]) + Number(f[12]);
  const children = withChildren ? Number(f[13]) + Number(f[14]) : 0;
  return ((own + children) * 1000) / CLK_TCK;
}

/**
 * How long this process's threads sat runnable waiting for a CPU (/proc/self/task/<tid>/schedstat,
 * 2nd field), in ms: the share of lateness the machine's other load caused, not podvisor.
 */
export function runqueueWaitMs(): number {
  let ns = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // the thread ended between the listing and the read: it has no wait left to count
    }
  }
  return ns / 1e6;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
