import type { KubeObject } from '../api/types.js';
import { badRequest, expired } from './errors.js';
import { deepFreeze } from './frozen.js';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { ListOptions, Watch, WatchEvent, WatchOptions } from './types.js';

/** One committed change, as kept in the replay history. Objects here are never mutated. */
export interface ChangeRecord {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** The state before a MODIFIED change: filtered watches need it to emit ADDED/DELETED. */
  prev?: KubeObject;
}

/** A bounded ring of one resource's changes; everything after `horizon` is still held. */
class ResourceHistory {
  private readonly ring: (ChangeRecord | undefined)[];
  private start = 0;
  private size = 0;
  /** The resourceVersion of the newest evicted change (0: nothing evicted yet). */
  horizon = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<ChangeRecord | undefined>(capacity);
  }

  push(change: ChangeRecord): void {
    if (this.capacity === 0) {
      this.horizon = change.rv;
      return;
    }
    if (this.size === this.capacity) {
      this.horizon = (this.ring[this.start] as ChangeRecord).rv;
      this.ring[this.start] = change;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.size) % this.capacity] = change;
      this.size++;
    }
  }

  /** Changes with rv > after, oldest first. */
  since(after: number): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    for (let i = this.size - 1; i >= 0; i--) {
      const c = this.ring[(this.start + i) % this.capacity] as ChangeRecord;
      if (c.rv <= after) break;
      out.push(c);
    }
    return out.reverse();
  }
}

export type ObjectMatcher = (obj: KubeObject) => boolean;

/** Namespace + label + field selector test of ListOptions. Throws StoreError 400 on a bad selector. */
export function compileMatcher(opts: ListOptions): ObjectMatcher {
  const labels = parseLabelSelector(opts.labelSelector);
  const fields = parseFieldSelector(opts.fieldSelector);
  const ns = opts.namespace || undefined;
  return (obj) =>
    (ns === undefined || (obj.metadata.namespace ?? '') === ns) &&
    labelsMatch(labels, obj.metadata.labels) &&
    fieldsMatch(fields, obj);
}

interface Watcher {
  matches: ObjectMatcher;
  onEvent: (ev: WatchEvent) => void;
  queue: { type: WatchEvent['type']; object: KubeObject }[];
  /** Delivers the stored (frozen) objects themselves: WatchOptions.shared. */
  shared: boolean;
  scheduled: boolean;
  stopped: boolean;
}

/**
 * Turns one committed change into what a filtered watcher sees. A watch with a selector gets
 * DELETED when an object stops matching and ADDED when it starts to (the apiserver's cacher
 * semantics; the DELETED carries the old state at the new resourceVersion).
 */
function project(
  change: ChangeRecord,
  matches: ObjectMatcher,
): { type: WatchEvent['type']; object: KubeObject } | undefined {
  if (change.type !== 'MODIFIED')
    return matches(change.object) ? { type: change.type, object: change.object } : undefined;
  const now = matches(change.object);
  const before = change.prev !== undefined && matches(change.prev);
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: change.object };
  if (before && change.prev) {
    const old = deepFreeze({
      ...change.prev,
      metadata: { ...change.prev.metadata, resourceVersion: String(change.rv) },
    });
    return { type: 'DELETED', object: old };
  }
  return undefined;
}

/**
 * Watch fan-out and replay history. Delivery is asynchronous (a microtask per batch) and in
 * resourceVersion order; each watcher gets its own deep copy of every object, or, when it asked
 * for `shared` delivery, the stored (deep-frozen) object itself.
 */
export class WatchHub {
  private readonly histories = new Map<string, ResourceHistory>();
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(private readonly historySize: number) {}

  private history(resource: string): ResourceHistory {
    let h = this.histories.get(resource);
    if (!h) {
      h = new ResourceHistory(this.historySize);
      this.histories.set(resource, h);
    }
    return h;
  }

  /** Records a committed change and queues it for every watcher of the resource. */
  publish(resource: string, change: ChangeRecord): void {
    this.history(resource).push(change);
    const set = this.watchers.get(resource);
    if (!set) return;
    for (const w of set) {
      const ev = project(change, w.matches);
      if (ev) this.enqueue(w, ev);
    }
  }

  /**
   * Opens a watch. With a resourceVersion (other than "0"), replays the changes after it from
   * history — 410 Expired when they are no longer all held; without one, a synthetic ADDED for
   * each current object (`snapshot`) comes first.
   */
  open(
    resource: string,
    opts: WatchOptions,
    currentRv: number,
    snapshot: () => KubeObject[],
    onEvent: (ev: WatchEvent) => void,
  ): Watch {
    const matches = compileMatcher(opts);
    const w: Watcher = {
      matches,
      onEvent,
      queue: [],
      shared: opts.shared === true,
      scheduled: false,
      stopped: false,
    };
    const rvText = opts.resourceVersion;
    if (rvText !== undefined && rvText !== '' && rvText !== '0') {
      if (!/^\d+$/.test(rvText)) throw badRequest(`invalid resource version "${rvText}"`);
      const rv = Number(rvText);
      const history = this.history(resource);
      if (rv < history.horizon) throw expired(`too old resource version: ${rv} (${history.horizon})`);
      // A version from the future (e.g. from before a restart) would silently skip events until the
      // counter caught up; Expired makes informers re-list instead.
      if (rv > currentRv) throw expired(`too large resource version: ${rv}, current: ${currentRv}`);
      for (const change of history.since(rv)) {
        const ev = project(change, matches);
        if (ev) this.enqueue(w, ev);
      }
    } else {
      for (const obj of snapshot()) if (matches(obj)) this.enqueue(w, { type: 'ADDED', object: obj });
    }
    let set = this.watchers.get(resource);
    if (!set) {
      set = new Set();
      this.watchers.set(resource, set);
    }
    set.add(w);
    const watchers = set;
    return {
      stop: () => {
        w.stopped = true;
        w.queue = [];
        watchers.delete(w);
      },
    };
  }

  /** Number of open watches (all resources): lets tests and metrics see that none leak. */
  openWatches(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  private enqueue(w: Watcher, ev: { type: WatchEvent['type']; object: KubeObject }): void {
    w.queue.push(ev);
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => this.flush(w));
  }

  private flush(w: Watcher): void {
    w.scheduled = false;
    const batch = w.queue;
    w.queue = [];
    for (const ev of batch) {
      if (w.stopped) return;
      try {
        w.onEvent({ type: ev.type, object: w.shared ? ev.object : structuredClone(ev.object) });
      } catch (err) {
        // One faulty consumer must not stop delivery to the others (or to itself).
        console.error('podvisor: watch event handler threw:', err);
      }
    }
  }
}
