/**
 * A minimal client of podvisor's Kubernetes REST API for e2e tests: JSON requests with the
 * node's bearer token, and watch streams (newline-delimited JSON) that survive reconnects.
 */
import http from 'node:http';

/** A non-2xx answer from the API, with the Status object's reason and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ApiWatch {
  stop(): void;
}

export class ApiClient {
  constructor(
    /** `http://127.0.0.1:PORT` */
    readonly server: string,
    readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await httpRequest(this.server + path, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let parsed: unknown;
    try {
      parsed = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      const st = (parsed ?? {}) as { reason?: string; message?: string };
      throw new ApiError(
        res.status,
        st.reason ?? '',
        `${method} ${path}: ${res.status} ${st.message ?? res.body}`,
      );
    }
    return parsed as T;
  }

  /**
   * `GET <listPath>&watch=true`. When the server closes the stream it resumes from the last
   * resourceVersion seen, or starts over (synthetic ADDED events) after an ERROR (410 Expired).
   */
  watch<T extends { metadata?: { resourceVersion?: string } }>(
    listPath: string,
    onEvent: (ev: WatchEvent<T>) => void,
  ): ApiWatch {
    let stopped = false;
    let resourceVersion: string | undefined;
    let current: http.ClientRequest | undefined;
    const separator = listPath.includes('?') ? '&' : '?';
    const reconnect = (delayMs: number): void => {
      if (!stopped) setTimeout(connect, delayMs);
    };
    const connect = (): void => {
      if (stopped) return;
      const rv =
        resourceVersion === undefined ? '' : `&resourceVersion=${encodeURIComponent(resourceVersion)}`;
      const req = http.get(`${this.server}${listPath}${separator}watch=true${rv}`, {
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
      });
      current = req;
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', () => reconnect(200));
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (line === '' || stopped) continue;
            const ev = JSON.parse(line) as WatchEvent<T>;
            if (ev.type === 'ERROR') {
              resourceVersion = undefined;
              continue;
            }
            resourceVersion = ev.object.metadata?.resourceVersion ?? resourceVersion;
            if (ev.type !== 'BOOKMARK') onEvent(ev);
          }
        });
        res.on('end', () => reconnect(50));
        res.on('error', () => undefined);
      });
      req.on('error', () => reconnect(200));
    };
    connect();
    return {
      stop: () => {
        stopped = true;
        current?.destroy();
      },
    };
  }
}

interface RawResponse {
  status: number;
  body: string;
}

/** Go's isReplayable: a request that changes nothing may be sent twice. */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One request. A kept-alive connection can be closed by the server as idle (keepAliveTimeout)
 * just as it is reused: the request then meets a reset and never reached the server. Node's agent
 * retires idle sockets 1 s before the server's hint, but a test process starved of CPU on a loaded
 * CI machine can miss that margin. So reads on a reused socket go again once on a new connection
 * (as Go's transport, kubectl's, does), and writes always take a new connection, so no write is
 * ever sent twice or lost to that race.
 */
function httpRequest(
  url: string,
  opts: { method: string; headers: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const replayable = REPLAYABLE.has(opts.method);
  return new Promise<RawResponse>((resolve, reject) => {
    const headers = { ...opts.headers };
    if (opts.body !== undefined) {
      // Node sends no chunked encoding for DELETE: without a length the body would break the request.
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(opts.body));
    }
    const attempt = (mayRetry: boolean): void => {
      const req = http.request(
        url,
        { method: opts.method, headers, ...(replayable ? {} : { agent: false }) },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          attempt(false);
          return;
        }
        reject(err);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${opts.method} ${url}: no answer within 30 s`)));
      req.end(opts.body);
    };
    attempt(replayable);
  });
}
