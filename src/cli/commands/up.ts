import { hostname } from 'node:os';
import { loadManifests } from '../../api/manifests.js';
import type { KubeObject } from '../../api/types.js';
import type { ActivityObserver } from '../activity.js';
import type { CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import type { RunningNode } from '../node.js';
import { resolveStateDir } from '../state-dir.js';
import { manifestErrors } from './manifest-input.js';

export interface UpOptions {
  filename?: string[];
  listen?: string;
  nodeName?: string;
  /** Milliseconds (from a Go duration flag). */
  crashLoopBackoffInitial?: number;
  maxContainerRestartPeriod?: number;
  /** `--crash-loop-backoff-reset`: an instance that ran longer resets its back-off (default 600 s). */
  crashLoopBackoffReset?: number;
  /** `--nodes N` virtual nodes; --node-monitor-grace-period / --pod-eviction-timeout in ms. */
  nodes?: number;
  nodeMonitorGracePeriod?: number;
  podEvictionTimeout?: number;
  /** `--container-log-max-size` in bytes and `--container-log-max-files` (kubelet: 10Mi and 5). */
  containerLogMaxSize?: number;
  containerLogMaxFiles?: number;
  plain?: boolean;
  /** `--process-containment auto|cgroup|scan` (runtime/cgroup.ts). */
  processContainment?: 'auto' | 'cgroup' | 'scan';
  /** `--allow-remote`: listen on an address other than loopback (SECURITY.md §4). */
  allowRemote?: boolean;
}

export const DEFAULT_LISTEN = '127.0.0.1:6443';
export const DEFAULT_BACKOFF_INITIAL_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

/** `HOST:PORT`, `:PORT` (loopback) or `[v6]:PORT`; port 0 picks a free one. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw usageError(
      `error: --listen ${JSON.stringify(text)} is not HOST:PORT: pass e.g. 127.0.0.1:6443, or 127.0.0.1:0 for any free port`,
    );
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and `localhost`: addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || /^0*:(0*:)*0*:0*1$/.test(h)) return true;
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  return v4 !== null && v4.slice(1).every((o) => Number(o) <= 255) && Number(v4[1]) === 127;
}

/**
 * A listen address other than loopback needs `--allow-remote`: the API runs commands as this
 * user for whoever holds the token, and its http:// side sends that token in clear text.
 */
export function checkListenHost(host: string, port: number, allowRemote: boolean): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!allowRemote) {
    throw usageError(
      `error: --listen ${where} is not a loopback address: other machines could reach the API, which runs any ` +
        `command as this user for whoever holds the token, and whose http:// side sends that token unencrypted. ` +
        `Pass --allow-remote to listen there anyway, or listen on loopback (e.g. --listen 127.0.0.1:${port})`,
    );
  }
  return (
    `podvisor: WARNING: --allow-remote: the API listens on ${where}, reachable from other machines. ` +
    `Whoever holds the token can run any command as this user here: keep the token secret, use the ` +
    `https:// side of the port (http:// sends the token unencrypted), and firewall the port to the machines that need it.\n`
  );
}

/** The default node name is the host's, lower-cased, as the kubelet's is. */
export function defaultNodeName(): string {
  return hostname().toLowerCase() || 'podvisor';
}

/** A node run: `up` waits for Ctrl-C, `demo` also for its story; both stop the same way. */
export interface NodeSession {
  files: string[];
  stateDir: string;
  opts: UpOptions;
  observer?: ActivityObserver;
  /** Resolves when the session should end by itself (demo); `up` never does. */
  until?: (node: RunningNode) => Promise<void>;
  /** Base of relative `workingDir`s; the demo's manifests are relative to their own folder. */
  workingDirBase?: string;
  /** The demo's own manifests need no warnings about their images. */
  quietWarnings?: boolean;
  /** Runs after `until` resolved, before the node stops (demo prints `get pods`). */
  beforeStop?: (node: RunningNode) => void;
  /** In a terminal (and without --plain), a live table of pods and events instead of the stream. */
  liveView?: boolean;
}

export async function runNode(ctx: CommandContext, session: NodeSession): Promise<number> {
  const { io } = ctx;
  const { opts } = session;
  const { host, port } = parseListen(opts.listen ?? DEFAULT_LISTEN);
  const remoteWarning = checkListenHost(host, port, opts.allowRemote === true);
  const initialMs = opts.crashLoopBackoffInitial ?? DEFAULT_BACKOFF_INITIAL_MS;
  const maxMs = opts.maxContainerRestartPeriod ?? DEFAULT_BACKOFF_MAX_MS;
  if (initialMs <= 0 || maxMs < initialMs) {
    throw usageError(
      'error: --crash-loop-backoff-initial must be positive and at most --max-container-restart-period',
    );
  }
  const resetMs = opts.crashLoopBackoffReset;
  if (resetMs !== undefined && resetMs <= 0) {
    throw usageError('error: --crash-loop-backoff-reset must be positive, e.g. 10m (the kubelet: 10m0s)');
  }
  const nodeName = opts.nodeName || defaultNodeName();
  if (remoteWarning) io.stderr.write(remoteWarning);

  // Everything is loaded and validated before anything starts.
  let objects = await loadObjects(session, io.stderr);

  // The node's modules are loaded only for `up`, so client commands start fast.
  const { startNode } = await import('../node.js');
  const { streamActivity } = await import('../activity.js');
  const node = await startNode({
    stateDir: session.stateDir,
    nodeName,
    host,
    port,
    backoff: { initialMs, maxMs, ...(resetMs !== undefined ? { resetMs } : {}) },
    ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}),
    ...(opts.nodeMonitorGracePeriod !== undefined
      ? { nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriod }
      : {}),
    ...(opts.podEvictionTimeout !== undefined ? { podEvictionTimeoutMs: opts.podEvictionTimeout } : {}),
    ...(opts.containerLogMaxSize !== undefined ? { logMaxBytes: opts.containerLogMaxSize } : {}),
    ...(opts.containerLogMaxFiles !== undefined ? { logMaxFiles: opts.containerLogMaxFiles } : {}),
    ...(session.workingDirBase ? { workingDirBase: session.workingDirBase } : {}),
    ...(opts.processContainment ? { processContainment: opts.processContainment } : {}),
    onOrphansKilled: (pids) =>
      io.stderr.write(
        `podvisor: ended ${pids.length} container process(es) left by a podvisor that did not shut down (pids ${pids.join(', ')})\n`,
      ),
  });
  io.stdout.write(
    `${nodesLabel(nodeName, opts.nodes)} serving the Kubernetes API on ${node.server} (state: ${session.stateDir})\n`,
  );
  const color = io.isTTY && !opts.plain && !io.env.NO_COLOR;
  const live = session.liveView === true && io.isTTY && !opts.plain;
  // The live table replaces the stream on screen; the observer (demo) still hears every change.
  const activity = streamActivity(
    node.store,
    live ? { write: () => true } : io.stdout,
    { color },
    session.observer,
  );
  const view = live
    ? (await import('../terminal-view.js')).startStoreLiveView(node.store, process.stdout, {
        title: nodesLabel(nodeName, opts.nodes),
        server: node.server,
      })
    : undefined;

  const signals = new SignalLatch();
  try {
    try {
      node.createObjects(objects);
    } catch (err) {
      throw new CliError(`error: cannot create the pods from the manifests: ${(err as Error).message}`);
    }
    // This frame lives as long as the node and the store holds the objects now: the manifests'
    // copies must not stay reachable from here (about 6 KB per pod).
    objects = [];
    await Promise.race([signals.first, session.until ? session.until(node) : new Promise<never>(() => {})]);
    if (!signals.fired) session.beforeStop?.(node);
    // Back to the normal screen first: the shutdown lines are printed where the user can read them.
    view?.stop();
    io.stdout.write(
      `Stopping ${nodesLabel(nodeName, opts.nodes)}: stopping every pod within its grace period (Ctrl-C again kills them at once)\n`,
    );
    // After Ctrl-C, the next one forces; when the session ended by itself (demo), the first does.
    const force = signals.fired > 0 ? signals.second : signals.first;
    const outcome = await Promise.race([
      node.stop().then(() => 'stopped' as const),
      force.then(() => 'forced' as const),
    ]);
    if (outcome === 'forced') {
      io.stderr.write('Killing every container now (SIGKILL)\n');
      await node.kill();
      return EXIT_ERROR;
    }
    io.stdout.write('podvisor stopped\n');
    return EXIT_OK;
  } catch (err) {
    await node.kill();
    throw err;
  } finally {
    view?.stop();
    activity.stop();
    signals.dispose();
  }
}

/**
 * The manifests' objects, their warnings printed. A function of its own so that nothing of the
 * parsed files stays reachable from runNode's frame, which lives as long as the node.
 */
async function loadObjects(
  session: NodeSession,
  stderr: CommandContext['io']['stderr'],
): Promise<KubeObject[]> {
  if (session.files.length === 0) return [];
  const result = await loadManifests(session.files);
  if (result.errors.length > 0) throw manifestErrors(result.errors, 'started');
  if (!session.quietWarnings) for (const w of result.warnings) stderr.write(`Warning: ${w}\n`);
  return result.objects.map((o) => o.object);
}

/** `podvisor node "box"`, or with `--nodes 3` `podvisor nodes "node-1" … "node-3"` (virtual-nodes.ts names). */
function nodesLabel(nodeName: string, count: number | undefined): string {
  if (count === undefined || count <= 1) return `podvisor node "${nodeName}"`;
  return `podvisor nodes "node-1" … "node-${count}"`;
}

/** SIGINT/SIGTERM: the first asks for a graceful stop, the second forces it. */
class SignalLatch {
  fired = 0;
  readonly first: Promise<void>;
  readonly second: Promise<void>;
  private resolveFirst!: () => void;
  private resolveSecond!: () => void;
  private readonly onSignal = (): void => {
    this.fired++;
    if (this.fired === 1) this.resolveFirst();
    else this.resolveSecond();
  };

  constructor() {
    this.first = new Promise((r) => (this.resolveFirst = r));
    this.second = new Promise((r) => (this.resolveSecond = r));
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  dispose(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }
}

export async function runUp(ctx: CommandContext, opts: UpOptions): Promise<number> {
  const stateDir = resolveStateDir(ctx.globals.stateDir, ctx.io.env);
  return runNode(ctx, { files: opts.filename ?? [], stateDir, opts, liveView: true });
}
