/**
 * The bare Node respawn loop (bench/compare/apps/respawn-loop.mjs): one Node process that respawns
 * each app the moment it exits. Needs nothing but Node.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec, PeerSupervisor, RunningSupervisor } from '../peer-types.js';
import {
  appEnv,
  APPS_DIR,
  findAppPids,
  onBenchExit,
  signalAll,
  stopPid,
  supervisorEnv,
  waitForApps,
} from './process-tools.js';

export const bareLoop: PeerSupervisor = {
  subject: 'bare-loop',
  async prepare() {
    return { ok: true, version: `node ${process.version}` };
  },
  async start(apps: AppSpec[], workDir: string): Promise<RunningSupervisor> {
    const list = apps.map((a) => ({ name: a.name, argv: a.argv, env: appEnv(a, workDir) }));
    const file = join(workDir, 'respawn-loop-apps.json');
    const configText = JSON.stringify(list, null, 2);
    writeFileSync(file, configText);
    const child = spawn(process.execPath, [join(APPS_DIR, 'respawn-loop.mjs'), file], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: supervisorEnv(),
    });
    const pid = child.pid!;
    const forget = onBenchExit(() => signalAll([pid]));
    await waitForApps(workDir, apps, 60_000);
    return {
      subject: 'bare-loop',
      supervisorPids: () => [pid],
      appPids: async () => findAppPids(workDir),
      configText: `node bench/compare/apps/respawn-loop.mjs ${file}\n${configText}`,
      async stop() {
        await stopPid(pid);
        forget();
      },
    };
  },
};
