/**
 * S5's subject: a real `podvisor up` process (the compiled CLI, as users run it) with N cheap pods
 * (`sleep 3600`), reached over HTTP with the token from its state directory, plus a keep-alive
 * HTTP client that times whole responses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PodvisorUp {
  /** `http://127.0.0.1:<port>` (the same port answers TLS for kubectl). */
  server: string;
  token: string;
  stateDir: string;
  pid: number;
  /** The manifest the node was started with. */
  manifest: string;
  stop(): Promise<void>;
}

export function podManifest(count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    docs.push(`apiVersion: v1
kind: Pod
metadata: {name: api-${String(i).padStart(4, '0')}, labels: {app: s5}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: local
      command: [sleep, "3600"]
`);
  }
  return docs.join('---\n');
}

/** The node's stderr, less its 1,000 "image is recorded but not pulled" warnings. */
function forwardStderr(child: ChildProcess): void {
  let pending = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines)
      if (!line.includes('is recorded but not pulled')) process.stderr.write(`podvisor: ${line}\n`);
  });
}

/**
 * SIGKILLs every process whose working directory is inside `dir` (the containers of the node's
 * state dir, which outlive a killed podvisor), by pid; returns how many.
 */
function killProcessesIn(dir: string): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (!cwd.startsWith(`${dir}/`)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed++;
    } catch {
      // exited in between
    }
  }
  return killed;
}

/** This checkout's CLI, or BENCH_S5_PODVISOR (another build's bin/podvisor.js, for before/after runs). */
export function podvisorBin(): string {
  return process.env.BENCH_S5_PODVISOR ?? 'bin/podvisor.js';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts `podvisor up -f <N pods>` and waits until every pod is Running. `nodeArgs` go to node
 * itself (e.g. `--cpu-prof`).
 */
export async function startPodvisorUp(count: number, nodeArgs: readonly string[] = []): Promise<PodvisorUp> {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-s5-'));
  const manifest = podManifest(count);
  writeFileSync(join(dir, 'pods.yaml'), manifest);
  const stateDir = join(dir, 'state');
  const args = ['up', '-f', join(dir, 'pods.yaml'), '--state-dir', stateDir, '--listen', '127.0.0.1:0'];
  // The bin's shebang flag, given explicitly so that node's own flags (--cpu-prof) can join it.
  const child: ChildProcess = spawn(
    process.execPath,
    ['--max-semi-space-size=2', ...nodeArgs, podvisorBin(), ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  forwardStderr(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // A graceful stop of 1,000 pods can take podvisor minutes (the runtime scans /proc once
      // per container); the measurements are done, so a second SIGTERM (podvisor's "force")
      // follows, then SIGKILL, and whatever containers are left are killed below.
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGTERM'), 5_000);
      const killer = setTimeout(() => {
        process.stderr.write('S5: podvisor up did not stop within 30 s of SIGTERM: SIGKILL\n');
        child.kill('SIGKILL');
      }, 30_000);
      await exited;
      clearTimeout(force);
      clearTimeout(killer);
    }
    const left = killProcessesIn(dir);
    if (left > 0) process.stderr.write(`S5: killed ${left} container processes podvisor left behind\n`);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 180_000;
    while (!existsSync(join(stateDir, 'api.json'))) {
      if (child.exitCode !== null) throw new Error(`podvisor up exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('podvisor up did not write api.json within 180 s');
      await sleep(100);
    }
    const { server, token } = JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as {
      server: string;
      token: string;
    };
    for (;;) {
      if (child.exitCode !== null) throw new Error(`podvisor up exited with ${child.exitCode}`);
      // A fresh connection per poll: a busy node may drop an idle keep-alive one mid-reuse.
      const client = new TimedClient(server, token);
      const running = await client
        .request('GET', '/api/v1/namespaces/default/pods')
        .then((res) => {
          const list = JSON.parse(res.body) as { items: { status?: { phase?: string } }[] };
          return list.items.filter((p) => p.status?.phase === 'Running').length;
        })
        .catch((err: unknown) => {
          process.stderr.write(`S5: polling pods: ${(err as Error).message}; retrying\n`);
          return 0;
        })
        .finally(() => client.close());
      if (running >= count) break;
      if (Date.now() > deadline) throw new Error(`not all ${count} pods were Running within 180 s`);
      await sleep(1000);
    }
    return { server, token, stateDir, pid: child.pid as number, manifest, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface TimedResponse {
  status: number;
  body: string;
  bytes: number;
  /** From the request being written to the last byte of the body. */
  ms: number;
}

/** One keep-alive connection, as kubectl and informers hold one. */
export class TimedClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly url: URL;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    this.url = new URL(server);
  }

  request(
    method: string,
    path: string,
    opts: { accept?: string; body?: string; contentType?: string } = {},
  ): Promise<TimedResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
      if (opts.accept) headers.accept = opts.accept;
      if (opts.body !== undefined) {
        headers['content-type'] = opts.contentType ?? 'application/json';
        headers['content-length'] = String(Buffer.byteLength(opts.body));
      }
      const t0 = performance.now();
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const buf = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              body: buf.toString('utf8'),
              bytes: buf.length,
              ms: performance.now() - t0,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
