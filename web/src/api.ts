/**
 * The dashboard's only way to the node: the Kubernetes REST API of podvisor, with the bearer token
 * in the Authorization header (never a cookie, so no CSRF; never a query string, so never in a log).
 * Live data comes from list + watch (no polling): a list gives the items and a resourceVersion, a
 * watch from that version streams the changes; a 410 Expired relists, a dropped stream re-watches.
 */
import { useEffect, useState } from 'preact/hooks';

const TOKEN_KEY = 'podvisor-token';

/**
 * The token arrives in the URL fragment (`#token=…`, which the browser never sends to a server) from
 * `podvisor dashboard`; it is moved to sessionStorage (this tab only) and the fragment is cleared.
 */
export function takeToken(): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** A refused request, with the Kubernetes Status message when the server sent one. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra?: Record<string, string>): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

async function failure(res: Response): Promise<ApiFailure> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    // not a Status body: keep the status line
  }
  return new ApiFailure(res.status, message);
}

/** One request; `body` is sent as JSON (or as `contentType`, e.g. a merge patch). */
export async function api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const init: RequestInit = { method, headers: headers() };
  if (body !== undefined) {
    init.headers = headers({ 'Content-Type': contentType ?? 'application/json' });
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Calls `onLine` for every line of a streamed response until `signal` aborts or the stream ends. */
export async function streamLines(
  path: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(path, { headers: headers(), signal });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
    }
  }
  if (rest) onLine(rest);
}

/**
 * Whether the page reaches the node: `live` after a list succeeded, `reconnecting` while a list or
 * watch fails to connect (network error or 5xx; a 4xx answer is the request's fault, not the link's).
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';
let connectionState: ConnectionState = 'connecting';
const connectionListeners = new Set<(s: ConnectionState) => void>();

function setConnectionState(next: ConnectionState): void {
  if (next === connectionState) return;
  connectionState = next;
  for (const listener of connectionListeners) listener(next);
}

/** Preact hook: the page's connection state, for the top bar. */
export function useConnectionState(): ConnectionState {
  const [state, setState] = useState(connectionState);
  useEffect(() => {
    connectionListeners.add(setState);
    setState(connectionState);
    return () => void connectionListeners.delete(setState);
  }, []);
  return state;
}

export interface Named {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

function key(o: Named): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/**
 * Keeps `onItems` up to date with the collection at `path` (e.g. `/api/v1/pods`, or
 * `/apis/podvisor.io/v1alpha1/probehistories`): list, then watch from its resourceVersion.
 * Returns a stop function. `onItems` gets a fresh array (sorted by namespace/name) after each change.
 */
export function listWatch<T extends Named>(
  path: string,
  onItems: (items: T[]) => void,
  onError: (e: Error) => void = () => undefined,
): () => void {
  const abort = new AbortController();
  const items = new Map<string, T>();
  const publish = (): void =>
    onItems([...items.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)));
  const sep = path.includes('?') ? '&' : '?';

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const list = await api<{ items: T[]; metadata: { resourceVersion?: string } }>('GET', path);
        setConnectionState('live');
        items.clear();
        for (const o of list.items) items.set(key(o), o);
        publish();
        let rv = list.metadata.resourceVersion ?? '';
        // Re-watch from the last version seen until the server says it is too old (410).
        for (;;) {
          let expired = false;
          await streamLines(
            `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}`,
            (line) => {
              if (!line.trim()) return;
              const ev = JSON.parse(line) as { type: string; object: T & { code?: number } };
              if (ev.type === 'ERROR') {
                expired = ev.object.code === 410;
                return;
              }
              if (ev.object.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
              if (ev.type === 'BOOKMARK') return;
              if (ev.type === 'DELETED') items.delete(key(ev.object));
              else items.set(key(ev.object), ev.object);
              publish();
            },
            abort.signal,
          );
          if (expired || abort.signal.aborted) break;
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        if (!(e instanceof ApiFailure) || e.status >= 500) setConnectionState('reconnecting');
        onError(e instanceof Error ? e : new Error(String(e)));
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  void run();
  return () => abort.abort();
}

/** Preact hook over listWatch: the live items of `path` (undefined until the first list). */
export function useListWatch<T extends Named>(
  path: string | undefined,
): { items: T[] | undefined; error?: string } {
  const [state, setState] = useState<{ items: T[] | undefined; error?: string }>({ items: undefined });
  useEffect(() => {
    if (!path) return undefined;
    setState({ items: undefined });
    return listWatch<T>(
      path,
      (items) => setState({ items }),
      (e) => setState((s) => ({ ...s, error: e.message })),
    );
  }, [path]);
  return state;
}
