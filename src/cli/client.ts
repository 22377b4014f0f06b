import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { CliError } from './errors.js';

/**
 * A small client of the node's Kubernetes REST API (DESIGN principle 2: the CLI is a client like
 * kubectl). node:http rather than fetch: watches and `logs -f` stay open for hours, and fetch's
 * body timeout would cut them.
 */
export interface ApiTarget {
  server: string;
  token?: string;
  /** Where the target came from, named in "cannot reach" errors (`state dir X`, `--server`). */
  origin?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface WatchEventMessage<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

interface StatusBody {
  kind?: string;
  status?: string;
  reason?: string;
  message?: string;
  code?: number;
}

/** A Kubernetes Status failure, printed as kubectl prints it. */
export class ApiError extends CliError {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly statusMessage: string,
  ) {
    super(formatServerError(code, reason, statusMessage));
    this.name = 'ApiError';
  }
}

function formatServerError(code: number, reason: string, message: string): string {
  if (code === 401) {
    return 'error: You must be logged in to the server (Unauthorized): the token does not match the node; pass the --token printed in its api.json, or use --state-dir';
  }
  return reason ? `Error from server (${reason}): ${message}` : `Error from server: ${message}`;
}

export class ApiClient {
  private readonly base: URL;

  constructor(
    private readonly target: ApiTarget,
    /** Receives each `Warning:` header's text (kubectl prints `Warning: <text>`). */
    private readonly onWarning: (text: string) => void = () => {},
  ) {
    try {
      this.base = new URL(target.server);
    } catch {
      throw new CliError(
        `error: --server ${JSON.stringify(target.server)} is not a URL: pass e.g. http://127.0.0.1:6443`,
      );
    }
  }

  get server(): string {
    return this.target.server;
  }

  /** A JSON request; a failure Status becomes an ApiError. */
  async request<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const res = await this.send(method, path, opts.query, opts.body, undefined, opts.contentType);
    const text = await readBody(res);
    if ((res.statusCode ?? 0) >= 400) throw errorFrom(res, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `error: the server answered ${method} ${path} with something that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  /** A streamed response (logs); the caller reads it. Failures are thrown before any byte. */
  async stream(path: string, query: Query, signal?: AbortSignal): Promise<IncomingMessage> {
    const res = await this.send('GET', path, query, undefined, signal);
    if ((res.statusCode ?? 0) >= 400) throw errorFrom(res, await readBody(res));
    return res;
  }

  /**
   * A watch: newline-delimited JSON events until the server closes the stream (resolves) or the
   * signal aborts (resolves). An ERROR event's Status is thrown as an ApiError.
   */
  async watch<T>(
    path: string,
    query: Query,
    onEvent: (ev: WatchEventMessage<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted) return;
    let res: IncomingMessage;
    try {
      res = await this.stream(path, { ...query, watch: true }, signal);
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    await new Promise<void>((resolve, reject) => {
      let pending = '';
      const onAbort = (): void => {
        res.destroy();
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line === '') continue;
          let ev: WatchEventMessage<T>;
          try {
            ev = JSON.parse(line) as WatchEventMessage<T>;
          } catch {
            continue;
          }
          if (ev.type === 'ERROR') {
            const st = ev.object as StatusBody;
            res.destroy();
            reject(new ApiError(st.code ?? 500, st.reason ?? '', st.message ?? 'watch failed'));
            return;
          }
          try {
            onEvent(ev);
          } catch (err) {
            res.destroy();
            reject(err as Error);
            return;
          }
        }
      });
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => done());
    });
  }

  private send(
    method: string,
    path: string,
    query?: Query,
    body?: unknown,
    signal?: AbortSignal,
    contentType = 'application/json',
  ): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'podvisor' };
    if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const attempt = (mayRetry: boolean): void => {
        const req = lib.request(url, { method, headers, ...(signal ? { signal } : {}) }, (res) => {
          for (const w of parseWarnings(res.rawHeaders)) this.onWarning(w);
          resolve(res);
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err.name === 'AbortError') {
            reject(err);
            return;
          }
          // A kept-alive connection the server closed as idle just as it was reused: the request
          // never reached it. Read-only requests go again once on a new connection, as Go's
          // client (kubectl's) does; a write might have been made, so it is reported instead.
          if (mayRetry && req.reusedSocket && RETRYABLE_METHODS.has(method) && isClosedIdle(err)) {
            attempt(false);
            return;
          }
          fail(err);
        });
        req.end(payload);
      };
      const fail = (err: NodeJS.ErrnoException): void => {
        const where = this.target.origin ? ` (${this.target.origin})` : '';
        reject(
          new CliError(
            `error: cannot reach the podvisor node at ${this.target.server}${where}: ${err.code ?? err.message}: ` +
              `is 'podvisor up' still running? Start it, or check --server/--state-dir`,
          ),
        );
      };
      attempt(true);
    });
  }
}

/** Go's isReplayable: methods that change nothing, so sending them twice is harmless. */
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

function isClosedIdle(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ECONNRESET' || err.code === 'EPIPE';
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function errorFrom(res: IncomingMessage, text: string): ApiError {
  const code = res.statusCode ?? 500;
  try {
    const st = JSON.parse(text) as StatusBody;
    if (st && st.kind === 'Status') return new ApiError(st.code ?? code, st.reason ?? '', st.message ?? '');
  } catch {
    // not a Status: fall through
  }
  return new ApiError(code, res.statusMessage ?? '', text.trim() || `the server answered ${code}`);
}

/** `Warning: 299 - "text"` headers (RFC 7234 warn-text, as the apiserver sends them). */
export function parseWarnings(rawHeaders: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== 'warning') continue;
    const value = rawHeaders[i + 1] ?? '';
    const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
    let m: RegExpExecArray | null;
    let found = false;
    while ((m = re.exec(value)) !== null) {
      found = true;
      out.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
    }
    if (!found && value.trim() !== '') out.push(value.trim());
  }
  return out;
}
