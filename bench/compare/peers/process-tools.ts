/**
 * Small process helpers shared by the peers: free ports, polling, finding app instances by the
 * marker every peer puts in their environment, and running installers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppSpec } from '../peer-types.js';

/** The checkout root (bench/compare/peers/ is three levels down). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const APPS_DIR = join(REPO_ROOT, 'bench', 'compare', 'apps');
/** Gitignored; peers installed from npm on demand live here. */
export const PEERS_DIR = join(REPO_ROOT, 'bench', '.peers');

/**
 * Every peer starts each app with this variable set to `<workDir name>/<app name>`, so the app
 * instances of one run are found in /proc whatever supervisor (or wrapper shell) spawned them.
 */
export const APP_MARKER_ENV = 'BENCH_COMPARE_APP';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together, then released). */
/** The pid a daemon writes to `pidFile`, once it has (a supervisor's own pid, under tini). */
export function waitForPidFile(pidFile: string, who: string): Promise<number> {
  return waitFor(
    () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined),
    30_000,
    `${who} to write ${pidFile}`,
  );
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((res, rej) => {
          const s = createServer();
          s.once('error', rej);
          s.listen(0, '127.0.0.1', () => res(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const addr = s.address();
    if (addr === null || typeof addr === 'string') throw new Error('freePorts: no TCP address');
    return addr.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * The environment every supervisor is started with (and so passes on to its apps, as they all
 * do): the bench's own, without NODE_EXTRA_CA_CERTS, which makes every Node process parse the
 * whole CA bundle at start-up (~130 ms here against ~20 ms for a bare `node -e ''`), and without
 * NODE_OPTIONS. Every subject's apps then start alike, as the issue's ~65 ms app.
 */
export function supervisorEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

/** The environment a peer gives an app: its own env plus the marker. */
export function appEnv(app: AppSpec, workDir: string): Record<string, string> {
  return { ...app.env, [APP_MARKER_ENV]: `${basename(workDir)}/${app.name}` };
}

/** True while `pid` runs (a zombie counts as gone: it no longer holds its sockets). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * The running app instances of one run, by app name: processes whose environment carries this
 * run's marker, keeping the topmost one when an app or a wrapper shell forked (children inherit it).
 */
export function findAppPids(workDir: string): Map<string, number> {
  const prefix = `${APP_MARKER_ENV}=${basename(workDir)}/`;
  const marked = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    const at = environ.indexOf(prefix);
    if (at === -1 || (at > 0 && environ[at - 1] !== '\0')) continue;
    const end = environ.indexOf('\0', at);
    const pid = Number(entry);
    if (isRunning(pid)) marked.set(pid, environ.slice(at + prefix.length, end === -1 ? undefined : end));
  }
  const byName = new Map<string, number>();
  for (const [pid, name] of marked) {
    const parent = parentOf(pid);
    if (parent !== undefined && marked.get(parent) === name) continue;
    byName.set(name, pid);
  }
  return byName;
}

/** Waits until every app has a running instance. */
export async function waitForApps(workDir: string, apps: AppSpec[], timeoutMs: number): Promise<void> {
  await waitFor(
    () => {
      const pids = findAppPids(workDir);
      return apps.every((a) => pids.has(a.name)) ? true : undefined;
    },
    timeoutMs,
    `${apps.length} app(s) to run`,
    200,
  );
}

export function commandPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  for (const dir of ['/usr/sbin', '/sbin', '/usr/local/sbin']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Runs a command to completion; output is captured for the error message. */
export function run(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((res) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      res({ code: null, output: `${output}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, output });
    });
  });
}

let aptUpdated = false;

/**
 * Makes the Debian packages' commands available (apt-get as root); the reason when it cannot.
 * `needs` maps a command to the package that provides it.
 */
export async function ensureDebianCommands(needs: Record<string, string>): Promise<string | undefined> {
  const missing = Object.entries(needs).filter(([cmd]) => commandPath(cmd) === undefined);
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
  if (process.getuid?.() !== 0)
    return `needs ${pkgs.join(', ')} (apt-get install -y ${pkgs.join(' ')}); not root, so not installed`;
  if (spawnSync('apt-get', ['--version']).status !== 0) return `needs ${pkgs.join(', ')}; apt-get not found`;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let res = await run(['apt-get', 'install', '-y', ...pkgs], { env });
  if (res.code !== 0 && !aptUpdated) {
    aptUpdated = true;
    await run(['apt-get', 'update'], { env });
    res = await run(['apt-get', 'install', '-y', ...pkgs], { env });
  }
  if (res.code !== 0)
    return `apt-get install -y ${pkgs.join(' ')} failed: ${res.output.trim().split('\n').slice(-2).join(' ')}`;
  const still = missing.filter(([cmd]) => commandPath(cmd) === undefined).map(([cmd]) => cmd);
  return still.length
    ? `installed ${pkgs.join(', ')} but ${still.join(', ')} is still not on PATH`
    : undefined;
}

/** Stops a process we started: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(20);
  if (isRunning(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Shell single-quoting for generated wrapper scripts. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const cleanups = new Set<() => void>();
let cleanupInstalled = false;

/**
 * Registers a synchronous last-resort cleanup (signal the supervisor and its apps) that runs if the
 * bench exits or is interrupted (Ctrl-C, SIGTERM) before a scenario's own stop(): a supervisor left
 * behind would keep restarting apps and skew every later measurement. Returns the unregister call.
 */
export function onBenchExit(cleanup: () => void): () => void {
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', () => {
      for (const c of cleanups) {
        try {
          c();
        } catch {
          // best effort: the process is exiting
        }
      }
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** SIGTERM (no wait) to each pid; for an exit handler, where nothing asynchronous runs. */
export function signalAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
