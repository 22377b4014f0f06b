/**
 * The e2e harness: runs a real `podvisor up` (the compiled CLI, as a user would) in a private
 * state directory on a free port, and talks to it through its Kubernetes REST API and its CLI.
 * Waiting is event-driven (stdout line, directory watch, API watch streams), never blind sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, watch as watchDir } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Pod } from '../../src/api/types.js';
import { ApiClient, type ApiWatch, type WatchEvent } from './api-client.js';
import { summarizePod } from './e2e-pods.js';
import { BIN, REPO_ROOT } from './paths.js';

export { ApiError, type ApiWatch, type WatchEvent } from './api-client.js';
export { summarizePod } from './e2e-pods.js';
export { APPS_DIR, BIN, REPO_ROOT } from './paths.js';
export { findProcessesWithMarker, killProcessesWithMarker } from './processes.js';

/** The line `up` prints once its API listens (the harness also accepts api.json appearing). */
export const SERVING_LINE = 'serving the Kubernetes API on';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartNodeOptions {
  /** Extra `up` flags, e.g. ['--crash-loop-backoff-initial', '1s']. */
  flags?: string[];
  /** Manifests passed as `-f` (relative to the checkout root or absolute). */
  files?: string[];
  /** Reuse a state directory (a restart of podvisor); default: a fresh temporary one. */
  stateDir?: string;
  /** How long `up` may take to serve; default 30 s. */
  startTimeoutMs?: number;
}

export interface PodvisorNode {
  readonly stateDir: string;
  /** `http://127.0.0.1:PORT` from api.json. */
  readonly server: string;
  readonly token: string;
  /** Pid of the `up` process. */
  readonly pid: number;
  /** Everything `up` has printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when `up` exits. */
  readonly exited: Promise<NodeExit>;
  /** Epoch ms when the node's API first answered (≈ when its kubelet started). */
  readonly servingSince: number;
  /**
   * Resolves once the node has been up for `ms`. The kubelet jitters a worker's first probe only
   * while it started less than one period ago (spec §2.1); scenarios written for a long-running
   * kubelet wait this out instead of racing it.
   */
  olderThan(ms: number): Promise<void>;

  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  createPod(obj: Pod, namespace?: string): Promise<Pod>;
  getPod(name: string, namespace?: string): Promise<Pod>;
  deletePod(name: string, opts?: { gracePeriodSeconds?: number; namespace?: string }): Promise<void>;
  listEvents(fieldSelector: string, namespace?: string): Promise<Event[]>;
  /** Events whose involvedObject is this pod (optionally with this reason). */
  podEvents(podName: string, reason?: string, namespace?: string): Promise<Event[]>;
  /**
   * Watches one pod (`?watch=true&fieldSelector=metadata.name=NAME`) until `predicate` holds for
   * an observed state; rejects after `timeoutMs` with the last state seen, or if the pod is
   * deleted first, or if the predicate throws.
   */
  waitForPod(
    name: string,
    predicate: (pod: Pod) => boolean,
    timeoutMs: number,
    namespace?: string,
  ): Promise<Pod>;
  /** Every observed state of one pod, as it happens (reconnecting if the stream ends). */
  watchPod(
    name: string,
    onPod: (pod: Pod, type: WatchEvent<Pod>['type']) => void,
    namespace?: string,
  ): ApiWatch;
  /** Watches events matching `fieldSelector` (existing ones first) until one satisfies `predicate`. */
  waitForEvent(
    fieldSelector: string,
    predicate: (ev: Event) => boolean,
    timeoutMs: number,
    namespace?: string,
  ): Promise<Event>;
  /** `node bin/podvisor.js ...args --state-dir <dir>` from the checkout root. */
  runCli(args: string[], opts?: { timeoutMs?: number }): Promise<CliResult>;
  /**
   * Signals `up` and waits for it to exit (SIGKILL after `timeoutMs`, default 60 s). Idempotent.
   * Removes the temporary state directory (set PODVISOR_E2E_KEEP=1 to keep it for its logs).
   */
  stop(signal?: 'SIGTERM' | 'SIGINT', timeoutMs?: number): Promise<NodeExit>;
}

interface ApiInfo {
  server: string;
  token: string;
  pid: number;
}

const liveNodes = new Set<ChildProcess>();
// Last resort if a test file ends without stopping a node: a running `up` does not keep the file
// alive (its handles are unref'd below), and on exit it is asked to stop its containers itself.
process.once('exit', () => {
  for (const child of liveNodes) child.kill('SIGTERM');
});

export async function startNode(opts: StartNodeOptions = {}): Promise<PodvisorNode> {
  const ownsStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'podvisor-e2e-')));
  const args = [BIN, 'up', '--state-dir', stateDir, '--listen', '127.0.0.1:0'];
  for (const file of opts.files ?? []) args.push('-f', file);
  args.push(...(opts.flags ?? []));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: nodeEnv(),
  });
  liveNodes.add(child);
  child.unref();
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();
  const output = { stdout: '', stderr: '' };
  const exited = new Promise<NodeExit>((resolve) => {
    child.once('exit', (code, signal) => {
      liveNodes.delete(child);
      resolve({ code, signal });
    });
  });
  const info = await waitForApiInfo(child, stateDir, output, exited, opts.startTimeoutMs ?? 30_000);
  return new Node(child, stateDir, info, output, exited, ownsStateDir);
}

/** The environment for podvisor processes: the test's own, minus anything that points elsewhere. */
function nodeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.PODVISOR_STATE_DIR;
  delete env.NODE_OPTIONS; // the test runner's loader has no business in the node
  delete env.NODE_TEST_CONTEXT; // set by `node --test`; a child node would report to the runner
  return env;
}

function waitForApiInfo(
  child: ChildProcess,
  stateDir: string,
  output: { stdout: string; stderr: string },
  exited: Promise<NodeExit>,
  timeoutMs: number,
): Promise<ApiInfo> {
  return new Promise<ApiInfo>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, info?: ApiInfo): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      dirWatcher.close();
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else if (info) resolve(info);
    };
    // api.json of an earlier run in a reused state dir must not count: the pid has to match.
    const tryRead = (): void => {
      try {
        const info = JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as Partial<ApiInfo>;
        const pid = info.pid;
        if (
          typeof info.server === 'string' &&
          typeof info.token === 'string' &&
          pid !== undefined &&
          pid === child.pid
        ) {
          finish(undefined, { server: info.server, token: info.token, pid });
        }
      } catch {
        // not there yet, or half-written by a writer that does not rename: the next event retries
      }
    };
    const dirWatcher = watchDir(stateDir, () => tryRead());
    child.stdout?.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString('utf8');
      if (output.stdout.includes(SERVING_LINE)) tryRead();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(
      () => finish(new Error(`podvisor up did not serve within ${timeoutMs} ms\n${describeOutput(output)}`)),
      timeoutMs,
    );
    void exited.then((exit) =>
      finish(
        new Error(
          `podvisor up exited (${exit.code ?? exit.signal}) before serving\n${describeOutput(output)}`,
        ),
      ),
    );
    tryRead();
  });
}

function describeOutput(output: { stdout: string; stderr: string }): string {
  return `--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`;
}

class Node extends ApiClient implements PodvisorNode {
  readonly pid: number;

  constructor(
    private readonly child: ChildProcess,
    readonly stateDir: string,
    info: ApiInfo,
    private readonly output: { stdout: string; stderr: string },
    readonly exited: Promise<NodeExit>,
    private readonly ownsStateDir: boolean,
  ) {
    super(info.server, info.token);
    this.pid = info.pid;
  }

  readonly servingSince = Date.now();

  olderThan(ms: number): Promise<void> {
    const wait = this.servingSince + ms - Date.now();
    return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
  }

  get stdout(): string {
    return this.output.stdout;
  }

  get stderr(): string {
    return this.output.stderr;
  }

  createPod(obj: Pod, namespace = 'default'): Promise<Pod> {
    return this.request<Pod>('POST', `/api/v1/namespaces/${namespace}/pods`, obj);
  }

  getPod(name: string, namespace = 'default'): Promise<Pod> {
    return this.request<Pod>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
  }

  async deletePod(
    name: string,
    opts: { gracePeriodSeconds?: number; namespace?: string } = {},
  ): Promise<void> {
    const ns = opts.namespace ?? 'default';
    const grace = opts.gracePeriodSeconds;
    const query = grace === undefined ? '' : `?gracePeriodSeconds=${grace}`;
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
    };
    await this.request('DELETE', `/api/v1/namespaces/${ns}/pods/${name}${query}`, body);
  }

  async listEvents(fieldSelector: string, namespace = 'default'): Promise<Event[]> {
    const list = await this.request<{ items: Event[] }>(
      'GET',
      `/api/v1/namespaces/${namespace}/events?fieldSelector=${encodeURIComponent(fieldSelector)}`,
    );
    return list.items;
  }

  podEvents(podName: string, reason?: string, namespace = 'default'): Promise<Event[]> {
    const terms = [
      `involvedObject.kind=Pod`,
      `involvedObject.name=${podName}`,
      `involvedObject.namespace=${namespace}`,
    ];
    if (reason !== undefined) terms.push(`reason=${reason}`);
    return this.listEvents(terms.join(','), namespace);
  }

  watchPod(
    name: string,
    onPod: (pod: Pod, type: WatchEvent<Pod>['type']) => void,
    namespace = 'default',
  ): ApiWatch {
    const selector = encodeURIComponent(`metadata.name=${name}`);
    return this.watch<Pod>(`/api/v1/namespaces/${namespace}/pods?fieldSelector=${selector}`, (ev) =>
      onPod(ev.object, ev.type),
    );
  }

  waitForPod(
    name: string,
    predicate: (pod: Pod) => boolean,
    timeoutMs: number,
    namespace = 'default',
  ): Promise<Pod> {
    return new Promise<Pod>((resolve, reject) => {
      let last: Pod | undefined;
      let done = false;
      const end = (err: Error | undefined, pod?: Pod): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        w.stop();
        if (err) reject(err);
        else resolve(pod as Pod);
      };
      const timer = setTimeout(() => {
        end(
          new Error(
            `pod ${name}: condition not met within ${timeoutMs} ms; last seen: ${summarizePod(last)}`,
          ),
        );
      }, timeoutMs);
      const w = this.watchPod(
        name,
        (pod, type) => {
          last = pod;
          let ok: boolean;
          try {
            ok = predicate(pod);
          } catch (err) {
            end(err as Error);
            return;
          }
          if (ok) end(undefined, pod);
          else if (type === 'DELETED') {
            end(new Error(`pod ${name} was deleted while waiting; last seen: ${summarizePod(pod)}`));
          }
        },
        namespace,
      );
    });
  }

  waitForEvent(
    fieldSelector: string,
    predicate: (ev: Event) => boolean,
    timeoutMs: number,
    namespace = 'default',
  ): Promise<Event> {
    return new Promise<Event>((resolve, reject) => {
      const seen: Event[] = [];
      let done = false;
      const end = (err: Error | undefined, ev?: Event): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        w.stop();
        if (err) reject(err);
        else resolve(ev as Event);
      };
      const timer = setTimeout(() => {
        const texts = seen.map((e) => `  ${e.reason}: ${e.message}`).join('\n');
        end(
          new Error(
            `no event matching the predicate for ${fieldSelector} within ${timeoutMs} ms; seen:\n${texts}`,
          ),
        );
      }, timeoutMs);
      const path = `/api/v1/namespaces/${namespace}/events?fieldSelector=${encodeURIComponent(fieldSelector)}`;
      const w = this.watch<Event>(path, (ev) => {
        if (ev.type === 'DELETED') return;
        seen.push(ev.object);
        if (predicate(ev.object)) end(undefined, ev.object);
      });
    });
  }

  runCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    return runPodvisor([...args, '--state-dir', this.stateDir], opts);
  }

  async stop(signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM', timeoutMs = 60_000): Promise<NodeExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.ownsStateDir && !process.env.PODVISOR_E2E_KEEP) {
      await rm(this.stateDir, { recursive: true, force: true });
    }
    return this.exited;
  }
}

/** Runs the CLI (`node bin/podvisor.js ...args`) from the checkout root; kills it after `timeoutMs` (30 s). */
export function runPodvisor(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<CliResult>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: nodeEnv(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n[harness] podvisor ${args.join(' ')} still running after ${timeoutMs} ms: killed`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
