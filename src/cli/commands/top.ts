import type { Event, KubeObject, Pod } from '../../api/types.js';
import type { ApiClient } from '../client.js';
import { connect, withInterrupt, type CommandContext } from '../context.js';
import { EXIT_OK, usageError } from '../errors.js';
import { renderFrame } from '../terminal-frame.js';
import { LiveScreen } from '../terminal-screen.js';
import { LiveViewState, type ChangeType } from '../terminal-view.js';

export interface TopOptions {
  /** Only this namespace's pods and events (default: every namespace, as `up` shows them). */
  namespace?: string;
  /** Print one frame and exit. */
  once?: boolean;
}

interface List<T> {
  items?: T[];
  metadata?: { resourceVersion?: string };
}

/** After a watch ends (the server closed it), the next list waits this long: no hot loop. */
const RELIST_DELAY_MS = 1000;

/**
 * `podvisor top`: `podvisor up`'s live view of a running node, through its API (list + watch of
 * pods and events), on the alternate screen until Ctrl-C. `--once` prints one frame.
 */
export async function runTop(ctx: CommandContext, opts: TopOptions): Promise<number> {
  const { io } = ctx;
  if (!opts.once && !io.isTTY) {
    throw usageError(
      'error: podvisor top draws a live view and needs a terminal: pass --once to print one frame (e.g. into a pipe or a file)',
    );
  }
  const client = await connect(ctx);
  const ns = opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : '';
  const podsPath = `/api/v1${ns}/pods`;
  const eventsPath = `/api/v1${ns}/events`;
  const [title, pods, events] = await Promise.all([
    nodesTitle(client),
    client.get<List<Pod>>(podsPath),
    client.get<List<Event>>(eventsPath),
  ]);
  const state = new LiveViewState();
  state.resetPods(pods.items ?? []);
  state.resetEvents(events.items ?? []);
  if (opts.once) {
    const columns = io.isTTY ? (process.stdout.columns ?? 80) - 1 : Number.POSITIVE_INFINITY;
    const lines = renderFrame(state.frame(title, client.server, Date.now()), {
      columns,
      rows: Number.POSITIVE_INFINITY,
    });
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  }
  const screen = new LiveScreen(process.stdout, () => state.frame(title, client.server, Date.now()));
  screen.start();
  try {
    await withInterrupt(async (interrupted) => {
      // Either follow failing (the node went away) ends the other one too.
      const both = new AbortController();
      interrupted.addEventListener('abort', () => both.abort(), { once: true });
      const follow = <T extends Pod | Event>(
        path: string,
        from: List<T>,
        apply: (type: ChangeType, obj: T) => void,
        reset: (items: T[]) => void,
      ): Promise<void> =>
        followList(client, path, from, both.signal, {
          apply: (type, obj) => {
            apply(type, obj);
            screen.changed();
          },
          reset: (items) => {
            reset(items);
            screen.changed();
          },
        }).catch((err: unknown) => {
          both.abort();
          throw err;
        });
      await Promise.all([
        follow(
          podsPath,
          pods,
          (t, p) => state.applyPod(t, p),
          (items) => state.resetPods(items),
        ),
        follow(
          eventsPath,
          events,
          (t, e) => state.applyEvent(t, e),
          (items) => state.resetEvents(items),
        ),
      ]);
    });
  } finally {
    screen.stop();
  }
  return EXIT_OK;
}

/** Watches from the list's resourceVersion; when a watch ends or expires, lists again and goes on. */
async function followList<T extends KubeObject | Pod | Event>(
  client: ApiClient,
  path: string,
  first: List<T>,
  signal: AbortSignal,
  on: { apply(type: ChangeType, obj: T): void; reset(items: T[]): void },
): Promise<void> {
  let resourceVersion = first.metadata?.resourceVersion;
  while (!signal.aborted) {
    try {
      await client.watch<T>(
        path,
        { resourceVersion },
        (ev) => {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED')
            on.apply(ev.type, ev.object);
          resourceVersion = ev.object.metadata?.resourceVersion ?? resourceVersion;
        },
        signal,
      );
    } catch (err) {
      // 410 Gone (the version is too old) and other watch errors: start again from a list.
      if (signal.aborted) return;
      if ((err as { code?: number }).code !== 410) throw err;
    }
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RELIST_DELAY_MS);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal.aborted) return;
    const list = await client.get<List<T>>(path);
    on.reset(list.items ?? []);
    resourceVersion = list.metadata?.resourceVersion;
  }
}

/** `podvisor node "box"`, or `podvisor nodes "node-1", "node-2", "node-3"`. */
async function nodesTitle(client: ApiClient): Promise<string> {
  const nodes = await client.get<List<KubeObject>>('/api/v1/nodes');
  const names = (nodes.items ?? []).map((n) => `"${n.metadata.name ?? ''}"`);
  if (names.length === 1) return `podvisor node ${names[0]}`;
  if (names.length <= 3) return `podvisor nodes ${names.join(', ')}`;
  return `podvisor nodes ${names[0]} … ${names[names.length - 1]} (${names.length})`;
}
