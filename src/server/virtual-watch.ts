import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../api/types.js';
import type { WatchEvent } from '../store/types.js';
import type { ChangeFeed, FeedEntry, FeedName } from '../util/change-feed.js';
import type { Clock, Timer } from '../util/clock.js';
import { boolParam, intParam } from './http-io.js';
import { encodeWatchEvent } from './json-encoding.js';
import type { RequestContext } from './resource-types.js';
import { badRequest, failureStatus } from './status.js';
import { tableWatchEncoding } from './tables/index.js';
import { nextBookmarkTime, type BookmarkKind } from './watch.js';

/**
 * Watches of podvisor.io objects that live outside the store (probe histories, service traffic),
 * framed like a store watch (watch.ts): newline-delimited `{"type":..,"object":..}`, 410 Expired
 * for a version we cannot resume from, bookmarks on request. The owner of the objects only bumps
 * a version per change (util/change-feed.ts); this side pulls the CURRENT object, at most once per
 * COALESCE_MS per object and per watcher. The first change after a quiet spell goes out on the
 * next tick; later ones wait for the window to end (trailing edge), so the last state always
 * arrives. A probe that runs every 100 ms therefore costs a watcher 4 objects a second, not 10.
 * In an event, `metadata.resourceVersion` is where this stream may be resumed from (every change
 * up to it was sent), which can be below the object's own version; a get or list shows the latter.
 */
export const COALESCE_MS = 250;

/** As watch.ts: a client that lets this much pile up unread is cut off (it lists again). */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

export interface VirtualCollection<T extends KubeObject, M extends FeedName> {
  changes: ChangeFeed<M>;
  /** The current object under a feed key, built on demand; undefined when it is gone. */
  objectOf(key: string): T | undefined;
  /** What a DELETED event carries: the kind, its name, the deletion's version, empty content. */
  deletedObject(meta: M, version: number): T;
}

/** `metadata.name` / `metadata.namespace` (the only fields these objects are selected by). */
export interface VirtualSelector {
  namespace?: string;
  name?: string;
}

export interface VirtualWatchRequest<T extends KubeObject, M extends FeedName> {
  collection: VirtualCollection<T, M>;
  clock: Clock;
  selector: VirtualSelector;
  /** Absent or "0": every current object as ADDED first; else the changes after that version. */
  resourceVersion?: string;
  timeoutSeconds?: number;
  encode?: (ev: WatchEvent) => unknown;
  bookmarks?: BookmarkKind;
}

/**
 * The namespace of the path plus `fieldSelector` on metadata.name / metadata.namespace; anything
 * else is refused by name (these objects have no labels and no other selectable fields).
 */
export function virtualSelector(ctx: RequestContext): VirtualSelector {
  const plural = `${ctx.type.resource}.${ctx.type.group}`;
  const out: VirtualSelector = {};
  if (ctx.namespace !== undefined) out.namespace = ctx.namespace;
  if (ctx.name !== undefined) out.name = ctx.name;
  if (ctx.query.get('labelSelector'))
    throw badRequest(
      `labelSelector: ${plural} have no labels: leave out -l / labelSelector (select by name or namespace)`,
    );
  const fields = ctx.query.get('fieldSelector') ?? '';
  for (const term of fields.split(',')) {
    if (term.trim() === '') continue;
    const m = /^\s*(metadata\.name|metadata\.namespace)\s*==?\s*([^=!,\s]*)\s*$/.exec(term);
    if (!m)
      throw badRequest(
        `fieldSelector: "${term}" is not supported for ${plural}: use metadata.name=NAME or metadata.namespace=NS`,
      );
    const value = m[2] ?? '';
    if (m[1] === 'metadata.name') {
      if (out.name !== undefined && out.name !== value) out.name = '\u0000nothing';
      else out.name = value;
    } else if (out.namespace !== undefined && out.namespace !== value) out.namespace = '\u0000nothing';
    else out.namespace = value;
  }
  return out;
}

export function selects(selector: VirtualSelector, meta: FeedName): boolean {
  return (
    (selector.namespace === undefined || meta.namespace === selector.namespace) &&
    (selector.name === undefined || meta.name === selector.name)
  );
}

/** The request's watch options for serveVirtualWatch (what rest.ts's startWatch reads for the store). */
export function virtualWatchOptions(
  ctx: RequestContext,
): Pick<VirtualWatchRequest<KubeObject, FeedName>, 'selector' | 'clock'> &
  Partial<
    Pick<
      VirtualWatchRequest<KubeObject, FeedName>,
      'resourceVersion' | 'timeoutSeconds' | 'encode' | 'bookmarks'
    >
  > {
  const timeoutSeconds = intParam(ctx.query, 'timeoutSeconds');
  const rv = ctx.query.get('resourceVersion');
  const encode = tableWatchEncoding(ctx);
  return {
    selector: virtualSelector(ctx),
    clock: ctx.clock,
    ...(rv ? { resourceVersion: rv } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(encode ? { encode } : {}),
    ...(boolParam(ctx.query, 'allowWatchBookmarks')
      ? { bookmarks: { kind: ctx.type.kind, apiVersion: `${ctx.type.group}/${ctx.type.version}` } }
      : {}),
  };
}

interface Known<M> {
  meta: M;
  created: number;
}

/** Starts the stream; throws a plain Status (before anything is written) for a bad resourceVersion. */
export function serveVirtualWatch<T extends KubeObject, M extends FeedName>(
  res: ServerResponse,
  w: VirtualWatchRequest<T, M>,
): void {
  const { collection, clock, selector } = w;
  const feed = collection.changes;
  let from: number | undefined;
  if (w.resourceVersion !== undefined && w.resourceVersion !== '0') {
    from = Number(w.resourceVersion);
    if (!/^\d+$/.test(w.resourceVersion) || !Number.isSafeInteger(from))
      throw badRequest(
        `resourceVersion: Invalid value: "${w.resourceVersion}": must be a non-negative integer`,
      );
  }
  const backlog = from === undefined ? undefined : feed.since(from);
  if (from !== undefined && backlog === undefined) {
    startStream(res);
    const message = `too old or too new resource version: ${from} (current ${feed.version}): list again`;
    res.end(`${JSON.stringify({ type: 'ERROR', object: failureStatus(410, 'Expired', message) })}\n`);
    return;
  }

  /** What the client holds: an object it was sent and not told is deleted. */
  const known = new Map<string, Known<M>>();
  /** Held-back keys → the version of their first change not yet sent. */
  const pending = new Map<string, number>();
  /**
   * The resourceVersion the next event carries when set: the point up to which this stream has
   * delivered every change (see flush). Unset, an object carries its own version.
   */
  let stamp: number | undefined;
  const lastSent = new Map<string, number>();
  let open = true;
  let flushTimer: Timer | undefined;
  let flushAt = Infinity;
  let deadlineTimer: Timer | undefined;
  let bookmarkTimer: Timer | undefined;

  const write = (type: 'ADDED' | 'MODIFIED' | 'DELETED', current: T): void => {
    if (!open) return;
    const object =
      stamp === undefined
        ? current
        : { ...current, metadata: { ...current.metadata, resourceVersion: String(stamp) } };
    res.write(w.encode ? `${JSON.stringify(w.encode({ type, object }))}\n` : encodeWatchEvent(type, object));
    if (res.writableLength > MAX_UNREAD_BYTES) finish();
  };
  const sendDeleted = (key: string, was: Known<M>): void => {
    known.delete(key);
    const version = stamp ?? feed.tombstone(key)?.version ?? feed.version;
    write('DELETED', collection.deletedObject(was.meta, version));
  };
  const sendCurrent = (entry: FeedEntry<M>, now: number): void => {
    const was = known.get(entry.key);
    // A new incarnation under the same key: the client first drops the old one.
    if (was && was.created !== entry.created) sendDeleted(entry.key, was);
    const object = collection.objectOf(entry.key);
    if (object === undefined) {
      const still = known.get(entry.key);
      if (still) sendDeleted(entry.key, still);
      return;
    }
    write(known.has(entry.key) ? 'MODIFIED' : 'ADDED', object);
    known.set(entry.key, { meta: entry.meta, created: entry.created });
    lastSent.set(entry.key, now);
  };

  const flush = (): void => {
    flushTimer = undefined;
    flushAt = Infinity;
    if (!open) return;
    const now = clock.now();
    let next = Infinity;
    const batch: [string, number][] = [];
    for (const [key, firstUnsent] of pending) {
      const due = (lastSent.get(key) ?? -Infinity) + COALESCE_MS;
      if (due > now) next = Math.min(next, due);
      else batch.push([key, firstUnsent]);
    }
    for (const [key] of batch) pending.delete(key);
    let held = Infinity;
    for (const firstUnsent of pending.values()) held = Math.min(held, firstUnsent);
    // Coalescing sends objects out of version order, so an object's own version is no place to
    // resume from: a client re-watching from it would never get a change still held back. Each
    // event carries instead the version up to which this stream has sent EVERY change (the
    // oldest unsent change, held back or later in this batch, minus one), so resuming from the
    // last version seen loses nothing and at worst sends an object again.
    batch.sort((a, b) => a[1] - b[1]);
    for (let i = 0; i < batch.length; i++) {
      const [key] = batch[i] as [string, number];
      stamp = Math.min(feed.version, held - 1, (batch[i + 1]?.[1] ?? Infinity) - 1);
      const entry = feed.entry(key);
      if (entry) sendCurrent(entry, now);
      else {
        const was = known.get(key);
        if (was) sendDeleted(key, was);
      }
    }
    stamp = undefined;
    // Windows that have passed hold nothing back any more.
    for (const [key, at] of lastSent) if (at + COALESCE_MS <= now && !pending.has(key)) lastSent.delete(key);
    if (next !== Infinity) schedule(next);
  };
  const schedule = (at: number): void => {
    if (at >= flushAt) return;
    flushTimer?.cancel();
    flushAt = at;
    flushTimer = clock.setTimer(at - clock.now(), flush);
  };
  const onChange = (key: string): void => {
    if (!open || pending.has(key)) return;
    const meta = feed.entry(key)?.meta ?? known.get(key)?.meta;
    if (meta === undefined || !selects(selector, meta)) return;
    // Called right after the change: the feed's version is this change's.
    pending.set(key, feed.version);
    schedule(Math.max(clock.now(), (lastSent.get(key) ?? -Infinity) + COALESCE_MS));
  };

  const unsubscribe = feed.subscribe(onChange);
  const cleanup = (): void => {
    if (!open) return;
    open = false;
    unsubscribe();
    flushTimer?.cancel();
    deadlineTimer?.cancel();
    bookmarkTimer?.cancel();
  };
  function finish(): void {
    cleanup();
    res.end();
  }
  res.on('close', cleanup);
  startStream(res);

  // The backlog: everything after `from` (or every current object), in version order.
  const now = clock.now();
  if (backlog === undefined) {
    const current = [...feed.entries()].sort((a, b) => a.version - b.version);
    for (const entry of current) if (selects(selector, entry.meta)) sendCurrent(entry, now);
  } else {
    // Objects that existed at `from` are the client's already (their first event is a MODIFIED).
    for (const entry of feed.entries()) {
      if (entry.created <= (from ?? 0) && selects(selector, entry.meta))
        known.set(entry.key, { meta: entry.meta, created: entry.created });
    }
    for (const change of backlog) {
      const entry = change.entry;
      if (!selects(selector, entry.meta)) continue;
      // Objects that existed at `from` are the client's already.
      if (entry.created <= (from ?? 0)) known.set(entry.key, { meta: entry.meta, created: entry.created });
      if (change.deleted) {
        const was = known.get(entry.key);
        if (was) sendDeleted(entry.key, was);
      } else sendCurrent(entry, now);
    }
  }

  const deadline =
    w.timeoutSeconds !== undefined && w.timeoutSeconds > 0
      ? clock.now() + w.timeoutSeconds * 1000
      : undefined;
  if (deadline !== undefined) deadlineTimer = clock.setTimer(deadline - clock.now(), finish);
  const bookmark = w.bookmarks;
  if (bookmark === undefined) return;
  const scheduleBookmark = (afterOne: boolean): void => {
    const at = nextBookmarkTime(clock.now(), deadline);
    if (at === undefined || !open || (afterOne && at <= clock.now())) return;
    bookmarkTimer = clock.setTimer(at - clock.now(), () => {
      if (open) {
        // As for events: never past a change that is still held back.
        let safe = feed.version;
        for (const firstUnsent of pending.values()) safe = Math.min(safe, firstUnsent - 1);
        const object = { ...bookmark, metadata: { resourceVersion: String(safe) } };
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
      }
      scheduleBookmark(true);
    });
  };
  scheduleBookmark(false);
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
}
