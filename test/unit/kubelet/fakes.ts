import type { ProbeOutcome } from '../../../src/probe/types.js';
import {
  ContainerStartError,
  type ContainerExit,
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  type LogReadOptions,
  type PodSandbox,
  type PodSandboxRequest,
} from '../../../src/runtime/types.js';
import type { EventRecorder } from '../../../src/store/types.js';
import type { FakeClock, Timer } from '../../../src/util/clock.js';
import type {
  ExecProbeRequest,
  GrpcProbeRequest,
  HttpProbeRequest,
  ProbeHandlers,
  TcpProbeRequest,
} from '../../../src/kubelet/types.js';

/** How a fake process reacts to the stop signal. */
export type OnTerm = 'die' | 'ignore' | 'exit0' | { afterMs: number; exitCode: number };

export interface ContainerBehavior {
  onTerm?: OnTerm;
  /** The process exits by itself this long after it started. */
  exitAfterMs?: number;
  exitCode?: number;
  /** start() rejects with this. */
  startError?: ContainerStartError;
  /** What tailOfInstance returns. */
  log?: string;
}

export interface FakeInstance extends ContainerInstance {
  launch: ContainerLaunch;
  exit?: ContainerExit;
  finish(exitCode: number, signal?: NodeJS.Signals | null): void;
}

/** A ContainerRuntime whose processes live on the FakeClock. */
export class FakeRuntime implements ContainerRuntime {
  readonly instances: FakeInstance[] = [];
  readonly stops: { id: string; container: string; graceMs: number; at: number }[] = [];
  readonly removedPods: string[] = [];
  readonly behaviors = new Map<string, ContainerBehavior>();
  /** Called as the stop signal is "sent" (before any exit). */
  onStop: ((id: string) => void) | undefined;
  private seq = 0;
  private podSeq = 0;

  constructor(private readonly clock: FakeClock) {}

  behave(container: string, b: ContainerBehavior): void {
    this.behaviors.set(container, b);
  }

  async preparePod(req: PodSandboxRequest): Promise<PodSandbox> {
    return {
      uid: req.uid,
      podIP: req.hostNetwork ? '127.0.0.1' : `127.0.1.${++this.podSeq}`,
      podDir: `/tmp/pods/${req.uid}`,
    };
  }

  async start(launch: ContainerLaunch): Promise<ContainerInstance> {
    const b = this.behaviors.get(launch.containerName) ?? {};
    if (b.startError) throw b.startError;
    const clock = this.clock;
    let resolveExit!: (e: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((r) => (resolveExit = r));
    const inst: FakeInstance = {
      id: `podvisor://fake${String(++this.seq).padStart(4, '0')}`,
      pid: 1000 + this.seq,
      startedAt: clock.now(),
      exited,
      launch,
      finish(exitCode: number, signal: NodeJS.Signals | null = null) {
        if (inst.exit) return;
        inst.exit = {
          exitCode,
          signal,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          finishedAt: clock.now(),
        };
        resolveExit(inst.exit);
      },
    };
    this.instances.push(inst);
    if (b.exitAfterMs !== undefined) clock.setTimer(b.exitAfterMs, () => inst.finish(b.exitCode ?? 1));
    return inst;
  }

  async stop(instanceId: string, graceMs: number): Promise<ContainerExit> {
    const inst = this.instances.find((i) => i.id === instanceId);
    if (!inst) throw new Error(`no instance ${instanceId}`);
    this.stops.push({ id: instanceId, container: inst.launch.containerName, graceMs, at: this.clock.now() });
    this.onStop?.(instanceId);
    if (inst.exit) return inst.exit;
    const onTerm = this.behaviors.get(inst.launch.containerName)?.onTerm ?? 'die';
    let killTimer: Timer | undefined;
    if (onTerm === 'die') inst.finish(143, 'SIGTERM');
    else if (onTerm === 'exit0') inst.finish(0);
    else {
      killTimer = this.clock.setTimer(graceMs, () => inst.finish(137, 'SIGKILL'));
      if (onTerm !== 'ignore' && onTerm.afterMs < graceMs) {
        this.clock.setTimer(onTerm.afterMs, () => inst.finish(onTerm.exitCode));
      }
    }
    const exit = await inst.exited;
    killTimer?.cancel();
    return exit;
  }

  processes(instanceId: string): number[] {
    const inst = this.instances.find((i) => i.id === instanceId);
    return inst && !inst.exit ? [inst.pid] : [];
  }

  async removePod(uid: string): Promise<void> {
    this.removedPods.push(uid);
  }

  async *readLogs(_podUid: string, _opts: LogReadOptions): AsyncIterable<string> {
    // no logs in unit tests
  }

  async tailOfInstance(instanceId: string): Promise<string> {
    const inst = this.instances.find((i) => i.id === instanceId);
    return this.behaviors.get(inst?.launch.containerName ?? '')?.log ?? '';
  }

  async shutdown(): Promise<void> {
    for (const i of this.instances) i.finish(137, 'SIGKILL');
  }

  /** Instances of one container, oldest first. */
  of(container: string): FakeInstance[] {
    return this.instances.filter((i) => i.launch.containerName === container);
  }

  latest(container: string): FakeInstance {
    const all = this.of(container);
    const last = all[all.length - 1];
    if (!last) throw new Error(`container ${container} never started`);
    return last;
  }
}

export interface RecordedEvent {
  involved: Parameters<EventRecorder['record']>[0];
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  at: number;
}

/** Collects events (no dedup) with the fake time they were recorded at. */
export class FakeRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];
  constructor(private readonly clock: FakeClock) {}

  record(
    involved: RecordedEvent['involved'],
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    this.events.push({ involved, type, reason, message, at: this.clock.now() });
  }

  withReason(reason: string): RecordedEvent[] {
    return this.events.filter((e) => e.reason === reason);
  }

  /** `reason: message` lines, in order. */
  lines(): string[] {
    return this.events.map((e) => `${e.reason}: ${e.message}`);
  }
}

type Outcome = ProbeOutcome | (() => ProbeOutcome | Promise<ProbeOutcome>);

export interface HandlerCall {
  kind: 'http' | 'tcp' | 'exec' | 'grpc';
  key: string;
  at: number;
  req: HttpProbeRequest | TcpProbeRequest | ExecProbeRequest | GrpcProbeRequest;
}

export const ok: ProbeOutcome = { result: 'success', output: '' };
export const fail = (output = 'HTTP probe failed with statuscode: 500'): ProbeOutcome => ({
  result: 'failure',
  output,
});

/**
 * Probe handlers answering from a table keyed by http path, `tcp:<port>`, exec argv joined by
 * spaces, or `grpc:<port>`; unknown keys succeed.
 */
export class FakeHandlers implements ProbeHandlers {
  readonly calls: HandlerCall[] = [];
  private readonly table = new Map<string, Outcome>();

  constructor(private readonly clock: FakeClock) {}

  set(key: string, outcome: Outcome): void {
    this.table.set(key, outcome);
  }

  callsTo(key: string): HandlerCall[] {
    return this.calls.filter((c) => c.key === key);
  }

  /** Seconds (relative to `t0`) at which `key` was probed. */
  times(key: string, t0: number): number[] {
    return this.callsTo(key).map((c) => (c.at - t0) / 1000);
  }

  http(req: HttpProbeRequest): Promise<ProbeOutcome> {
    return this.answer('http', req.path, req);
  }
  tcp(req: TcpProbeRequest): Promise<ProbeOutcome> {
    return this.answer('tcp', `tcp:${req.port}`, req);
  }
  exec(req: ExecProbeRequest): Promise<ProbeOutcome> {
    return this.answer('exec', req.argv.join(' '), req);
  }
  grpc(req: GrpcProbeRequest): Promise<ProbeOutcome> {
    return this.answer('grpc', `grpc:${req.port}`, req);
  }

  private async answer(
    kind: HandlerCall['kind'],
    key: string,
    req: HandlerCall['req'],
  ): Promise<ProbeOutcome> {
    this.calls.push({ kind, key, at: this.clock.now(), req });
    const o = this.table.get(key) ?? ok;
    return typeof o === 'function' ? o() : o;
  }
}
