/**
 * Issue 7, the long variant of test/hostile/exec-targets: an exec probe printing 100 MiB, run
 * BENCH_HOSTILE_EXEC_RUNS times (default 1,000; the test runs 20). Prints the verdicts, latency,
 * this process's RSS (baseline, peak, after a forced GC) and open fds. Never fails a build.
 *   node --import tsx bench/hostile-exec.ts
 *   BENCH_HOSTILE_EXEC_RUNS=200 BENCH_HOSTILE_EXEC_IN_FLIGHT=4 node --import tsx bench/hostile-exec.ts
 */
import { probeExec, PROBE_OUTPUT_LIMIT } from '../src/probe/index.js';
import { hammer, max, median, snapshot } from '../test/hostile/harness.js';

const runs = Number(process.env.BENCH_HOSTILE_EXEC_RUNS ?? 1000);
const inFlight = Number(process.env.BENCH_HOSTILE_EXEC_IN_FLIGHT ?? 2);
const timeoutMs = 10_000;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const probe = () =>
  probeExec({ argv: ['/bin/sh', '-c', 'yes | head -c 104857600'], env, cwd: '', timeoutMs });
const expected = { result: 'success' as const, output: 'y\n'.repeat(PROBE_OUTPUT_LIMIT / 2) };

await hammer({ count: inFlight, inFlight, expected, probe }); // warm-up
const before = snapshot();
const run = await hammer({ count: runs, inFlight, expected, probe });
const after = snapshot();
const f = (n: number): string => n.toFixed(1);
console.log(`exec printing 100 MiB × ${runs} (${inFlight} in flight, timeout ${timeoutMs} ms)`);
console.log(
  `  verdicts: ${runs - run.wrong} as expected (Success, 10 KiB kept), ${run.wrong} other; first other: ${run.firstWrong ?? '-'}`,
);
console.log(
  `  latency: median ${f(median(run.latencies))} ms, max ${f(max(run.latencies))} ms; wall ${f(run.wallMs / 1000)} s`,
);
console.log(
  `  RSS: ${f(before.rssMiB)} MiB before, peak ${f(run.peakRssMiB)} MiB, ${f(after.rssMiB)} MiB after a GC`,
);
console.log(
  `  heap: ${f(before.heapUsedMiB)} -> ${f(after.heapUsedMiB)} MiB; fds ${before.fds} -> ${after.fds}`,
);
console.log(`  output streamed through the prober: ${f((runs * 100) / 1024)} GiB`);
