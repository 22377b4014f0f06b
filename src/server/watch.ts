import type { ServerResponse } from 'node:http';
import type { ObjectStore, Watch, WatchEvent, WatchOptions } from '../store/types.js';
import { StoreError } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { encodeWatchEvent } from './json-encoding.js';
import { failureStatus } from './status.js';

/**
 * A watch as the apiserver streams it: newline-delimited JSON `{"type":..,"object":..}` over a
 * chunked 200 response that stays open until the client leaves (or `timeoutSeconds`). A
 * resourceVersion too old for the history is an ERROR event carrying a 410 Status, then the end
 * of the stream (kubectl-surface §1.5): clients re-list on it.
 */

/** A client that lets this much pile up unread is cut off; it re-lists and watches again. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

/**
 * Bookmarks go out at the cacher's cadence (cache_watcher.go nextBookmarkTime): roughly once a
 * minute, and 2 s before `timeoutSeconds` ends the stream, so an informer that reconnects holds a
 * resourceVersion as fresh as possible and is not sent back to a re-list by 410 Expired.
 */
export const BOOKMARK_PERIOD_MS = 60_000;
const BOOKMARK_BEFORE_DEADLINE_MS = 2_000;

/** What a BOOKMARK object is: the watched kind with nothing but `metadata.resourceVersion`. */
export interface BookmarkKind {
  kind: string;
  apiVersion: string;
}

export interface WatchRequest {
  store: ObjectStore;
  clock: Clock;
  resource: string;
  opts: WatchOptions;
  /** Close the stream after this long (informers ask for 300–600 s; kubectl get -w never does). */
  timeoutSeconds?: number;
  /** Re-shapes each event before it is written (a Table watch, src/server/tables). */
  encode?: (ev: WatchEvent) => unknown;
  /**
   * Set only for `allowWatchBookmarks=true`: kubectl get -w never asks, and an unrequested
   * bookmark is printed by it as a garbage `<unknown>` row (kubectl-surface §1.5).
   */
  bookmarks?: BookmarkKind;
}

/** Starts the stream. Throws (before anything is written) for errors that are a plain Status, e.g. a bad selector. */
export function serveWatch(res: ServerResponse, w: WatchRequest): void {
  let watch: Watch;
  let open = true;
  let timer: Timer | undefined;
  let bookmarkTimer: Timer | undefined;
  /** The newest resourceVersion written to this stream (a bookmark never goes backwards). */
  let lastWritten = 0;
  const cleanup = (): void => {
    if (!open) return;
    open = false;
    watch?.stop();
    timer?.cancel();
    bookmarkTimer?.cancel();
  };
  const finish = (): void => {
    cleanup();
    res.end();
  };
  try {
    // Shared delivery: events are only serialised here, and a stored object's JSON is cached.
    watch = w.store.watch(w.resource, { ...w.opts, shared: true }, (ev) => {
      if (!open) return;
      lastWritten = Math.max(lastWritten, Number(ev.object.metadata.resourceVersion) || 0);
      res.write(w.encode ? `${JSON.stringify(w.encode(ev))}\n` : encodeWatchEvent(ev.type, ev.object));
      if (res.writableLength > MAX_UNREAD_BYTES) finish();
    });
  } catch (err) {
    if (err instanceof StoreError && err.code === 410) {
      startStream(res);
      res.end(`${JSON.stringify({ type: 'ERROR', object: failureStatus(410, err.reason, err.message) })}\n`);
      return;
    }
    throw err;
  }
  // Node's req 'close' fires once the request body is read; only res 'close' means the client left.
  res.on('close', cleanup);
  startStream(res);
  const deadline =
    w.timeoutSeconds !== undefined && w.timeoutSeconds > 0
      ? w.clock.now() + w.timeoutSeconds * 1000
      : undefined;
  if (deadline !== undefined) timer = w.clock.setTimer(deadline - w.clock.now(), finish);
  const bookmark = w.bookmarks;
  if (bookmark === undefined) return;
  const scheduleBookmark = (afterOne: boolean): void => {
    const at = nextBookmarkTime(w.clock.now(), deadline);
    // Right after the pre-deadline bookmark the next "2 s before the deadline" is now again: stop.
    if (at === undefined || !open || (afterOne && at <= w.clock.now())) return;
    bookmarkTimer = w.clock.setTimer(at - w.clock.now(), () => {
      // Every change committed up to now is already queued for this watcher; its delivery is a
      // microtask queued before ours, so the bookmark lands after them (never ahead of an event).
      const rv = Number(w.store.currentResourceVersion()) || 0;
      queueMicrotask(() => {
        if (!open) return;
        lastWritten = Math.max(lastWritten, rv);
        const object = {
          kind: bookmark.kind,
          apiVersion: bookmark.apiVersion,
          metadata: { resourceVersion: String(lastWritten) },
        };
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
        scheduleBookmark(true);
      });
    });
  };
  scheduleBookmark(false);
}

/** When the next bookmark is due: a minute from now, or 2 s before the deadline if sooner; none once that has passed. */
export function nextBookmarkTime(now: number, deadline: number | undefined): number | undefined {
  let at = now + BOOKMARK_PERIOD_MS;
  if (deadline !== undefined) at = Math.min(at, deadline - BOOKMARK_BEFORE_DEADLINE_MS);
  return at < now ? undefined : at;
}

function startStream(res: ServerResponse): void {
  // No Content-Length: Node sends the body with chunked transfer encoding.
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
}
