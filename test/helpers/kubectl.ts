/**
 * Runs the machine's real `kubectl` (PATH) against a podvisor node, as a user would: with
 * `--server`, `--token` and a temporary `--cache-dir`, never the user's ~/.kube (KUBECONFIG and
 * HOME point into the temporary directory, so the dispatcher's /version cache lands there too).
 *
 * TLS: client-go's clientcmd only applies user credentials (`--token`, a kubeconfig user) when
 * the transport is TLS, so kubectl sends no Authorization header at all to an `http://` server
 * and every request is 401. So kubectl always talks HTTPS:
 *  - to the node itself when it answers TLS (an `https://` server, or TLS on its http:// port),
 *    verifying its certificate with `<stateDir>/tls/serving.crt` when the target has one;
 *  - otherwise to a local HTTPS front (self-signed, `--insecure-skip-tls-verify`) that passes every
 *    request — headers, the kubectl-sent bearer token included, bodies, streams and upgrades —
 *    through to the node unchanged.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** What kubectl needs to reach a node (a PodvisorNode has both). */
export interface KubectlTarget {
  readonly server: string;
  readonly token: string;
  /** The node's state directory: its `tls/serving.crt` is then the CA kubectl verifies against. */
  readonly stateDir?: string;
}

/** How kubectl reaches the node: the node's own TLS, or the test's TLS front (plain-HTTP node). */
export interface KubectlEndpoint {
  server: string;
  via: 'node-tls' | 'tls-front';
  /** `--certificate-authority` file, when the node's serving certificate is known. */
  certificateAuthority?: string;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Kill kubectl after this long (default 30 s); the result then says so in stderr. */
  timeoutMs?: number;
  /** A cache directory to reuse (e.g. warm discovery across calls); default: a fresh one per call. */
  cacheDir?: string;
  /** Written to kubectl's stdin (for `-f -`). */
  stdin?: string;
}

const endpoints = new Map<string, Promise<KubectlEndpoint>>();

/** Where kubectl connects for this target (decided once per server). */
export function kubectlEndpoint(target: KubectlTarget): Promise<KubectlEndpoint> {
  let endpoint = endpoints.get(target.server);
  if (!endpoint) {
    endpoint = chooseEndpoint(target);
    endpoints.set(target.server, endpoint);
  }
  return endpoint;
}

async function chooseEndpoint(target: KubectlTarget): Promise<KubectlEndpoint> {
  const url = new URL(target.server);
  if (url.protocol === 'https:' || (await answersTls(url.hostname, Number(url.port)))) {
    const ca = target.stateDir === undefined ? undefined : join(target.stateDir, 'tls', 'serving.crt');
    return {
      server: `https://${url.host}`,
      via: 'node-tls',
      ...(ca !== undefined && existsSync(ca) ? { certificateAuthority: ca } : {}),
    };
  }
  return { server: (await startTlsFront(target.server)).url, via: 'tls-front' };
}

/** Whether a TLS handshake on host:port succeeds (a plain HTTP server answers it with 400 and closes). */
function answersTls(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

function baseArgs(endpoint: KubectlEndpoint, token: string, cacheDir: string): string[] {
  return [
    `--server=${endpoint.server}`,
    `--token=${token}`,
    `--cache-dir=${cacheDir}`,
    endpoint.certificateAuthority !== undefined
      ? `--certificate-authority=${endpoint.certificateAuthority}`
      : '--insecure-skip-tls-verify=true',
    '--request-timeout=0',
  ];
}

interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
}

function sandbox(cacheDir: string | undefined): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-kubectl-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    KUBECONFIG: join(dir, 'no-kubeconfig'),
    KUBECACHEDIR: cacheDir ?? join(dir, 'cache'),
  };
  return { dir, env, cacheDir: cacheDir ?? join(dir, 'cache') };
}

/** `kubectl <args>` to completion. */
export async function kubectl(
  target: KubectlTarget,
  args: readonly string[],
  opts: KubectlOptions = {},
): Promise<KubectlResult> {
  const endpoint = await kubectlEndpoint(target);
  const box = sandbox(opts.cacheDir);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  try {
    return await new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn('kubectl', [...baseArgs(endpoint, target.token, box.cacheDir), ...args], {
        env: box.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      child.stdin.end(opts.stdin ?? '');
      const timer = setTimeout(() => {
        stderr += `\n[kubectl helper] kubectl ${args.join(' ')} still running after ${timeoutMs} ms: killed`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  } finally {
    rmSync(box.dir, { recursive: true, force: true });
  }
}

/** A long-running kubectl (`get -w`, `logs -f`, `events -w`) whose output is read line by line. */
export interface KubectlWatch {
  /** Complete stdout lines so far. */
  readonly lines: readonly string[];
  readonly stderr: string;
  /**
   * Resolves with the first stdout line (already seen or still to come) that matches `pattern`
   * and comes after line index `from` (default 0); rejects after `timeoutMs`, or if kubectl exits
   * first, with everything it printed.
   */
  waitForLine(pattern: RegExp, timeoutMs: number, from?: number): Promise<string>;
  /** Resolves when kubectl exits on its own. */
  readonly exited: Promise<KubectlResult>;
  /** Kills kubectl (SIGTERM, then SIGKILL) and returns what it printed. Idempotent. */
  stop(): Promise<KubectlResult>;
}

export async function kubectlWatch(
  target: KubectlTarget,
  args: readonly string[],
  opts: { cacheDir?: string } = {},
): Promise<KubectlWatch> {
  const endpoint = await kubectlEndpoint(target);
  const box = sandbox(opts.cacheDir);
  const child = spawn('kubectl', [...baseArgs(endpoint, target.token, box.cacheDir), ...args], {
    env: box.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningKubectl(child, box.dir, args);
}

interface LineWaiter {
  pattern: RegExp;
  from: number;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class RunningKubectl implements KubectlWatch {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<KubectlResult>;
  private partial = '';
  private stdout = '';
  private done = false;
  private waiters = new Set<LineWaiter>();

  constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly args: readonly string[],
  ) {
    child.stdout?.on('data', (c: Buffer) => this.onStdout(c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    this.exited = new Promise<KubectlResult>((resolve) => {
      child.on('close', (code) => {
        if (this.partial !== '') this.addLine(this.partial);
        this.partial = '';
        this.done = true;
        rmSync(this.dir, { recursive: true, force: true });
        const result = { code, stdout: this.stdout, stderr: this.stderr };
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`kubectl ${this.args.join(' ')} exited (${code}) first\n${this.describe()}`));
        }
        this.waiters.clear();
        resolve(result);
      });
    });
  }

  private onStdout(text: string): void {
    this.stdout += text;
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.addLine(line);
  }

  private addLine(line: string): void {
    this.lines.push(line);
    const index = this.lines.length - 1;
    for (const w of this.waiters) {
      if (index >= w.from && w.pattern.test(line)) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  private describe(): string {
    return `--- stdout ---\n${this.lines.join('\n')}${this.partial}\n--- stderr ---\n${this.stderr}`;
  }

  waitForLine(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const seen = this.lines.slice(from).find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.done)
      return Promise.reject(new Error(`kubectl ${this.args.join(' ')} has exited\n${this.describe()}`));
    return new Promise<string>((resolve, reject) => {
      const waiter: LineWaiter = {
        pattern,
        from,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms\n${this.describe()}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<KubectlResult> {
    if (!this.done) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}

// ---- the TLS front ----

interface TlsFront {
  url: string;
  server: https.Server;
}

const fronts: TlsFront[] = [];

let certificate: { key: string; cert: string } | undefined;

/** A throwaway self-signed certificate for 127.0.0.1 (openssl is on every machine this runs on). */
function selfSignedCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-kubectl-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    certificate = {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function startTlsFront(backend: string): Promise<TlsFront> {
  const target = new URL(backend);
  const port = Number(target.port);
  const server = https.createServer(selfSignedCertificate(), (req, res) => {
    const upstream = http.request(
      { host: target.hostname, port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders();
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // A client that leaves ends the upstream request too, so the node sees its watch end.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  // Upgrades (port-forward over WebSocket or SPDY): the raw request head, then bytes both ways.
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const conn = net.connect(port, target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      conn.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) conn.write(head);
      conn.pipe(socket);
      socket.pipe(conn);
    });
    conn.on('error', () => socket.destroy());
    socket.on('error', () => conn.destroy());
  });
  server.unref(); // never what keeps a test file alive
  return new Promise<TlsFront>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      const front = { url: `https://127.0.0.1:${address.port}`, server };
      fronts.push(front);
      resolve(front);
    });
  });
}

/** Closes the TLS fronts (call from an `after` hook; they never keep the process alive anyway). */
export async function closeKubectlFronts(): Promise<void> {
  await Promise.allSettled([...endpoints.values()]);
  endpoints.clear();
  const all = fronts.splice(0);
  await Promise.all(
    all.map(async (front) => {
      front.server.closeAllConnections();
      await new Promise<void>((resolve) => front.server.close(() => resolve()));
    }),
  );
}
