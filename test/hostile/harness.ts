/**
 * Drives one prober at a hostile target many times and measures what that costs this process
 * (the prober runs in-process here, as it does in a podvisor node): per-probe latency, open file
 * descriptors and memory after a forced garbage collection.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ProbeOutcome } from '../../src/probe/index.js';
import { ForeignStalls, StarvationMeter, type EpochStall } from './starvation.js';

/** The bar: every verdict within timeoutSeconds plus this. */
export const VERDICT_MARGIN_MS = 50;

setFlagsFromString('--expose-gc');
// A fresh context created after the flag is set gets the `gc` global.
const gc = runInNewContext('gc') as () => void;

export interface ResourceSnapshot {
  fds: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Memory of Buffers and other ArrayBuffers (socket chunks, pipe output). */
  arrayBuffersMiB: number;
}

const MIB = 1024 * 1024;

export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Memory and fds after two full collections (the second frees what finalizers released). */
export function snapshot(): ResourceSnapshot {
  gc();
  gc();
  const m = process.memoryUsage();
  return {
    fds: openFds(),
    rssMiB: m.rss / MIB,
    heapUsedMiB: m.heapUsed / MIB,
    arrayBuffersMiB: m.arrayBuffers / MIB,
  };
}

/** What a verdict must be: result and output (a RegExp where the output holds an ephemeral port). */
export interface ExpectedOutcome {
  result: ProbeOutcome['result'];
  output: string | RegExp;
}

export interface RunResult {
  count: number;
  /** Verdicts that differed from the expected one, and the first of them. */
  wrong: number;
  firstWrong: string | undefined;
  /** Milliseconds from each call to its verdict. */
  latencies: number[];
  /** Per probe: how long the OS left this process unscheduled while it ran (starvation.ts). */
  starved: number[];
  /** Verdicts that were the starvation outcome (a timeout) for probes starved of half their timeout. */
  starvedVerdicts: number;
  /** RSS when the run started, and the highest sampled (every 20 ms) while the probes ran. */
  baselineRssMiB: number;
  peakRssMiB: number;
  /** The longest stretch the OS did not run this process, and the sum of them. */
  longestStarvationMs: number;
  totalStarvationMs: number;
  wallMs: number;
}

export interface HammerOptions {
  count: number;
  /** At most this many probes at once (a sliding window, not lock-step batches). */
  inFlight: number;
  /**
   * Start probes at least this far apart, as a kubelet's jittered probe periods do. Without it,
   * a window of timeout probes starts and expires in lock-step, and the last of a herd of 200
   * expiring in one tick waits behind the other 199 (and the next 200 starts).
   */
  paceMs?: number;
  expected: ExpectedOutcome;
  /**
   * The verdict a probe legitimately gets when the process was not scheduled for half its
   * timeout or more (a timeout: the kubelet, frozen as long, would time out too).
   */
  onStarvation?: { timedOut: (o: ProbeOutcome) => boolean; timeoutMs: number };
  /** The target server's own stalls since an epoch time (it runs in another process). */
  targetStalls?: (sinceEpochMs: number) => Promise<EpochStall[]>;
  probe: (i: number) => Promise<ProbeOutcome>;
}

interface Judged {
  t0: number;
  t1: number;
  ok: boolean;
  timedOut: boolean;
  text: string;
}

/**
 * Runs the probes and checks each verdict as it comes; outcomes are not kept, so what the run
 * retains afterwards is the prober's, not the harness's (1,000 10 KiB bodies would be 10 MiB).
 */
export async function hammer(options: HammerOptions): Promise<RunResult> {
  const { count, inFlight, expected, probe } = options;
  const pace = options.paceMs ?? 0;
  const latencies = new Array<number>(count);
  const starved = new Array<number>(count);
  const judged = new Array<Judged>(count);
  let next = 0;
  const baselineRss = process.memoryUsage.rss();
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const meter = new StarvationMeter();
  meter.start();
  const startedEpoch = performance.timeOrigin + performance.now();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const wait = started + i * pace - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const t0 = performance.now();
      const outcome = await probe(i);
      const t1 = performance.now();
      const ok = matches(outcome, expected);
      judged[i] = {
        t0,
        t1,
        ok,
        timedOut: !ok && options.onStarvation?.timedOut(outcome) === true,
        text: ok ? '' : JSON.stringify(outcome).slice(0, 400),
      };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, count) }, () => worker()));
  } finally {
    clearInterval(sampler);
    meter.stop();
  }
  // A probe waits on its server too: starvation is this process's or the server's, whichever is more.
  const foreign = new ForeignStalls((await options.targetStalls?.(startedEpoch)) ?? []);
  let starvedVerdicts = 0;
  let wrong = 0;
  let firstWrong: string | undefined;
  judged.forEach((j, i) => {
    latencies[i] = j.t1 - j.t0;
    starved[i] = Math.max(meter.starvedDuring(j.t0, j.t1), foreign.starvedDuring(j.t0, j.t1));
    if (j.ok) return;
    const half = (options.onStarvation?.timeoutMs ?? Infinity) / 2;
    if (j.timedOut && (starved[i] ?? 0) >= half) {
      starvedVerdicts++;
    } else {
      wrong++;
      firstWrong ??= `probe #${i}: ${j.text}`;
    }
  });
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    count,
    starved,
    starvedVerdicts,
    longestStarvationMs: Math.max(meter.longestMs(), foreign.longestMs()),
    totalStarvationMs: meter.totalMs(),
    wrong,
    firstWrong,
    latencies,
    baselineRssMiB: baselineRss / MIB,
    peakRssMiB: peakRss / MIB,
    wallMs: performance.now() - started,
  };
}

function matches(o: ProbeOutcome, expected: ExpectedOutcome): boolean {
  if (o.result !== expected.result || o.error !== undefined) return false;
  return typeof expected.output === 'string' ? o.output === expected.output : expected.output.test(o.output);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function max(values: number[]): number {
  return values.reduce((m, v) => Math.max(m, v), 0);
}

export function min(values: number[]): number {
  return values.reduce((m, v) => Math.min(m, v), Infinity);
}

/** Every verdict was the expected one. */
export function assertEveryOutcome(run: RunResult, expected: ExpectedOutcome): void {
  assert.equal(
    run.wrong,
    0,
    `${run.wrong} of ${run.count} verdicts differ; first: ${(run.firstWrong ?? '').slice(0, 400)}; ` +
      `expected ${expected.result} ${String(expected.output).slice(0, 200)}`,
  );
}

/**
 * No verdict came later than `timeoutMs` + 50 ms, plus however long the OS did not run this
 * process during that probe (measured, never assumed); with `notBeforeMs`, none came early.
 */
export function assertLatency(run: RunResult, timeoutMs: number, notBeforeMs?: number): void {
  const bound = timeoutMs + VERDICT_MARGIN_MS;
  const late: string[] = [];
  run.latencies.forEach((l, i) => {
    const allowance = run.starved[i] ?? 0;
    if (l > bound + allowance) late.push(`#${i} ${l.toFixed(1)} ms (starved ${allowance.toFixed(1)} ms)`);
  });
  assert.equal(
    late.length,
    0,
    `${late.length} of ${run.latencies.length} verdicts came after ${bound} ms plus the time the process was starved: ${late.slice(0, 5).join(', ')}`,
  );
  if (notBeforeMs !== undefined) {
    const early = run.latencies.filter((l) => l < notBeforeMs);
    assert.equal(
      early.length,
      0,
      `${early.length} verdicts came before the ${notBeforeMs} ms timeout (min ${min(run.latencies).toFixed(1)} ms)`,
    );
  }
}

/** Verdicts later than the bound itself (assertLatency accepts them only if starvation explains them). */
export function excusedLate(run: RunResult, timeoutMs: number): number {
  return run.latencies.filter((l) => l > timeoutMs + VERDICT_MARGIN_MS).length;
}

/** Resource bounds after a run; each test file states why its bounds are what they are. */
export interface FlatBounds {
  /** Extra open fds allowed after the run (a socket whose close is still queued, say). */
  fds: number;
  heapMiB: number;
  rssMiB: number;
}

/** Waits (up to 5 s) for fds to come back to the baseline, then checks memory after a gc. */
export async function assertFlat(before: ResourceSnapshot, bounds: FlatBounds): Promise<ResourceSnapshot> {
  const deadline = Date.now() + 5000;
  while (openFds() > before.fds + bounds.fds && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const after = snapshot();
  assert.ok(
    after.fds <= before.fds + bounds.fds,
    `open fds went from ${before.fds} to ${after.fds} (allowed +${bounds.fds})`,
  );
  const heapGrowth = after.heapUsedMiB - before.heapUsedMiB;
  assert.ok(
    heapGrowth < bounds.heapMiB,
    `heap grew by ${heapGrowth.toFixed(1)} MiB (bound ${bounds.heapMiB} MiB)`,
  );
  const rssGrowth = after.rssMiB - before.rssMiB;
  assert.ok(
    rssGrowth < bounds.rssMiB,
    `RSS grew by ${rssGrowth.toFixed(1)} MiB (bound ${bounds.rssMiB} MiB)`,
  );
  return after;
}

/** One line of figures for the run, for the test's diagnostics (the lead's table). */
export function figures(
  name: string,
  run: RunResult,
  before: ResourceSnapshot,
  after: ResourceSnapshot,
  timeoutMs: number,
): string {
  const f = (n: number): string => n.toFixed(1);
  return (
    `${name}: n=${run.count} min ${f(min(run.latencies))} median ${f(median(run.latencies))} max ${f(max(run.latencies))} ms, ` +
    `wall ${f(run.wallMs / 1000)} s; later than ${timeoutMs + VERDICT_MARGIN_MS} ms: ${excusedLate(run, timeoutMs)}, ` +
    `timeouts of starved probes: ${run.starvedVerdicts} (process starved: longest ${f(run.longestStarvationMs)} ms, ` +
    `total ${f(run.totalStarvationMs)} ms); fds ${before.fds}->${after.fds}; RSS ${f(before.rssMiB)}->${f(after.rssMiB)} MiB ` +
    `(peak ${f(run.peakRssMiB)}); heap ${f(before.heapUsedMiB)}->${f(after.heapUsedMiB)} MiB; ` +
    `arrayBuffers ${f(before.arrayBuffersMiB)}->${f(after.arrayBuffersMiB)} MiB`
  );
}

export interface Scenario {
  name: string;
  count: number;
  inFlight: number;
  /** Start probes this far apart (timeout targets: spread like jittered probe periods). */
  paceMs?: number;
  timeoutMs: number;
  expected: ExpectedOutcome;
  /** How this prober reports running into its deadline (see HammerOptions.onStarvation). */
  timedOut: (o: ProbeOutcome) => boolean;
  probe: () => Promise<ProbeOutcome>;
  bounds: FlatBounds;
  /** Resolves once the warm-up's leftovers are gone (server-side closes), before the baseline. */
  settled?: () => Promise<void>;
  targetStalls?: (sinceEpochMs: number) => Promise<EpochStall[]>;
}

/** Warms up, then runs the scenario; checks verdicts, fds and memory, and logs the figures. */
export async function measured(t: TestContext, scenario: Scenario): Promise<RunResult> {
  const { name, count, inFlight, paceMs, expected, probe, timeoutMs } = scenario;
  const onStarvation = { timedOut: scenario.timedOut, timeoutMs };
  const { targetStalls } = scenario;
  // Lazy modules, JIT and pools are not a leak: warm them up before the baseline.
  const warm = await hammer({ count: inFlight, inFlight, expected, probe, onStarvation, targetStalls });
  assertEveryOutcome(warm, expected);
  await scenario.settled?.();
  const baseline = snapshot();
  const run = await hammer({ count, inFlight, paceMs, expected, probe, onStarvation, targetStalls });
  const afterRun = await assertFlat(baseline, scenario.bounds);
  t.diagnostic(figures(name, run, baseline, afterRun, timeoutMs));
  assertEveryOutcome(run, expected);
  return run;
}
