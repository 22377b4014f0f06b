/**
 * podvisor itself behind the same interface as the peers: a real `podvisor up` process (the
 * compiled CLI, run as users run it: bin/podvisor.js with its shebang's V8 flags) in a private
 * state directory, with each app as a Pod. `hostNetwork: true` puts the pod on 127.0.0.1, so the
 * app listens where the peers' apps do and the httpGet probe hits 127.0.0.1:PORT like monit's check.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec, PeerSupervisor, RunningSupervisor } from '../peer-types.js';
import {
  appEnv,
  findAppPids,
  onBenchExit,
  REPO_ROOT,
  signalAll,
  stopPid,
  supervisorEnv,
  waitFor,
  waitForApps,
} from './process-tools.js';

/**
 * BENCH_PODVISOR_ROOT: another podvisor checkout (with its own bin/ and dist/), to measure a fixed
 * build (e.g. `git archive HEAD` built in /tmp) while the working tree's dist/ keeps changing.
 */
const PODVISOR_ROOT = process.env.BENCH_PODVISOR_ROOT?.trim() || REPO_ROOT;
const BIN = join(PODVISOR_ROOT, 'bin', 'podvisor.js');
const COMPILED = join(PODVISOR_ROOT, 'dist', 'src', 'cli', 'main.js');

/**
 * BENCH_PODVISOR_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) runs the node binary
 * with the bin's shebang flags plus these, to profile the `up` process of a scenario.
 */
function upCommand(args: string[]): string[] {
  const extra = process.env.BENCH_PODVISOR_NODE_OPTIONS?.trim();
  if (!extra) return [BIN, ...args];
  const shebang = readFileSync(BIN, 'utf8').split('\n')[0] ?? '';
  const flags = shebang.split(/\s+/).filter((f) => f.startsWith('--'));
  return [process.execPath, ...flags, ...extra.split(/\s+/), BIN, ...args];
}

export interface PodvisorPodOptions {
  /** terminationGracePeriodSeconds of each pod (the apps exit on SIGTERM at once). */
  terminationGracePeriodSeconds?: number;
}

export function podManifests(apps: AppSpec[], workDir: string, opts: PodvisorPodOptions = {}): string {
  return apps
    .map((a) => {
      const env = Object.entries(appEnv(a, workDir)).map(([name, value]) => ({ name, value }));
      const c = a.httpCheck;
      const probe =
        c && a.port !== undefined
          ? `\n      livenessProbe:\n        httpGet: {path: ${JSON.stringify(c.path)}, port: ${a.port}}\n` +
            `        periodSeconds: ${c.periodSeconds}\n        timeoutSeconds: ${c.timeoutSeconds}\n` +
            `        failureThreshold: ${c.failureThreshold}`
          : '';
      return `apiVersion: v1
kind: Pod
metadata: {name: ${a.name}}
spec:
  hostNetwork: true
  restartPolicy: Always
  terminationGracePeriodSeconds: ${opts.terminationGracePeriodSeconds ?? 2}
  containers:
    - name: app
      image: node
      command: ${JSON.stringify(a.argv)}
      env: ${JSON.stringify(env)}${probe}
`;
    })
    .join('---\n');
}

export function podvisorPeer(opts: PodvisorPodOptions = {}): PeerSupervisor {
  return {
    subject: 'podvisor',
    async prepare() {
      if (!existsSync(COMPILED))
        return { ok: false, reason: `${COMPILED} is missing: run \`npm run build\` first` };
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      return { ok: true, version: `podvisor ${pkg.version} (dist/)` };
    },
    async start(apps: AppSpec[], workDir: string): Promise<RunningSupervisor> {
      const file = join(workDir, 'pods.yaml');
      const configText = podManifests(apps, workDir, opts);
      writeFileSync(file, configText);
      const stateDir = join(workDir, 'state');
      // BENCH_PODVISOR_UP_ARGS: extra `up` flags, e.g. `--process-containment scan` to compare modes.
      const extra = (process.env.BENCH_PODVISOR_UP_ARGS ?? '').split(/\s+/).filter(Boolean);
      const argv = upCommand([
        'up',
        '-f',
        file,
        '--state-dir',
        stateDir,
        '--listen',
        '127.0.0.1:0',
        ...extra,
      ]);
      // its stderr (warnings such as "image is recorded but not pulled") goes to a log, not the table
      const log = join(workDir, 'podvisor-up.log');
      const logFd = openSync(log, 'w');
      const child = spawn(argv[0]!, argv.slice(1), {
        stdio: ['ignore', 'ignore', logFd],
        env: supervisorEnv(),
      });
      closeSync(logFd);
      const pid = child.pid!;
      const forget = onBenchExit(() => signalAll([pid]));
      let exited = false;
      child.once('exit', () => (exited = true));
      await waitFor(
        () => {
          if (exited)
            throw new Error(
              `podvisor up exited early (${argv.join(' ')}): ${readFileSync(log, 'utf8').slice(-1000)}`,
            );
          return existsSync(join(stateDir, 'api.json')) ? true : undefined;
        },
        60_000,
        'podvisor up to serve (api.json)',
        50,
      );
      await waitForApps(workDir, apps, 120_000);
      return {
        subject: 'podvisor',
        supervisorPids: () => [pid],
        appPids: async () => findAppPids(workDir),
        configText: `${argv.join(' ')}\n${configText}`,
        async stop() {
          await stopPid(pid, 30_000);
          forget();
        },
      };
    },
  };
}
