import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event, Pod } from '../../api/types.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { printPodsTable } from '../printers/pods-table.js';
import { runNode, type UpOptions } from './up.js';

export interface DemoOptions {
  /** Milliseconds; the demo ends after this even if the story was not seen. */
  duration?: number;
  listen?: string;
  plain?: boolean;
}

export const DEFAULT_DEMO_DURATION_MS = 60_000;
/** Time left after the story was seen, so the restarted containers show up as started. */
const STORY_SETTLE_MS = 3_000;

/** The package root: the nearest folder upwards holding podvisor's package.json. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'podvisor') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new CliError(
        'error: cannot find the podvisor package (its package.json) to load examples/demo from: reinstall podvisor',
      );
    dir = parent;
  }
}

/**
 * Watches for the two things the demo is about: a liveness-probe restart and a CrashLoopBackOff.
 */
export class DemoStory {
  livenessRestart = false;
  crashLoop = false;
  private resolveSeen!: () => void;
  readonly seen = new Promise<void>((r) => (this.resolveSeen = r));

  onEvent(ev: Event): void {
    if (ev.reason === 'Killing' && (ev.message ?? '').includes('failed liveness probe'))
      this.livenessRestart = true;
    if (ev.reason === 'BackOff') this.crashLoop = true;
    this.check();
  }

  onPod(pod: Pod): void {
    const statuses = pod.status?.containerStatuses ?? [];
    if (statuses.some((s) => s.state?.waiting?.reason === 'CrashLoopBackOff')) this.crashLoop = true;
    this.check();
  }

  private check(): void {
    if (this.livenessRestart && this.crashLoop) this.resolveSeen();
  }
}

/**
 * `podvisor demo`: a node on examples/demo in a temporary state directory, streaming what happens,
 * until the self-healing story has been shown or `--duration` is up; then `get pods` and a clean stop.
 */
export async function runDemo(ctx: CommandContext, opts: DemoOptions): Promise<number> {
  const demoDir = join(packageRoot(), 'examples', 'demo');
  if (!existsSync(demoDir))
    throw new CliError(`error: the demo manifests are missing (${demoDir}): reinstall podvisor`);
  const own = ctx.globals.stateDir === undefined;
  const stateDir = own
    ? await mkdtemp(join(tmpdir(), 'podvisor-demo-'))
    : resolve(ctx.globals.stateDir ?? '');
  const duration = opts.duration ?? DEFAULT_DEMO_DURATION_MS;
  const story = new DemoStory();
  const upOptions: UpOptions = {
    listen: opts.listen ?? '127.0.0.1:0',
    ...(opts.plain ? { plain: true } : {}),
  };
  ctx.io.stdout.write(
    'podvisor demo: three pods, each showing one kubelet behaviour —\n' +
      '  demo-web      a liveness probe sees HTTP 500s and the container is restarted\n' +
      '  demo-crasher  a container that exits at once goes into CrashLoopBackOff\n' +
      '  demo-flap     a readiness probe takes a backend out of service and back\n' +
      `In another terminal: podvisor --state-dir ${stateDir} get pods -w   (Ctrl-C ends the demo)\n\n`,
  );
  try {
    return await runNode(ctx, {
      files: [demoDir],
      stateDir,
      quietWarnings: true,
      workingDirBase: demoDir,
      opts: upOptions,
      observer: { onEvent: (ev) => story.onEvent(ev), onPod: (pod) => story.onPod(pod) },
      until: () =>
        Promise.race([
          story.seen.then(() => new Promise<void>((r) => setTimeout(r, STORY_SETTLE_MS))),
          new Promise<void>((r) => setTimeout(r, duration).unref()),
        ]),
      beforeStop: (node) => {
        const pods = node.store.list<Pod & { kind: string; apiVersion: string; metadata: { name: string } }>(
          'pods',
        ).items;
        ctx.io.stdout.write(`\n$ podvisor get pods\n${printPodsTable(pods, Date.now())}\n`);
        if (!story.livenessRestart || !story.crashLoop) {
          ctx.io.stdout.write(
            `(the demo's ${Math.round(duration / 1000)}s were up before both a liveness restart and a CrashLoopBackOff were seen)\n`,
          );
        }
      },
    });
  } finally {
    if (own) await rm(stateDir, { recursive: true, force: true }).catch(() => {});
  }
}
