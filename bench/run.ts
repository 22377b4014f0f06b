/**
 * podvisor benchmarks (issue 2). Prints figures and how to rerun; never fails a build.
 *   npm run bench                      # all scenarios
 *   npm run bench -- lateness restart  # a subset: lateness, restart, crash, idle, check-cost
 *   npm run bench -- compare           # issue 6: every scenario side by side with the peers
 *   npm run bench -- s1 s2             # a subset of those (s1 … s5)
 * Environment: BENCH_PODS (lateness, default 500), BENCH_IDLE (idle, default 200); check-cost:
 * BENCH_CHECK_PODS, BENCH_CHECK_FORKED_PODS (default 100 each), BENCH_CHECK_SECONDS (20).
 *   npm run bench -- soak              # issue 7: a crash loop for BENCH_SOAK_SECONDS (600); only by name
 *   npm run bench -- fuzz [--runs N] [--seed S]  # issue 7: fuzzed manifests (bench/fuzz/run.ts)
 */
import { BenchNode, fmt, idlePod, percentile, startTargetProcess, waitUntil } from './harness.js';
import { measureCheckCost } from './check-cost.js';
import { measureIdleFootprint } from './footprint.js';
import { benchSoak } from './soak/soak.js';
import { runFuzzBench } from './fuzz/run.js';
import { printComparison } from './compare/report.js';
import { SCENARIOS } from './compare/scenarios.js';
import type { ScenarioReport } from './compare/types.js';

const only = process.argv.slice(2);
const wants = (name: string): boolean => only.length === 0 || only.includes(name);
const rows: string[][] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Probe tick lateness: N containers × (liveness + readiness) tcpSocket at periodSeconds 1. */
async function lateness(): Promise<void> {
  const pods = Number(process.env.BENCH_PODS ?? 500);
  const target = await startTargetProcess();
  const node = new BenchNode();
  await node.start();
  // liveness tcpSocket and readiness httpGet: one worker per probe key (pod IP + port [+ path])
  const container = {
    livenessProbe: { tcpSocket: { port: target.port }, periodSeconds: 1 },
    readinessProbe: { httpGet: { path: '/ready', port: target.port }, periodSeconds: 1 },
  };
  for (let i = 0; i < pods; i++) node.createPod(idlePod(`late-${i}`, { container }));
  await waitUntil(() => node.starts.length >= pods, 120_000, 'containers to start');
  await sleep(5_000); // warm-up: every worker past its first probe
  const from = Date.now();
  const cpu0 = process.cpuUsage();
  await sleep(20_000);
  const cpu = process.cpuUsage(cpu0);
  const to = Date.now();
  const byKey = new Map<string, number[]>();
  for (const p of node.probes) {
    if (p.startedAt < from || p.startedAt > to) continue;
    const list = byKey.get(p.key) ?? [];
    list.push(p.startedAt);
    byKey.set(p.key, list);
  }
  const late: number[] = [];
  let total = 0;
  for (const starts of byKey.values()) {
    total += starts.length;
    // Ticks stay on the worker's phase; lateness is each start's offset from that phase, taking
    // the earliest start of the window as on time (so this slightly understates lateness).
    starts.sort((a, b) => a - b);
    const first = starts[0]!;
    const offsets = starts.map((t) => t - first - Math.round((t - first) / 1000) * 1000);
    const onTime = Math.min(...offsets);
    for (const o of offsets) late.push(o - onTime);
  }
  const seconds = (to - from) / 1000;
  rows.push([
    `lateness: ${pods} containers × (tcpSocket liveness + httpGet readiness) @1s`,
    `p50 ${fmt(percentile(late, 50))} ms, p99 ${fmt(percentile(late, 99))} ms, max ${fmt(Math.max(...late))} ms`,
    `${fmt(total / seconds, 0)} probes/s; podvisor CPU ${fmt(((cpu.user + cpu.system) / 1000 / (to - from)) * 100)} % of a core`,
  ]);
  await node.stop();
  target.child.kill();
}

/** Liveness failure → restart: overhead beyond the 3rd failed probe, and detection vs the floor. */
async function restart(): Promise<void> {
  const pods = 25;
  const target = await startTargetProcess();
  const node = new BenchNode();
  await node.start();
  for (let i = 0; i < pods; i++) {
    node.createPod(
      idlePod(`restart-${i}`, {
        container: {
          livenessProbe: {
            httpGet: { path: `/pod-${i}`, port: target.port },
            periodSeconds: 1,
            failureThreshold: 3,
          },
        },
      }),
    );
  }
  await waitUntil(() => node.starts.length >= pods, 30_000, 'containers to start');
  await sleep(2_500);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: pods }, (_, i) => target.flip(`/pod-${i}`)));
  await waitUntil(() => node.starts.length >= 2 * pods, 30_000, 'restarts');
  const overhead: number[] = [];
  const detection: number[] = [];
  for (let i = 0; i < pods; i++) {
    const fails = node.probes.filter(
      (p) => p.key.endsWith(`/pod-${i}`) && p.startedAt >= t0 && p.result === 'failure',
    );
    const third = fails[2];
    const restarted = node.starts.filter((s) => s.pod === `restart-${i}`)[1];
    if (!third || !restarted) continue;
    overhead.push(restarted.startedAt - third.finishedAt);
    detection.push(third.finishedAt - t0);
  }
  rows.push([
    `restart: liveness httpGet period 1s ×3 failures, ${pods} pods`,
    `3rd failure → new process: p50 ${fmt(percentile(overhead, 50))} ms, p90 ${fmt(percentile(overhead, 90))} ms, max ${fmt(Math.max(...overhead))} ms`,
    `flip → 3rd failure: p50 ${fmt(percentile(detection, 50), 0)} ms (floor: 2000–3000 ms by tick phase)`,
  ]);
  await node.stop();
  target.child.kill();
}

/**
 * A crash (exit 1) → the replacement process spawned: the first restart is immediate (spec §4.5).
 * Measured one pod at a time (the latency of one crash) and as a burst of 25 at once.
 */
async function crash(): Promise<void> {
  const reps = 25;
  const script = 'if [ -e crashed ]; then exec sleep 3600; fi; touch crashed; exit 1';
  const gapsOf = (node: BenchNode, prefix: string, n: number): number[] => {
    const gaps: number[] = [];
    for (let i = 0; i < n; i++) {
      const [first, second] = node.starts.filter((s) => s.pod === `${prefix}-${i}`);
      if (first?.exitedAt !== undefined && second) gaps.push(second.startedAt - first.exitedAt);
    }
    return gaps;
  };
  const node = new BenchNode();
  await node.start();
  for (let i = 0; i < reps; i++) {
    node.createPod(idlePod(`crash-${i}`, { container: { command: ['sh', '-c', script] } }));
    await waitUntil(() => node.starts.length >= 2 * (i + 1), 30_000, 'restart');
  }
  for (let i = 0; i < reps; i++)
    node.createPod(idlePod(`burst-${i}`, { container: { command: ['sh', '-c', script] } }));
  await waitUntil(() => node.starts.length >= 4 * reps, 30_000, 'burst restarts');
  const one = gapsOf(node, 'crash', reps);
  const burst = gapsOf(node, 'burst', reps);
  rows.push([
    `crash: exit 1 → replacement spawned, ${reps} runs one at a time`,
    `p50 ${fmt(percentile(one, 50))} ms, p90 ${fmt(percentile(one, 90))} ms, max ${fmt(Math.max(...one))} ms`,
    `${reps} pods crashing at once: p50 ${fmt(percentile(burst, 50))} ms, p90 ${fmt(percentile(burst, 90))} ms, max ${fmt(Math.max(...burst))} ms`,
  ]);
  await node.stop();
}

/**
 * Issue 6 (podvisor side by side with PM2, supervisord, monit and a bare respawn loop): `compare`
 * runs every scenario of bench/compare/scenarios.ts, `s1 s2 ...` a subset; one table for all.
 */
async function compare(): Promise<void> {
  const names = only.includes('compare') ? Object.keys(SCENARIOS) : only.filter((n) => n in SCENARIOS);
  if (names.length === 0) return;
  const reports: ScenarioReport[] = [];
  for (const name of names) {
    const started = Date.now();
    try {
      reports.push(...(await SCENARIOS[name]!()));
    } catch (err) {
      console.error(`bench: scenario ${name} failed:`, err);
    }
    console.error(`bench: ${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  console.log(`\n${printComparison(reports)}`);
  console.log(
    `\n(${new Date().toISOString()}, node ${process.version}; rerun: npm run bench -- ${only.join(' ')})`,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  if (only[0] === 'fuzz') {
    await runFuzzBench(only.slice(1));
    return;
  }
  await compare();
  if (only.length > 0 && only.every((n) => n === 'compare' || n in SCENARIOS)) return;
  if (wants('lateness')) await lateness();
  if (wants('restart')) await restart();
  if (wants('crash')) await crash();
  if (wants('idle')) rows.push(...(await measureIdleFootprint(Number(process.env.BENCH_IDLE ?? 200))));
  if (wants('check-cost')) rows.push(...(await measureCheckCost()));
  // Ten minutes: only when asked for by name (`npm run bench -- soak`), never in the default run.
  if (only.includes('soak')) rows.push(...(await benchSoak()));
  const width = Math.max(...rows.map((r) => r[0]!.length));
  console.log(
    `\npodvisor benchmarks (${new Date().toISOString()}, node ${process.version}, ${(Date.now() - started) / 1000}s)\n`,
  );
  for (const [name, a, b] of rows)
    console.log(`${name!.padEnd(width)}  ${a}${b ? `\n${''.padEnd(width)}  ${b}` : ''}`);
  console.log(`\nrerun: npm run bench${only.length ? ` -- ${only.join(' ')}` : ''}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(0); // benchmarks never fail a build
  },
);
