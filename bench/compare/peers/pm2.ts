/**
 * PM2 7.0.4, installed on demand into the gitignored bench/.peers/pm2 (never the project's
 * package.json), run with its own PM2_HOME in the run's work directory and ended with `pm2 kill`.
 * Restart tuned for speed: autorestart, restart_delay 0, no exp_backoff_restart_delay, and
 * min_uptime/max_restarts such that it never stops restarting ("errored") during a bench.
 * The app is spawned directly (`interpreter: 'none'`, script = the node binary) rather than
 * through PM2's ProcessContainerFork wrapper, which loads PM2 code into the app before it starts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec, PeerSupervisor, RunningSupervisor } from '../peer-types.js';
import {
  appEnv,
  findAppPids,
  onBenchExit,
  PEERS_DIR,
  run,
  signalAll,
  stopPid,
  supervisorEnv,
  waitForApps,
} from './process-tools.js';

export const PM2_VERSION = '7.0.4';
const PREFIX = join(PEERS_DIR, 'pm2');
const PM2_BIN = join(PREFIX, 'node_modules', 'pm2', 'bin', 'pm2');

function installedVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(PREFIX, 'node_modules', 'pm2', 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return undefined;
  }
}

export function pm2Ecosystem(apps: AppSpec[], workDir: string): string {
  const entries = apps.map((a) => ({
    name: a.name,
    script: a.argv[0],
    args: a.argv.slice(1),
    interpreter: 'none',
    exec_mode: 'fork',
    env: appEnv(a, workDir),
    autorestart: true,
    restart_delay: 0,
    // an instance that lives 100 ms counts as a stable start; 1e9 unstable restarts before "errored"
    min_uptime: 100,
    max_restarts: 1_000_000_000,
    kill_timeout: 2_000,
    out_file: '/dev/null',
    error_file: join(workDir, 'logs', `${a.name}.err`),
    pid_file: join(workDir, 'pids', `${a.name}.pid`),
    watch: false,
  }));
  return `module.exports = ${JSON.stringify({ apps: entries }, null, 2)};\n`;
}

export const pm2: PeerSupervisor = {
  subject: 'pm2',
  async prepare() {
    if (installedVersion() !== PM2_VERSION) {
      mkdirSync(PREFIX, { recursive: true });
      const res = await run(
        ['npm', 'install', '--prefix', PREFIX, `pm2@${PM2_VERSION}`, '--no-audit', '--no-fund', '--no-save'],
        { timeoutMs: 300_000 },
      );
      if (res.code !== 0 || installedVersion() !== PM2_VERSION)
        return {
          ok: false,
          reason: `npm install --prefix bench/.peers/pm2 pm2@${PM2_VERSION} failed: ${res.output.trim().split('\n').slice(-2).join(' ')}`,
        };
    }
    return { ok: true, version: `pm2 ${PM2_VERSION}` };
  },
  async start(apps: AppSpec[], workDir: string): Promise<RunningSupervisor> {
    const home = join(workDir, 'pm2-home');
    for (const d of [home, join(workDir, 'logs'), join(workDir, 'pids')]) mkdirSync(d, { recursive: true });
    const file = join(workDir, 'ecosystem.config.cjs');
    const configText = pm2Ecosystem(apps, workDir);
    writeFileSync(file, configText);
    const env = supervisorEnv({ PM2_HOME: home });
    const res = await run([process.execPath, PM2_BIN, 'start', file], { env, timeoutMs: 120_000 });
    if (res.code !== 0)
      throw new Error(`pm2 start ${file} failed (exit ${res.code}): ${res.output.slice(-500)}`);
    const pidFile = join(home, 'pm2.pid');
    if (!existsSync(pidFile)) throw new Error(`pm2 started but wrote no ${pidFile}`);
    const daemon = Number(readFileSync(pidFile, 'utf8').trim());
    const forget = onBenchExit(() => signalAll([daemon, ...findAppPids(workDir).values()]));
    await waitForApps(workDir, apps, 60_000);
    return {
      subject: 'pm2',
      supervisorPids: () => [daemon],
      appPids: async () => findAppPids(workDir),
      configText: `PM2_HOME=${home} pm2 start ${file}\n${configText}`,
      async stop() {
        const killed = await run([process.execPath, PM2_BIN, 'kill'], { env, timeoutMs: 60_000 });
        if (killed.code !== 0) await stopPid(daemon);
        forget();
      },
    };
  },
};
