/**
 * In-process node for benchmarks: the real store, recorder, process runtime and kubelet, with the
 * probe handlers and the runtime wrapped so every probe and every start/exit is timestamped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from '../src/api/types.js';
import { admitPod } from '../src/api/admission.js';
import { defaultProbeHandlers, Kubelet, type ProbeHandlers } from '../src/kubelet/index.js';
import type { ProbeOutcome } from '../src/probe/types.js';
import { ProcessRuntime } from '../src/runtime/process-runtime.js';
import type { ContainerInstance, ContainerLaunch, ContainerRuntime } from '../src/runtime/types.js';
import { EventRecorderImpl } from '../src/store/event-recorder.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { KubeObject } from '../src/api/types.js';
import { RealClock } from '../src/util/clock.js';

export interface ProbeRecord {
  key: string;
  startedAt: number;
  finishedAt: number;
  result: ProbeOutcome['result'];
}

export interface StartRecord {
  pod: string;
  container: string;
  startedAt: number;
  exitedAt?: number;
}

export class BenchNode {
  readonly probes: ProbeRecord[] = [];
  readonly starts: StartRecord[] = [];
  readonly store = new MemoryStore({ clock: new RealClock() });
  private kubelet!: Kubelet;
  private runtime!: ProcessRuntime;
  readonly stateDir = mkdtempSync(join(tmpdir(), 'podvisor-bench-'));

  async start(opts: { backoff?: { initialMs?: number; maxMs?: number } } = {}): Promise<void> {
    const clock = new RealClock();
    this.runtime = await ProcessRuntime.create({ stateDir: this.stateDir, clock });
    const recorder = new EventRecorderImpl(this.store, clock, { component: 'kubelet', host: 'bench' });
    this.kubelet = new Kubelet({
      nodeName: 'bench',
      store: this.store,
      recorder,
      runtime: this.recordingRuntime(this.runtime),
      clock,
      handlers: this.recordingHandlers(defaultProbeHandlers),
      backoff: opts.backoff,
    });
    this.kubelet.start();
  }

  createPod(pod: Pod): void {
    const admitted = admitPod(pod);
    if (!admitted.pod) throw new Error(admitted.errors.map((e) => `${e.field}: ${e.detail}`).join('; '));
    this.store.create('pods', admitted.pod as Pod & KubeObject);
  }

  async stop(): Promise<void> {
    await this.kubelet.stop(2000);
    await this.runtime.shutdown(0);
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  private recordingHandlers(inner: ProbeHandlers): ProbeHandlers {
    const wrap =
      <R extends { timeoutMs: number }>(fn: (r: R) => Promise<ProbeOutcome>, keyOf: (r: R) => string) =>
      async (req: R): Promise<ProbeOutcome> => {
        const startedAt = performance.timeOrigin + performance.now();
        const out = await fn(req);
        this.probes.push({
          key: keyOf(req),
          startedAt,
          finishedAt: performance.timeOrigin + performance.now(),
          result: out.result,
        });
        return out;
      };
    return {
      http: wrap(inner.http, (r) => `${r.host}:${r.port}${r.path}`),
      tcp: wrap(inner.tcp, (r) => `${r.host}:${r.port}`),
      exec: wrap(inner.exec, (r) => `${r.cwd}:${r.argv.join(' ')}`),
      grpc: wrap(inner.grpc, (r) => `${r.host}:${r.port}`),
    };
  }

  private recordingRuntime(inner: ContainerRuntime): ContainerRuntime {
    const starts = this.starts;
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'start') {
          return async (launch: ContainerLaunch): Promise<ContainerInstance> => {
            const inst = await target.start(launch);
            const rec: StartRecord = {
              pod: launch.podName,
              container: launch.containerName,
              startedAt: inst.startedAt,
            };
            starts.push(rec);
            void inst.exited.then((e) => (rec.exitedAt = e.finishedAt));
            return inst;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

export function idlePod(name: string, extra: Partial<Pod['spec']> & { container?: object } = {}): Pod {
  const { container, ...spec } = extra;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'app', command: ['sleep', '3600'], ...(container ?? {}) }],
      ...spec,
    },
  } as Pod;
}

/** A TCP/HTTP target in its own process, so its work is not charged to the node being measured. */
export async function startTargetProcess(): Promise<{
  port: number;
  child: ChildProcess;
  flip: (path: string) => Promise<void>;
}> {
  const src = `
    const http = require('node:http');
    const failing = new Set();
    const s = http.createServer((req, res) => {
      if (req.method === 'POST') { failing.add(req.url); res.end('ok'); return; }
      res.statusCode = failing.has(req.url) ? 500 : 200; res.end();
    });
    s.listen(0, '0.0.0.0', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('target process exited')));
  });
  const flip = async (path: string): Promise<void> => {
    await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' });
  };
  return { port, child, flip };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pred()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 50);
    };
    check();
  });
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}
