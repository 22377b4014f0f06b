/**
 * S4 tick lateness: N containers × (tcpSocket liveness + httpGet readiness) at periodSeconds 1
 * against a target in another process, each container on its own pod IP (127.78.x.y), so every
 * worker has its own key. A worker's ticks stay on the phase it began with (Go's ticker), so
 * lateness is each probe start's offset from that phase; the phase is the earliest offset seen in
 * the window (which slightly understates lateness). A missed period is a gap between consecutive
 * starts of one worker that spans more than one period (the worker drops ticks it could not take).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { percentile, startTargetProcess, waitUntil } from '../harness.js';
import { benchPod, loadAverage, procCpuMs, runqueueWaitMs, S4Node, type ProbeStart } from './s4-node.js';

export interface LatenessRun {
  containers: number;
  seconds: number;
  /** Every probe start's lateness in the window, ms. */
  lateness: number[];
  p50: number;
  p99: number;
  max: number;
  missedPeriods: number;
  failures: number;
  probesPerSecond: number;
  /** The node process (this one), % of one core over the window. */
  nodeCpu: number;
  /** The target process, % of one core over the window. */
  targetCpu: number;
  /** Event-loop utilisation over the window, 0..1. */
  elu: number;
  /** Time this process's threads were runnable but waiting for a CPU, % of the window. */
  runqueueWait: number;
  /** The same lateness of an idle canary process's timers over the window: the machine's floor. */
  canary: { p50: number; p99: number; max: number };
  loadBefore: string;
  loadAfter: string;
}

const PERIOD_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function measureLateness(
  containers: number,
  seconds: number,
  warmupMs = 5000,
): Promise<LatenessRun> {
  const target = await startTargetProcess();
  const node = new S4Node();
  try {
    node.start();
    const container = {
      livenessProbe: { tcpSocket: { port: target.port }, periodSeconds: 1 },
      readinessProbe: { httpGet: { path: '/ready', port: target.port }, periodSeconds: 1 },
    };
    for (let i = 0; i < containers; i++) node.createPod(benchPod(`late-${i}`, container));
    await waitUntil(() => node.started.length >= containers, 300_000, `${containers} containers to start`);
    await sleep(warmupMs); // every worker past its first probe and its jitter
    const canary = await startCanary();
    const loadBefore = loadAverage();
    const from = performance.timeOrigin + performance.now();
    const cpu0 = process.cpuUsage();
    const target0 = procCpuMs(target.child.pid!, false);
    const elu0 = performance.eventLoopUtilization();
    const wait0 = runqueueWaitMs();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const targetMs = procCpuMs(target.child.pid!, false) - target0;
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const waitMs = runqueueWaitMs() - wait0;
    const to = performance.timeOrigin + performance.now();
    const canaryLateness = await canary.stop();
    const window = node.probes.filter((p) => p.startedAt >= from && p.startedAt < to);
    const { lateness, missedPeriods } = latenessOf(window);
    const elapsed = to - from;
    return {
      containers,
      seconds: elapsed / 1000,
      lateness,
      p50: percentile(lateness, 50),
      p99: percentile(lateness, 99),
      max: lateness.reduce((a, b) => Math.max(a, b), 0),
      missedPeriods,
      failures: window.filter((p) => p.result !== 'success').length,
      probesPerSecond: window.length / (elapsed / 1000),
      nodeCpu: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
      targetCpu: (targetMs / elapsed) * 100,
      elu,
      runqueueWait: (waitMs / elapsed) * 100,
      canary: canaryLateness,
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    await node.stop();
    target.child.kill();
  }
}

/**
 * A process that does nothing but wake every 10 ms and note how late it woke: on a shared machine
 * its lateness is what the CPU scheduler alone adds, with no probe work of its own.
 */
async function startCanary(): Promise<{ stop(): Promise<{ p50: number; p99: number; max: number }> }> {
  const src = `
    const late = [];
    let next = performance.now() + 10;
    const tick = () => { const now = performance.now(); late.push(now - next); next += 10;
      if (next < now) next = now + 10; setTimeout(tick, next - performance.now()); };
    setTimeout(tick, 10);
    process.stdin.once('data', () => {
      late.sort((a, b) => a - b);
      const p = (q) => late[Math.min(late.length - 1, Math.ceil(q * late.length) - 1)] ?? NaN;
      process.stdout.write(JSON.stringify({ p50: p(0.5), p99: p(0.99), max: late[late.length - 1] ?? NaN }) + '\\n');
      process.exit(0);
    });
    process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return {
    async stop() {
      child.stdin!.write('report\n');
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      return JSON.parse(line.toString()) as { p50: number; p99: number; max: number };
    },
  };
}

export function latenessOf(probes: readonly ProbeStart[]): { lateness: number[]; missedPeriods: number } {
  const byKey = new Map<string, number[]>();
  for (const p of probes) {
    const list = byKey.get(p.key);
    if (list) list.push(p.startedAt);
    else byKey.set(p.key, [p.startedAt]);
  }
  const lateness: number[] = [];
  let missedPeriods = 0;
  for (const starts of byKey.values()) {
    starts.sort((a, b) => a - b);
    const first = starts[0]!;
    const offsets = starts.map((t) => t - first - Math.round((t - first) / PERIOD_MS) * PERIOD_MS);
    const onTime = Math.min(...offsets);
    for (const o of offsets) lateness.push(o - onTime);
    for (let i = 1; i < starts.length; i++) {
      missedPeriods += Math.max(0, Math.round((starts[i]! - starts[i - 1]!) / PERIOD_MS) - 1);
    }
  }
  return { lateness, missedPeriods };
}
