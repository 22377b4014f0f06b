/**
 * supervisord 4.2.5 from Debian (apt-get install -y supervisor tini, as root; skipped otherwise),
 * in the foreground under `tini -s` (a subreaper, as an init system would be: the machine's PID 1
 * reaps orphans slowly). Restart as fast as it allows: autorestart=true, startsecs=0 (no "must
 * stay up N s" wait), startretries large. It restarts on its next main-loop pass (~1 s, not tunable).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec, PeerSupervisor, RunningSupervisor } from '../peer-types.js';
import {
  appEnv,
  commandPath,
  ensureDebianCommands,
  findAppPids,
  onBenchExit,
  run,
  signalAll,
  stopPid,
  supervisorEnv,
  waitForPidFile,
  waitForApps,
} from './process-tools.js';

/** supervisord expands %(name)s in values and splits `command` like a shell (shlex). */
function confValue(s: string): string {
  const escaped = s.replace(/%/g, '%%');
  return /[\s"'\\,]/.test(escaped) ? `"${escaped.replace(/(["\\])/g, '\\$1')}"` : escaped;
}

export function supervisordConf(apps: AppSpec[], workDir: string): string {
  const lines = [
    '[supervisord]',
    'nodaemon=true',
    `logfile=${join(workDir, 'supervisord.log')}`,
    `pidfile=${join(workDir, 'supervisord.pid')}`,
    `childlogdir=${join(workDir, 'logs')}`,
    'loglevel=warn',
    '',
  ];
  for (const a of apps) {
    const env = Object.entries(appEnv(a, workDir))
      .map(([k, v]) => `${k}="${v.replace(/%/g, '%%').replace(/"/g, '\\"')}"`)
      .join(',');
    lines.push(
      `[program:${a.name}]`,
      `command=${a.argv.map(confValue).join(' ')}`,
      `environment=${env}`,
      'autostart=true',
      'autorestart=true',
      'startsecs=0',
      'startretries=1000000',
      'stopsignal=TERM',
      'stopwaitsecs=2',
      'redirect_stderr=true',
      `stdout_logfile=${join(workDir, 'logs', `${a.name}.log`)}`,
      'stdout_logfile_maxbytes=1MB',
      'stdout_logfile_backups=0',
      '',
    );
  }
  return lines.join('\n');
}

export const supervisord: PeerSupervisor = {
  subject: 'supervisord',
  async prepare() {
    const missing = await ensureDebianCommands({ supervisord: 'supervisor', tini: 'tini' });
    if (missing) return { ok: false, reason: missing };
    const res = await run([commandPath('supervisord')!, '--version']);
    return { ok: true, version: `supervisord ${res.output.trim()}` };
  },
  async start(apps: AppSpec[], workDir: string): Promise<RunningSupervisor> {
    mkdirSync(join(workDir, 'logs'), { recursive: true });
    const file = join(workDir, 'supervisord.conf');
    const configText = supervisordConf(apps, workDir);
    writeFileSync(file, configText);
    const argv = [commandPath('tini')!, '-s', '--', commandPath('supervisord')!, '-n', '-c', file];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: supervisorEnv(),
    });
    const tiniPid = child.pid!;
    const forget = onBenchExit(() => signalAll([tiniPid]));
    const daemon = await waitForPidFile(join(workDir, 'supervisord.pid'), 'supervisord');
    await waitForApps(workDir, apps, 60_000);
    return {
      subject: 'supervisord',
      supervisorPids: () => [tiniPid, daemon],
      appPids: async () => findAppPids(workDir),
      configText: `${argv.join(' ')}\n${configText}`,
      async stop() {
        await stopPid(tiniPid, 10_000);
        forget();
      },
    };
  },
};
