/**
 * Soak (issue 7 item 4): a crash-looping pod at maximum churn (the node-wide back-off made tiny
 * with --crash-loop-backoff-initial / --max-container-restart-period) against a real
 * `podvisor up`, sampled from outside every few seconds: RSS and open fds from /proc, Event rows
 * through the API, and the timers and other handles keeping podvisor's event loop alive (from
 * active-resources.mjs, preloaded into the node). After a warm-up, none of them may grow beyond
 * its bound. `npm run bench -- soak` runs 10 minutes (BENCH_SOAK_SECONDS); CI runs 2 minutes in
 * test/reliability/soak.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fdCount, rssMiB } from './proc-stats.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = join(HERE, '..', '..', 'bin', 'podvisor.js');
const PRELOAD = pathToFileURL(join(HERE, 'active-resources.mjs')).href;

export interface SoakOptions {
  durationMs: number;
  /** Samples before this are the warm-up; growth is measured from the first sample after it. */
  warmupMs: number;
  sampleEveryMs: number;
  /** Crash-looping pods (default 1). */
  pods?: number;
  /** Back-off of the node (default 100ms both: a restart as soon as the kubelet can). */
  backoff?: string;
  /** Marker put in every container's argv, for cleanup by the caller. */
  marker?: string;
  onSample?: (s: SoakSample) => void;
}

export interface SoakSample {
  /** Seconds since the pods were created. */
  t: number;
  rssMiB: number;
  fds: number;
  events: number;
  /** Active `Timeout` resources of podvisor's event loop; NaN before the first report. */
  timers: number;
  /** All active resources (timers, sockets, pipes, fs requests). */
  handles: number;
  restarts: number;
}

export interface SoakResult {
  samples: SoakSample[];
  /** First sample at or after the warm-up, and the last one. */
  warm: SoakSample;
  end: SoakSample;
  /** Largest values after the warm-up. */
  peak: { rssMiB: number; fds: number; timers: number; handles: number; events: number };
  podvisorStderr: string;
}

interface ApiInfo {
  server: string;
  token: string;
  pid: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForApi(stateDir: string, child: ChildProcess, timeoutMs: number): Promise<ApiInfo> {
  const deadline = Date.now() + timeoutMs;
  const file = join(stateDir, 'api.json');
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`podvisor up exited (${child.exitCode}) before serving`);
    if (existsSync(file)) {
      try {
        const info = JSON.parse(readFileSync(file, 'utf8')) as ApiInfo;
        if (info.pid === child.pid) return info;
      } catch {
        // being written
      }
    }
    await sleep(100);
  }
  throw new Error(`podvisor up did not serve within ${timeoutMs} ms`);
}

async function api<T>(info: ApiInfo, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${info.server}${path}`, {
    method,
    headers: { Authorization: `Bearer ${info.token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

function crashPod(name: string, marker: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'boom', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 1', marker] }],
    },
  };
}

function readResources(file: string): { timers: number; handles: number } {
  try {
    const { counts } = JSON.parse(readFileSync(file, 'utf8')) as { counts: Record<string, number> };
    const handles = Object.values(counts).reduce((a, b) => a + b, 0);
    return { timers: counts.Timeout ?? 0, handles };
  } catch {
    return { timers: Number.NaN, handles: Number.NaN };
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'podvisor-soak-'));
  const resources = join(stateDir, 'active-resources.json');
  const backoff = opts.backoff ?? '100ms';
  const marker = opts.marker ?? `pv-soak-${process.pid}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PODVISOR_SOAK_RESOURCES: resources };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.PODVISOR_STATE_DIR;
  const args = ['--import', PRELOAD, BIN, 'up', '--state-dir', stateDir, '--listen', '127.0.0.1:0'];
  args.push('--crash-loop-backoff-initial', backoff, '--max-container-restart-period', backoff);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    // Keep the last 64 KiB: enough to explain a failure, bounded over a long soak.
    stderr = (stderr + c.toString('utf8')).slice(-65536);
  });
  try {
    const info = await waitForApi(stateDir, child, 30_000);
    const pods = opts.pods ?? 1;
    const names = Array.from({ length: pods }, (_, i) => `soak-${i}`);
    for (const name of names)
      await api(info, 'POST', '/api/v1/namespaces/default/pods', crashPod(name, marker));
    const started = Date.now();
    const samples: SoakSample[] = [];
    for (;;) {
      const t = (Date.now() - started) / 1000;
      const events = await api<{ items: unknown[] }>(info, 'GET', '/api/v1/events');
      const list = await api<{
        items: { status?: { containerStatuses?: { restartCount?: number }[] } }[];
      }>(info, 'GET', '/api/v1/namespaces/default/pods');
      const restarts = list.items.reduce(
        (sum, p) => sum + (p.status?.containerStatuses?.[0]?.restartCount ?? 0),
        0,
      );
      const sample: SoakSample = {
        t,
        rssMiB: rssMiB(info.pid),
        fds: fdCount(info.pid),
        events: events.items.length,
        ...readResources(resources),
        restarts,
      };
      if (child.exitCode !== null)
        throw new Error(`podvisor up exited (${child.exitCode}) during the soak: ${stderr}`);
      samples.push(sample);
      opts.onSample?.(sample);
      if (t * 1000 >= opts.durationMs) break;
      await sleep(Math.min(opts.sampleEveryMs, opts.durationMs - t * 1000 + 1));
    }
    const afterWarmup = samples.filter((s) => s.t * 1000 >= opts.warmupMs);
    const warm = afterWarmup[0] ?? (samples.at(-1) as SoakSample);
    const end = samples.at(-1) as SoakSample;
    const max = (f: (s: SoakSample) => number): number =>
      Math.max(...afterWarmup.map(f).filter((v) => !Number.isNaN(v)));
    return {
      samples,
      warm,
      end,
      peak: {
        rssMiB: max((s) => s.rssMiB),
        fds: max((s) => s.fds),
        timers: max((s) => s.timers),
        handles: max((s) => s.handles),
        events: max((s) => s.events),
      },
      podvisorStderr: stderr,
    };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(killer);
    }
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The samples as a table (one row per sample), for the benchmark's output. */
export function soakTable(result: SoakResult): string {
  const head = ['t (s)', 'RSS MiB', 'fds', 'timers', 'handles', 'events', 'restarts'];
  const rows = result.samples.map((s) => [
    s.t.toFixed(0),
    s.rssMiB.toFixed(1),
    String(s.fds),
    String(s.timers),
    String(s.handles),
    String(s.events),
    String(s.restarts),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** `npm run bench -- soak`: 10 minutes by default, a table of samples and the growth after warm-up. */
export async function benchSoak(): Promise<string[][]> {
  const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
  const result = await runSoak({
    durationMs: seconds * 1000,
    warmupMs: Math.min(60_000, (seconds * 1000) / 4),
    sampleEveryMs: Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 10) * 1000,
    pods: Number(process.env.BENCH_SOAK_PODS ?? 1),
    // Progress on stderr: the table comes at the end of a 10-minute run.
    onSample: (s) =>
      console.error(
        `soak t=${s.t.toFixed(0)}s rss=${s.rssMiB.toFixed(1)}MiB fds=${s.fds} timers=${s.timers} events=${s.events} restarts=${s.restarts}`,
      ),
  });
  console.log(`\nsoak: ${seconds} s, crash loop at 100ms back-off\n${soakTable(result)}`);
  const { warm, end, peak } = result;
  return [
    [
      `soak ${seconds}s (crash loop, ${end.restarts} restarts)`,
      `RSS ${warm.rssMiB.toFixed(1)} → ${end.rssMiB.toFixed(1)} MiB (peak ${peak.rssMiB.toFixed(1)}) after ${warm.t.toFixed(0)} s warm-up; ` +
        `fds ${warm.fds} → ${end.fds}; timers ${warm.timers} → ${end.timers} (peak ${peak.timers}); events ${warm.events} → ${end.events}`,
      'rerun: npm run bench -- soak (BENCH_SOAK_SECONDS, BENCH_SOAK_PODS, BENCH_SOAK_SAMPLE_SECONDS)',
    ],
  ];
}
