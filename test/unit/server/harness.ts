import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Pod } from '../../../src/api/types.js';
import type { FieldError } from '../../../src/api/validation.js';
import type { LogReadOptions } from '../../../src/runtime/types.js';
import { startApiServer, type ApiServer, type LogSource } from '../../../src/server/api-server.js';
import type { AdmitPod } from '../../../src/server/pods.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { Clock } from '../../../src/util/clock.js';

/** Test scaffolding: a real server on 127.0.0.1 over a MemoryStore, and small HTTP clients. */

export const TOKEN = 'test-token-0123456789';

/**
 * A stand-in for the api engineer's admitPod: containers are required, each needs a name,
 * terminationGracePeriodSeconds defaults to 30, an image earns a warning, `spec.foo` is unknown.
 */
export const stubAdmitPod: AdmitPod = (obj) => {
  const pod = structuredClone(obj) as Pod & { spec?: Record<string, unknown> };
  const errors: FieldError[] = [];
  const containers = (pod.spec?.containers ?? []) as { name?: string; image?: string }[];
  if (containers.length === 0) errors.push({ type: 'Required value', field: 'spec.containers', detail: '' });
  containers.forEach((c, i) => {
    if (!c.name) errors.push({ type: 'Required value', field: `spec.containers[${i}].name`, detail: '' });
  });
  const warnings = containers.flatMap((c, i) =>
    c.image
      ? [`spec.containers[${i}].image: "${c.image}" is not pulled (podvisor runs command, not images)`]
      : [],
  );
  const unknownFields = pod.spec && 'foo' in pod.spec ? ['spec.foo'] : [];
  warnings.push(...unknownFields.map((f) => `unknown field "${f}"`));
  if (errors.length > 0) return { errors, warnings, unknownFields };
  const spec = { terminationGracePeriodSeconds: 30, ...(pod.spec ?? {}) } as Pod['spec'];
  return { pod: { ...pod, spec } as Pod, errors, warnings, unknownFields };
};

export interface LogCall {
  uid: string;
  opts: LogReadOptions;
}

/** A LogSource with canned lines; with follow it waits for `push` until `end` or abort. */
export class FakeLogs implements LogSource {
  readonly calls: LogCall[] = [];
  lines: string[] = ['line 1', 'line 2'];
  failWith: Error | undefined;
  private pending: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  aborted = false;

  push(line: string): void {
    this.pending.push(line);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *readLogs(uid: string, opts: LogReadOptions): AsyncIterable<string> {
    this.calls.push({ uid, opts });
    if (this.failWith) throw this.failWith;
    for (const l of this.lines) yield l;
    if (!opts.follow) return;
    const onAbort = (): void => {
      this.aborted = true;
      this.wake?.();
    };
    opts.signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        while (this.pending.length > 0) yield this.pending.shift() as string;
        if (this.ended || opts.signal?.aborted) return;
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}

export interface Harness {
  server: ApiServer;
  store: MemoryStore;
  logs: FakeLogs;
  request(
    method: string,
    path: string,
    opts?: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string | null },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** The raw `Warning` header values, one per warning (Node joins repeated headers in `headers`). */
export function warningsOf(res: Response): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
    if (res.rawHeaders[i]?.toLowerCase() === 'warning') out.push(res.rawHeaders[i + 1] as string);
  return out;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export async function startHarness(opts: { clock?: Clock; admitPod?: AdmitPod } = {}): Promise<Harness> {
  const store = new MemoryStore(opts.clock ? { clock: opts.clock } : {});
  const logs = new FakeLogs();
  const server = await startApiServer({
    store,
    logs,
    token: TOKEN,
    admitPod: opts.admitPod ?? stubAdmitPod,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  return {
    server,
    store,
    logs,
    request: (method, path, o = {}) => request(server.url, method, path, o),
    close: () => server.close(),
  };
}

export function request(
  base: string,
  method: string,
  path: string,
  o: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? TOKEN : o.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const payload = o.rawBody ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    if (payload !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
    // Node's client would send a DELETE body with neither Content-Length nor chunking; Go's does set it.
    if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
    const req = http.request(new URL(path, base), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A streaming GET (watch, logs -f): lines as they arrive, and whether the server ended it. */
export interface Stream {
  status: number;
  headers: IncomingHttpHeaders;
  lines: string[];
  ended: boolean;
  /** Resolves once `n` complete lines have arrived (rejects if the stream ends first). */
  waitForLines(n: number): Promise<string[]>;
  /** Resolves when the server ends the response. */
  end: Promise<void>;
  /** The client goes away (kubectl interrupted). */
  disconnect(): void;
}

export function openStream(base: string, path: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      let buffer = '';
      const waiters: { n: number; resolve: (l: string[]) => void; reject: (e: Error) => void }[] = [];
      let endResolve: () => void = () => {};
      const stream: Stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        lines: [],
        ended: false,
        end: new Promise<void>((r) => (endResolve = r)),
        waitForLines: (n) =>
          new Promise((res2, rej) => {
            waiters.push({ n, resolve: res2, reject: rej });
            check();
          }),
        disconnect: () => req.destroy(),
      };
      const check = (): void => {
        for (const w of [...waiters]) {
          if (stream.lines.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(stream.lines.slice(0, w.n));
          } else if (stream.ended) {
            waiters.splice(waiters.indexOf(w), 1);
            w.reject(
              new Error(`stream ended after ${stream.lines.length} lines: ${JSON.stringify(stream.lines)}`),
            );
          }
        }
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          stream.lines.push(buffer.slice(0, i));
          buffer = buffer.slice(i + 1);
        }
        check();
      });
      const finish = (): void => {
        if (stream.ended) return;
        stream.ended = true;
        check();
        endResolve();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', () => finish());
      resolve(stream);
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}

/** Waits (bounded) for a condition that depends on socket events reaching the server. */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export function podManifest(
  name: string,
  extra: { containers?: { name: string; image?: string }[]; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { containers: extra.containers ?? [{ name: 'app', image: 'busybox' }] },
  };
}
