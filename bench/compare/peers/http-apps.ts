/**
 * What S1 and S2 share: the HTTP app's start-up calibration (~65 ms from exec to listening, as in
 * the issue), the app specs, and running a subject with its apps healthy in a fresh work directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppSpec, RunningSupervisor } from '../peer-types.js';
import { waitHealthy } from './app-client.js';
import type { PreparedSupervisor } from './index.js';
import { APPS_DIR, freePorts, onBenchExit, sleep, supervisorEnv } from './process-tools.js';

/** The app: "a Node app that needs about 65 ms from exec to listening". */
export const TARGET_STARTUP_MS = 65;
export const HTTP_APP = join(APPS_DIR, 'http-app.mjs');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function connects(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      r(true);
    });
    s.on('error', () => r(false));
  });
}

/** exec → accepting connections of the plain app (no padding), timed from the bench, median of `n`. */
export async function measurePlainStartup(n = 15): Promise<{ medianMs: number; samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const [port] = await freePorts(1);
    const t0 = performance.now();
    const child = spawn(process.execPath, [HTTP_APP], {
      env: supervisorEnv({ PORT: String(port) }),
      stdio: 'ignore',
    });
    while (!(await connects(port!))) await sleep(1);
    samples.push(performance.now() - t0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  return { medianMs: median(samples), samples };
}

let calibration: Promise<{ plainMs: number; padMs: number }> | undefined;

/**
 * The padding (START_DELAY_MS, a timer before listen) that brings the app to ~65 ms from exec to
 * listening on this machine, measured once per bench run.
 */
export function startupCalibration(): Promise<{ plainMs: number; padMs: number }> {
  calibration ??= measurePlainStartup().then(({ medianMs }) => ({
    plainMs: medianMs,
    padMs: Math.max(0, Math.round(TARGET_STARTUP_MS - medianMs)),
  }));
  return calibration;
}

export type HttpCheck = NonNullable<AppSpec['httpCheck']>;

export async function httpApps(
  prefix: string,
  count: number,
  padMs: number,
  httpCheck?: HttpCheck,
): Promise<AppSpec[]> {
  const ports = await freePorts(count);
  return ports.map((port, i) => ({
    name: `${prefix}-${i}`,
    argv: [process.execPath, HTTP_APP],
    env: { PORT: String(port), START_DELAY_MS: String(padMs) },
    port,
    ...(httpCheck ? { httpCheck } : {}),
  }));
}

/**
 * Starts `prepared` with `apps` in a fresh work directory, waits until every app answers
 * /healthz, runs `body`, and always stops the supervisor and removes the directory.
 */
export async function withSupervisor<T>(
  prepared: PreparedSupervisor & { ok: true },
  apps: AppSpec[],
  body: (running: RunningSupervisor) => Promise<T>,
): Promise<T> {
  const workDir = mkdtempSync(join(tmpdir(), `bench-${prepared.supervisor.subject}-`));
  let running: RunningSupervisor | undefined;
  const forget = onBenchExit(() => rmSync(workDir, { recursive: true, force: true }));
  try {
    running = await prepared.supervisor.start(apps, workDir);
    for (const app of apps) await waitHealthy(app.port!, 30_000);
    return await body(running);
  } finally {
    await running?.stop().catch((err: unknown) => {
      process.stderr.write(`bench: stopping ${prepared.supervisor.subject} failed: ${String(err)}\n`);
    });
    rmSync(workDir, { recursive: true, force: true });
    forget();
  }
}

/** A random pause in [0, 1000) ms, so a fault lands at a uniform phase of 1 s supervisor loops. */
export function randomPhase(): Promise<void> {
  return sleep(Math.random() * 1000);
}

/**
 * Load average and the number of processes in /proc: podvisor's exit sweep and monit's cycle both
 * read the whole process table, so thousands of unrelated processes slow them (not the others).
 */
export function loadNote(): string {
  const procs = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  return `${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}, ${procs} processes`;
}

export function reps(envName: string, fallback: number): number {
  const v = Number(process.env[envName] ?? fallback);
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`${envName}=${process.env[envName]}: give a positive integer`);
  return v;
}
