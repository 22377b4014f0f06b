/**
 * S3 RSS, looked at closely (issue 6): runs `podvisor up` (and PM2, for the same-session ratio)
 * with N idle `sleep 3600` children, without and with an httpGet liveness probe at 1 s each, the
 * way bench/compare/s3-footprint.ts does, but reads RSS once a second over a window and reports
 * the median, plus where podvisor's RSS goes: VmRSS split into anonymous and file-backed pages
 * (/proc/PID/status) and the process's own view (process.memoryUsage and V8's heap spaces, from
 * bench/rss/memory-report.mjs preloaded into the `up` process). CPU over the same window is
 * printed too (indicative only on a shared machine).
 *
 *   npm run build && node --import tsx bench/rss/s3-rss.ts
 * Environment: RSS_COUNTS (1,50,200), RSS_SUBJECTS (podvisor,pm2), RSS_PROBES (no,yes),
 * RSS_SETTLE_S (20), RSS_SAMPLES (10: one a second), RSS_SNAPSHOT_DIR (a heap snapshot of each
 * podvisor reading into that folder), RSS_NODE_FLAGS (extra node flags for `up`, e.g. to try a
 * V8 flag without editing bin/podvisor.js; with `--expose-gc` the breakdown is taken after two
 * full collections, the live heap to compare two builds by), BENCH_PODVISOR_ROOT (a podvisor
 * checkout with its own bin/ and dist/ to measure instead of this one).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTargetProcess } from '../harness.js';
import type { AppSpec, PeerSupervisor, RunningSupervisor } from '../compare/peer-types.js';
import { commandPath, podvisorPeer, pm2, sleep } from '../compare/peers/index.js';
import { median } from '../compare/report.js';

const REPORT_PRELOAD = fileURLToPath(new URL('./memory-report.mjs', import.meta.url));
const MIB = 1024 * 1024;

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function statusKiB(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  for (const m of text.matchAll(/^(VmRSS|RssAnon|RssFile|RssShmem|VmHWM):\s+(\d+) kB/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

/** Run time of every thread of the process (GC helpers and the libuv pool included), in ns. */
function cpuNanos(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

interface MemoryReport {
  memoryUsage: NodeJS.MemoryUsage;
  afterGc: boolean;
  status: { VmRSS: number; RssAnon: number; RssFile: number };
  spaces: Record<string, { size: number; used: number }>;
  snapshot?: string;
}

async function memoryReport(pid: number, file: string): Promise<MemoryReport | undefined> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as MemoryReport;
    } catch {
      await sleep(100);
    }
  }
  return undefined;
}

function idleApps(count: number, port: number | undefined): AppSpec[] {
  const sleepBin = commandPath('sleep');
  if (!sleepBin) throw new Error('needs `sleep` on PATH');
  return Array.from({ length: count }, (_, i) => ({
    name: `idle-${i}`,
    argv: [sleepBin, '3600'],
    env: {},
    ...(port !== undefined
      ? { port, httpCheck: { path: '/healthz', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 3 } }
      : {}),
  }));
}

const mib = (bytes: number): string => (bytes / MIB).toFixed(1);

async function reading(
  peer: PeerSupervisor,
  count: number,
  probePort: number | undefined,
  settleMs: number,
  samples: number,
): Promise<string> {
  const workDir = mkdtempSync(join(tmpdir(), `bench-rss-${peer.subject}-`));
  const reportFile = join(workDir, 'memreport.json');
  process.env.PODVISOR_MEMREPORT = reportFile;
  let running: RunningSupervisor | undefined;
  try {
    running = await peer.start(idleApps(count, probePort), workDir);
    await sleep(settleMs);
    const pids = running.supervisorPids();
    const rss: number[] = [];
    const cpu0 = pids.reduce((s, p) => s + cpuNanos(p), 0);
    const t0 = performance.now();
    let last: Record<string, number> = {};
    for (let i = 0; i < samples; i++) {
      last = pids.map(statusKiB).reduce((a, b) => {
        for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
        return a;
      }, {});
      rss.push(last.VmRSS! / 1024);
      await sleep(1000);
    }
    const cpuPct =
      ((pids.reduce((s, p) => s + cpuNanos(p), 0) - cpu0) / 1e6 / (performance.now() - t0)) * 100;
    let line =
      `${peer.subject.padEnd(8)} N=${String(count).padStart(3)} ${probePort !== undefined ? 'probes' : 'idle  '}` +
      ` RSS median ${median(rss).toFixed(1)} MiB (min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)})` +
      ` anon ${(last.RssAnon! / 1024).toFixed(1)} file ${(last.RssFile! / 1024).toFixed(1)} hwm ${(last.VmHWM! / 1024).toFixed(1)}` +
      ` CPU ${cpuPct.toFixed(3)} % load ${loadavg()[0]!.toFixed(2)}`;
    if (peer.subject === 'podvisor') {
      const r = await memoryReport(pids[0]!, reportFile);
      if (r) {
        const u = r.memoryUsage;
        const spaces = Object.entries(r.spaces)
          .filter(([, s]) => s.size > 0)
          .map(([name, s]) => `${name.replace(/_space$/, '')} ${mib(s.used)}/${mib(s.size)}`)
          .join(', ');
        const gc = r.afterGc
          ? `after gc(): RSS ${(r.status.VmRSS / 1024).toFixed(1)} anon ${(r.status.RssAnon / 1024).toFixed(1)} | `
          : '';
        line +=
          `\n           ${gc}heapTotal ${mib(u.heapTotal)} heapUsed ${mib(u.heapUsed)} external ${mib(u.external)}` +
          ` arrayBuffers ${mib(u.arrayBuffers)} | ${spaces}${r.snapshot ? `\n           snapshot ${r.snapshot}` : ''}`;
      }
    }
    return line;
  } finally {
    await running?.stop().catch((err: unknown) => console.error(`stopping ${peer.subject}:`, err));
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const counts = list('RSS_COUNTS', '1,50,200').map(Number);
  const subjects = new Set(list('RSS_SUBJECTS', 'podvisor,pm2'));
  const probeVariants = list('RSS_PROBES', 'no,yes');
  const settleMs = Number(process.env.RSS_SETTLE_S ?? 20) * 1000;
  const samples = Number(process.env.RSS_SAMPLES ?? 10);
  const snapshotDir = process.env.RSS_SNAPSHOT_DIR;
  const flags = [`--import=${REPORT_PRELOAD}`, ...(process.env.RSS_NODE_FLAGS?.split(/\s+/) ?? [])];
  process.env.BENCH_PODVISOR_NODE_OPTIONS = flags.filter((f) => f !== '').join(' ');
  if (snapshotDir) process.env.PODVISOR_MEMREPORT_SNAPSHOT = snapshotDir;
  const peers: PeerSupervisor[] = [];
  if (subjects.has('podvisor')) peers.push(podvisorPeer());
  if (subjects.has('pm2')) peers.push(pm2);
  for (const p of peers) {
    const prepared = await p.prepare();
    if (!prepared.ok) throw new Error(`${p.subject}: ${prepared.reason}`);
  }
  const target = await startTargetProcess();
  try {
    for (const count of counts)
      for (const peer of peers)
        for (const variant of probeVariants) {
          if (variant === 'yes' && peer.subject !== 'podvisor') continue;
          const port = variant === 'yes' ? target.port : undefined;
          console.log(await reading(peer, count, port, settleMs, samples));
        }
  } finally {
    target.child.kill();
  }
}

await main();
