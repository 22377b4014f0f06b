/**
 * S3: the supervisor's own footprint (not the apps') with 1, 50 and 200 idle children, without and
 * with a liveness check each at 1 s. The idle child is `sleep 3600` for every subject (no runtime of
 * its own, so nothing the child does can be charged to a supervisor). The checks all target one
 * HTTP server in a separate process (127.0.0.1:PORT, GET /healthz → 200), so answering them costs
 * the supervisors nothing either: podvisor an httpGet liveness probe (periodSeconds 1, timeoutSeconds
 * 1, failureThreshold 3, hostNetwork), monit `if failed port PORT protocol http request "/healthz"`
 * at its 1 s cycle; PM2, supervisord and the bare loop have no HTTP checks ("no probes" only).
 * Each reading: start, wait until every child runs, settle, then CPU (the threads' run time from
 * /proc/PID/task/TID/schedstat, summed over the supervisor's processes) over a quiet window and RSS (VmRSS) at its
 * end. Environment: BENCH_S3_COUNTS (default 1,50,200), BENCH_S3_SUBJECTS (default all),
 * BENCH_S3_SETTLE_S (20), BENCH_S3_WINDOW_S (30), BENCH_S3_ROUNDS (1).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTargetProcess } from '../harness.js';
import type { AppSpec, RunningSupervisor } from './peer-types.js';
import { allSupervisors, commandPath, prepareOnce, type PreparedSupervisor } from './peers/index.js';
import { median, ratioTarget } from './report.js';
import type { Measurement, ScenarioReport, Subject, TargetCheck } from './types.js';

const PROBE = { path: '/healthz', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 } as const;
/** Subjects that can run an HTTP check per child. */
const HAS_HTTP_CHECKS: ReadonlySet<Subject> = new Set(['podvisor', 'monit']);
const IDLE_CPU_LIMIT = 0.2;

function envList(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}=${process.env[name]} is not a number ≥ 0`);
  return v;
}

/**
 * CPU time of one process in nanoseconds: the sum of its threads' schedstat run time (exact, where
 * utime + stime from /proc/PID/stat count 10 ms ticks, too coarse for an idle process); 0 once gone.
 */
function cpuNanos(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return 0;
  }
  return total;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface FootprintReading {
  rssMiB: number;
  cpuPercent: number;
}

/** Settle, then CPU over the window and RSS at its end, summed over the supervisor's processes. */
export async function readFootprint(
  running: RunningSupervisor,
  settleMs: number,
  windowMs: number,
): Promise<FootprintReading> {
  await sleep(settleMs);
  const pids = running.supervisorPids();
  const t0 = pids.reduce((sum, pid) => sum + cpuNanos(pid), 0);
  const from = performance.now();
  await sleep(windowMs);
  const nanos = pids.reduce((sum, pid) => sum + cpuNanos(pid), 0) - t0;
  const ms = performance.now() - from;
  return {
    cpuPercent: (nanos / 1e6 / ms) * 100,
    rssMiB: pids.reduce((sum, pid) => sum + rssMiB(pid), 0),
  };
}

function idleApps(count: number, checkPort: number | undefined): AppSpec[] {
  const sleepBin = commandPath('sleep');
  if (!sleepBin) throw new Error('S3 needs `sleep` on PATH (coreutils)');
  return Array.from({ length: count }, (_, i) => ({
    name: `idle-${i}`,
    argv: [sleepBin, '3600'],
    env: {},
    ...(checkPort !== undefined ? { port: checkPort, httpCheck: { ...PROBE } } : {}),
  }));
}

interface Variant {
  count: number;
  probes: boolean;
}

function variantLabel(v: Variant): string {
  return `${v.count} idle, ${v.probes ? 'HTTP liveness @1s each' : 'no probes'}`;
}

async function measureSubject(
  prepared: PreparedSupervisor & { ok: true },
  variant: Variant,
  checkPort: number,
  timing: { settleMs: number; windowMs: number },
): Promise<{ reading: FootprintReading; configText: string }> {
  const workDir = mkdtempSync(join(tmpdir(), `bench-s3-${prepared.supervisor.subject}-`));
  let running: RunningSupervisor | undefined;
  try {
    running = await prepared.supervisor.start(
      idleApps(variant.count, variant.probes ? checkPort : undefined),
      workDir,
    );
    const reading = await readFootprint(running, timing.settleMs, timing.windowMs);
    return { reading, configText: running.configText };
  } finally {
    await running
      ?.stop()
      .catch((err: unknown) => console.error(`S3: stopping ${prepared.supervisor.subject}:`, err));
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Long configs (200 apps) are cut to their first app, which shows every setting. */
function shortConfig(text: string, count: number): string {
  if (count <= 1) return text;
  const lines = text.split('\n');
  const cut = lines.findIndex((l, i) => i > 0 && /idle-1\b/.test(l));
  const head = cut > 0 ? lines.slice(0, cut).join('\n') : text.slice(0, 2000);
  return `${head}\n… (the same for idle-1 … idle-${count - 1})`;
}

function samplesOf(ms: Measurement[], metric: string, subject: Subject): number[] {
  return ms.find((m) => m.metric === metric && m.subject === subject)?.samples ?? [];
}

function targets(ms: Measurement[], counts: number[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const n of counts) {
    const metric = `S3 RSS, ${variantLabel({ count: n, probes: false })}`;
    out.push(
      ratioTarget(
        `S3 RSS ≤ PM2's, ${n} idle`,
        samplesOf(ms, metric, 'podvisor'),
        samplesOf(ms, metric, 'pm2'),
        1,
      ),
    );
  }
  if (counts.includes(200)) {
    const cpu = samplesOf(ms, `S3 CPU, ${variantLabel({ count: 200, probes: false })}`, 'podvisor');
    const m = median(cpu);
    out.push({
      target: `S3 idle CPU ≤ ${IDLE_CPU_LIMIT} % of a core, 200 containers, no probes`,
      met: cpu.length > 0 && m <= IDLE_CPU_LIMIT,
      detail: cpu.length > 0 ? `podvisor ${m.toFixed(3)} % (limit ${IDLE_CPU_LIMIT} %)` : 'not measured',
    });
  }
  return out;
}

export async function runS3(): Promise<ScenarioReport[]> {
  const counts = envList('BENCH_S3_COUNTS', '1,50,200').map(Number);
  const wanted = new Set(envList('BENCH_S3_SUBJECTS', 'podvisor,pm2,supervisord,monit,bare-loop'));
  const timing = {
    settleMs: envNumber('BENCH_S3_SETTLE_S', 20) * 1000,
    windowMs: envNumber('BENCH_S3_WINDOW_S', 30) * 1000,
  };
  const rounds = Math.max(1, Math.floor(envNumber('BENCH_S3_ROUNDS', 1)));
  const supervisors = allSupervisors().filter((s) => wanted.has(s.subject));
  const prepared = await Promise.all(supervisors.map((s) => prepareOnce(s)));
  const target = await startTargetProcess();
  const measurements: Measurement[] = [];
  const configs: { subject: Subject; text: string }[] = [];
  const notes: string[] = [
    'Idle child: `sleep 3600` for every subject. Checks: GET http://127.0.0.1:PORT/healthz on one HTTP server in its own process (not charged to any subject).',
    `Per reading: all children running, ${timing.settleMs / 1000} s settle, CPU (run time of the supervisor's own processes, /proc/PID/task/TID/schedstat) over ${timing.windowMs / 1000} s, RSS (VmRSS, summed) at the end; ${rounds} round(s), one reading per round.`,
    'Processes counted: podvisor = the `podvisor up` process; PM2 = its God daemon; supervisord = supervisord; monit = monit + its tini subreaper; bare loop = the respawn loop process.',
  ];
  try {
    for (const p of prepared) {
      const subject = p.supervisor.subject;
      if (!p.ok) {
        notes.push(`${subject}: skipped (${p.reason})`);
        for (const count of counts)
          for (const probes of [false, true]) {
            if (probes && !HAS_HTTP_CHECKS.has(subject)) continue;
            const label = variantLabel({ count, probes });
            for (const [metric, unit] of [
              [`S3 RSS, ${label}`, 'MiB'],
              [`S3 CPU, ${label}`, '% of a core'],
            ] as const)
              measurements.push({ metric, subject, unit, samples: [], skipped: p.reason });
          }
        continue;
      }
      notes.push(`${subject}: ${p.version}`);
      for (const count of counts) {
        for (const probes of [false, true]) {
          const label = variantLabel({ count, probes });
          if (probes && !HAS_HTTP_CHECKS.has(subject)) {
            for (const [metric, unit] of [
              [`S3 RSS, ${label}`, 'MiB'],
              [`S3 CPU, ${label}`, '% of a core'],
            ] as const)
              measurements.push({ metric, subject, unit, samples: [], skipped: 'no HTTP checks' });
            continue;
          }
          const rss: number[] = [];
          const cpu: number[] = [];
          let failure: string | undefined;
          for (let round = 0; round < rounds && failure === undefined; round++) {
            try {
              const { reading, configText } = await measureSubject(p, { count, probes }, target.port, timing);
              rss.push(reading.rssMiB);
              cpu.push(reading.cpuPercent);
              console.error(
                `S3 ${subject} ${label}: RSS ${reading.rssMiB.toFixed(1)} MiB, CPU ${reading.cpuPercent.toFixed(3)} %`,
              );
              if (round === 0 && count === Math.max(...counts) && (probes || !HAS_HTTP_CHECKS.has(subject)))
                configs.push({ subject, text: shortConfig(configText, count) });
            } catch (err) {
              failure = `failed: ${(err as Error).message}`;
              console.error(`S3 ${subject} ${label}: ${failure}`);
            }
          }
          const skipped = failure !== undefined && rss.length === 0 ? { skipped: failure } : {};
          measurements.push({ metric: `S3 RSS, ${label}`, subject, unit: 'MiB', samples: rss, ...skipped });
          measurements.push({
            metric: `S3 CPU, ${label}`,
            subject,
            unit: '% of a core',
            samples: cpu,
            ...skipped,
          });
        }
      }
    }
  } finally {
    target.child.kill();
  }
  return [
    {
      id: 'S3',
      title:
        'S3 supervisor footprint: RSS and CPU with idle children (sleep 3600), without and with an HTTP liveness check each at 1 s',
      measurements,
      targets: targets(measurements, counts),
      configs,
      notes,
      rerun: 'npm run build && npm run bench -- s3',
    },
  ];
}
