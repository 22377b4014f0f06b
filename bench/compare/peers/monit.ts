/**
 * monit 5.33 from Debian (apt-get install -y monit tini, as root; skipped otherwise), in the
 * foreground (-I) under `tini -s`: monit's start program is a wrapper that backgrounds the app and
 * writes its pidfile (monit watches pidfiles, it does not keep children), so the app is orphaned
 * and a subreaper must reap it. Fastest settings: `set daemon 1` (a 1 s cycle is monit's minimum)
 * and `start program ... with timeout 1 seconds`: monit pauses a process's connection tests while
 * its uptime is below the start timeout (30 s by default; validate.c "connection test paused ...
 * while the process is starting"), so the timeout is the shortest pause after each restart.
 * The HTTP check: `if failed port N protocol http request "/healthz" with timeout T seconds for
 * F cycles then restart` (F = failureThreshold, T = timeoutSeconds; the cycle is the period).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec, PeerSupervisor, RunningSupervisor } from '../peer-types.js';
import {
  appEnv,
  commandPath,
  ensureDebianCommands,
  findAppPids,
  onBenchExit,
  run,
  shQuote,
  signalAll,
  stopPid,
  supervisorEnv,
  waitForPidFile,
  waitForApps,
} from './process-tools.js';

function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** Writes the monitrc and the start/stop wrappers; returns the monitrc text. */
export function writeMonitConfig(apps: AppSpec[], workDir: string): { file: string; text: string } {
  for (const d of ['logs', 'pids', 'scripts']) mkdirSync(join(workDir, d), { recursive: true });
  const lines = [
    'set daemon 1',
    'set init',
    `set logfile ${join(workDir, 'monit.log')}`,
    `set pidfile ${join(workDir, 'monit.pid')}`,
    `set idfile ${join(workDir, 'monit.id')}`,
    `set statefile ${join(workDir, 'monit.state')}`,
    '',
  ];
  for (const a of apps) {
    const pidFile = join(workDir, 'pids', `${a.name}.pid`);
    const start = join(workDir, 'scripts', `start-${a.name}.sh`);
    const stop = join(workDir, 'scripts', `stop-${a.name}.sh`);
    const exports = Object.entries(appEnv(a, workDir))
      .map(([k, v]) => `export ${k}=${shQuote(v)}`)
      .join('\n');
    // monit starts programs with a minimal environment, so the wrapper sets the app's own
    writeScript(
      start,
      `${exports}\n${a.argv.map(shQuote).join(' ')} >>${shQuote(join(workDir, 'logs', `${a.name}.log`))} 2>&1 </dev/null &\necho $! >${shQuote(pidFile)}`,
    );
    writeScript(stop, `kill -TERM "$(cat ${shQuote(pidFile)})" 2>/dev/null\nexit 0`);
    lines.push(
      `check process ${a.name} with pidfile ${pidFile}`,
      `  start program = "${start}" with timeout 1 seconds`,
      `  stop program = "${stop}" with timeout 2 seconds`,
    );
    const c = a.httpCheck;
    if (c && a.port !== undefined)
      lines.push(
        `  if failed port ${a.port} protocol http request "${c.path}" with timeout ${c.timeoutSeconds} seconds for ${c.failureThreshold} cycles then restart`,
      );
    lines.push('');
  }
  const file = join(workDir, 'monitrc');
  const text = lines.join('\n');
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600); // monit refuses a control file others can read
  return { file, text };
}

export const monit: PeerSupervisor = {
  subject: 'monit',
  async prepare() {
    const missing = await ensureDebianCommands({ monit: 'monit', tini: 'tini' });
    if (missing) return { ok: false, reason: missing };
    const res = await run([commandPath('monit')!, '-V']);
    return { ok: true, version: res.output.trim().split('\n')[0] ?? 'monit' };
  },
  async start(apps: AppSpec[], workDir: string): Promise<RunningSupervisor> {
    const periods = new Set(apps.map((a) => a.httpCheck?.periodSeconds).filter((p) => p !== undefined));
    if ([...periods].some((p) => p !== 1))
      throw new Error(
        'monit peer: httpCheck.periodSeconds must be 1 (monit checks every cycle: `set daemon 1`)',
      );
    const { file, text } = writeMonitConfig(apps, workDir);
    const monitBin = commandPath('monit')!;
    const check = await run([monitBin, '-t', '-c', file]);
    if (check.code !== 0) throw new Error(`monit -t -c ${file} rejected the config: ${check.output.trim()}`);
    const argv = [commandPath('tini')!, '-s', '--', monitBin, '-I', '-c', file];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: supervisorEnv(),
    });
    const tiniPid = child.pid!;
    // monit leaves its backgrounded apps behind when it quits: those are ended too
    const forget = onBenchExit(() => signalAll([tiniPid, ...findAppPids(workDir).values()]));
    const daemon = await waitForPidFile(join(workDir, 'monit.pid'), 'monit');
    await waitForApps(workDir, apps, 60_000);
    return {
      subject: 'monit',
      supervisorPids: () => [tiniPid, daemon],
      appPids: async () => findAppPids(workDir),
      configText: `${argv.join(' ')}\n${text}`,
      async stop() {
        // monit leaves its (orphaned, backgrounded) apps running when it quits: end them too
        const apps = [...findAppPids(workDir).values()];
        await stopPid(tiniPid, 10_000);
        await Promise.all(apps.map((pid) => stopPid(pid, 2_000)));
        await Promise.all([...findAppPids(workDir).values()].map((pid) => stopPid(pid, 2_000)));
        forget();
      },
    };
  },
};
