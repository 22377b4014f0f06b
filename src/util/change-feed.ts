/**
 * Versions for objects that are not in the store (probe histories, service traffic): the owner
 * bumps a counter when an object changes, and a watch pulls the current object when it wants it.
 * Nothing is built, copied or queued per change: with no watcher a change costs a map lookup and
 * an increment, which is why a kubelet can call `touch` on every probe run.
 */

export interface FeedName {
  namespace: string;
  name: string;
}

export interface FeedEntry<M extends FeedName = FeedName> {
  readonly key: string;
  readonly meta: M;
  /** The version at which this incarnation of the object appeared. */
  readonly created: number;
  /** The version of its latest change (its resourceVersion). */
  version: number;
}

/** One object changed after a given version: the current entry, or a deletion. */
export interface FeedChange<M extends FeedName = FeedName> {
  entry: FeedEntry<M>;
  deleted: boolean;
}

/** Deletions remembered for watches that resume from an older version (then: 410 Expired). */
export const TOMBSTONE_LIMIT = 1024;

export type FeedListener = (key: string) => void;

export class ChangeFeed<M extends FeedName = FeedName> {
  private seq = 0;
  private readonly live = new Map<string, FeedEntry<M>>();
  /** Oldest first; each entry's `version` is the version of its deletion. */
  private readonly tombstones: FeedEntry<M>[] = [];
  /** Deletions at or below this version may have been forgotten. */
  private forgottenUpTo = 0;
  private readonly listeners = new Set<FeedListener>();

  /** The newest version handed out (a list's resourceVersion). */
  get version(): number {
    return this.seq;
  }

  /** Watches listening now (0: nobody is watching). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The object under `key` changed, or appeared (`meta` is kept from its first touch). */
  touch(key: string, meta: M): void {
    const entry = this.live.get(key);
    if (entry) entry.version = ++this.seq;
    else {
      const v = ++this.seq;
      this.live.set(key, { key, meta, created: v, version: v });
    }
    for (const listener of this.listeners) listener(key);
  }

  /** The object under `key` is gone (a no-op when it is not known). */
  remove(key: string): void {
    const entry = this.live.get(key);
    if (!entry) return;
    this.live.delete(key);
    this.tombstones.push({ ...entry, version: ++this.seq });
    if (this.tombstones.length > TOMBSTONE_LIMIT) {
      const dropped = this.tombstones.shift();
      if (dropped) this.forgottenUpTo = dropped.version;
    }
    for (const listener of this.listeners) listener(key);
  }

  entry(key: string): FeedEntry<M> | undefined {
    return this.live.get(key);
  }

  /** The newest deletion of `key`, if it is still remembered. */
  tombstone(key: string): FeedEntry<M> | undefined {
    for (let i = this.tombstones.length - 1; i >= 0; i--) {
      const t = this.tombstones[i];
      if (t?.key === key) return t;
    }
    return undefined;
  }

  /** Every live entry (for lists: the objects that exist now). */
  entries(): IterableIterator<FeedEntry<M>> {
    return this.live.values();
  }

  /**
   * What changed after `rv`, in version order: live objects changed since, and deletions of
   * objects that existed at `rv`. Undefined when `rv` is older than the remembered deletions or
   * newer than any version handed out (another run of the node): the client must list again.
   */
  since(rv: number): FeedChange<M>[] | undefined {
    if (rv < this.forgottenUpTo || rv > this.seq) return undefined;
    const out: FeedChange<M>[] = [];
    for (const t of this.tombstones) {
      if (t.version > rv && t.created <= rv) out.push({ entry: t, deleted: true });
    }
    for (const e of this.live.values()) if (e.version > rv) out.push({ entry: e, deleted: false });
    return out.sort((a, b) => a.entry.version - b.entry.version);
  }

  /** Calls `listener(key)` after every change until the returned function is called. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
