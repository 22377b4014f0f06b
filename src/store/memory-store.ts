import { randomInt, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/types.js';
import { RealClock, type Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import { alreadyExists, badRequest, conflict, notFound } from './errors.js';
import {
  StoreError,
  type ListOptions,
  type ListResult,
  type ObjectStore,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from './types.js';
import { deepFreeze } from './frozen.js';
import { compileMatcher, WatchHub } from './watch-hub.js';

export interface MemoryStoreOptions {
  clock?: Clock;
  /** How many changes per resource a watch can replay from (the watch cache window). */
  historySize?: number;
  /** Write-through layer (e.g. SQLite): told of every change before it becomes visible. */
  persistence?: StorePersistence;
  /** Objects and the resourceVersion counter to start from (loaded from persistence). */
  initial?: RestoredState;
}

/**
 * Called inside each change, before the change is visible to readers and watchers; throwing
 * aborts the change (the store stays as it was), so memory never runs ahead of disk.
 */
export interface StorePersistence {
  put(resource: string, object: KubeObject, resourceVersion: number): void;
  remove(resource: string, namespace: string, name: string, resourceVersion: number): void;
}

export interface RestoredState {
  resourceVersion: number;
  objects: { resource: string; object: KubeObject }[];
}

/** utilrand.String's alphabet: no vowels (no accidental words), no look-alikes (0/o, 1/l). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
/** names.SimpleNameGenerator keeps the base short enough for a 63-character name. */
const MAX_GENERATE_NAME_BASE = 63 - GENERATED_SUFFIX_LENGTH;

const TOP_LEVEL_ORDER = ['apiVersion', 'kind', 'metadata'];
const METADATA_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
];

function ordered<T extends object>(obj: T, first: readonly string[]): T {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of first) if (k in src) out[k] = src[k];
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k];
  return out as T;
}

/** Field order as the apiserver serialises objects, so `-o yaml` reads like a real cluster's. */
function canonical<T extends KubeObject>(obj: T): T {
  const out = ordered(obj, TOP_LEVEL_ORDER);
  out.metadata = ordered(out.metadata, METADATA_ORDER);
  return out;
}

/** Plain objects and arrays are shared part by part; anything else only when equal as a whole. */
function isPlainJson(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) return proto === Array.prototype && Object.keys(value).length === value.length;
  return proto === Object.prototype || proto === null;
}

/**
 * `next` with every part that equals the stored `prev` replaced by `prev`'s own (frozen) part, or
 * `prev` itself when all of it is equal (isDeepStrictEqual's verdict). A status update then shares
 * the spec, labels and unchanged conditions with the version before it, so the versions a watch
 * can replay from (and their strings) are not each a full copy: with 200 idle pods the store held
 * about four full copies of every pod. `next` must be the store's own fresh copy: it is changed
 * in place.
 */
function shareUnchanged(next: unknown, prev: unknown): unknown {
  if (Object.is(next, prev)) return prev;
  if (typeof next !== 'object' || next === null || typeof prev !== 'object' || prev === null) return next;
  if (!isPlainJson(next) || !isPlainJson(prev) || Object.getPrototypeOf(next) !== Object.getPrototypeOf(prev))
    return isDeepStrictEqual(next, prev) ? prev : next;
  const n = next as Record<string, unknown>;
  const p = prev as Record<string, unknown>;
  const keys = Object.keys(n);
  let same = keys.length === Object.keys(p).length;
  for (const k of keys) {
    if (!Object.hasOwn(p, k)) {
      same = false;
      continue;
    }
    const v = shareUnchanged(n[k], p[k]);
    // Object.is, not ===: 0 and -0 are different values to isDeepStrictEqual.
    if (!Object.is(v, p[k])) same = false;
    else if (n[k] !== v) n[k] = v;
  }
  return same ? prev : next;
}

function generatedName(base: string): string {
  let suffix = '';
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return base.slice(0, MAX_GENERATE_NAME_BASE) + suffix;
}

/** Everything but metadata and status: what a change of bumps metadata.generation. */
function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj as KubeObject & { status?: unknown };
  return rest;
}

/** kubernetes-types marks server-set metadata readonly; the store is what sets it. */
type WritableMeta = { -readonly [K in keyof KubeObject['metadata']]: KubeObject['metadata'][K] };

function assertObject(obj: unknown): asserts obj is KubeObject {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw badRequest('the object must be a JSON object');
  const meta = (obj as { metadata?: unknown }).metadata;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    throw badRequest('the object has no metadata');
}

/**
 * The object store in memory: Kubernetes' optimistic concurrency (a global, monotonically
 * increasing resourceVersion), watches with replay, and label/field selectors. Objects are
 * copied on the way in and out, so callers never share state with the store; stored objects are
 * deep-frozen and replaced, never changed, so `shared` readers can be given them without a copy.
 */
export class MemoryStore implements ObjectStore {
  private readonly clock: Clock;
  private readonly hub: WatchHub;
  private readonly collections = new Map<string, Map<string, KubeObject>>();
  /** Each collection's keys in list order; dropped when a key comes or goes (not on updates). */
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly clusterScoped = new Set<string>();
  private rv = 0;
  private readonly persistence: StorePersistence | undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.clock ?? new RealClock();
    this.hub = new WatchHub(opts.historySize ?? 5000);
    this.persistence = opts.persistence;
    if (opts.initial) this.restore(opts.initial);
  }

  /** Objects come back exactly as stored (uid, resourceVersion, timestamps); no watch events. */
  private restore(state: RestoredState): void {
    let rv = state.resourceVersion;
    for (const { resource, object } of state.objects) {
      const meta = object.metadata;
      if (meta.namespace === undefined) this.clusterScoped.add(resource);
      this.collection(resource).set(
        keyOf(meta.namespace ?? '', meta.name ?? ''),
        deepFreeze(structuredClone(object)),
      );
      this.sortedKeys.delete(resource);
      rv = Math.max(rv, Number(meta.resourceVersion) || 0);
    }
    this.rv = rv;
  }

  create<T extends KubeObject>(resource: string, obj: T): T {
    assertObject(obj);
    const next = structuredClone(obj) as KubeObject;
    const meta: WritableMeta = next.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    // Cluster-scoped objects are created with namespace "" and carry no namespace field (and the
    // store remembers the resource as cluster-scoped, so later writes without a namespace work).
    if (meta.namespace === '') this.clusterScoped.add(resource);
    if (meta.namespace === undefined || meta.namespace === null)
      meta.namespace = this.defaultNamespace(resource);
    if (meta.namespace === '') delete meta.namespace;
    const coll = this.collection(resource);
    if (!meta.name) {
      if (!meta.generateName) {
        throw new StoreError(
          422,
          'Invalid',
          `${next.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
          {
            kind: next.kind,
          },
        );
      }
      do meta.name = generatedName(meta.generateName);
      while (coll.has(keyOf(meta.namespace ?? '', meta.name)));
    }
    const key = keyOf(meta.namespace ?? '', meta.name);
    if (coll.has(key)) throw alreadyExists(resource, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.clock.now());
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if ('spec' in next && meta.generation === undefined) meta.generation = 1;
    meta.resourceVersion = String(this.rv + 1);
    const stored = deepFreeze(canonical(next));
    this.persistence?.put(resource, stored, this.rv + 1);
    this.rv++;
    coll.set(key, stored);
    this.sortedKeys.delete(resource);
    this.hub.publish(resource, { rv: this.rv, type: 'ADDED', object: stored });
    return structuredClone(stored) as T;
  }

  get<T extends KubeObject>(resource: string, namespace: string, name: string): T | undefined {
    const cur = this.collections.get(resource)?.get(keyOf(namespace, name));
    return cur === undefined ? undefined : (structuredClone(cur) as T);
  }

  list<T extends KubeObject>(resource: string, opts: ListOptions = {}): ListResult<T> {
    const matches = compileMatcher(opts);
    const found = this.sorted(resource).filter(matches);
    const items = opts.shared ? (found as T[]) : found.map((o) => structuredClone(o) as T);
    return { items, resourceVersion: String(this.rv) };
  }

  update<T extends KubeObject>(resource: string, obj: T): T {
    assertObject(obj);
    const next = structuredClone(obj) as KubeObject;
    const meta = next.metadata;
    const namespace = meta.namespace ?? this.defaultNamespace(resource);
    const cur = this.collections.get(resource)?.get(keyOf(namespace, meta.name));
    if (!cur) throw notFound(resource, meta.name);
    if (meta.resourceVersion && meta.resourceVersion !== cur.metadata.resourceVersion)
      throw conflict(resource, meta.name);
    if (meta.uid && meta.uid !== cur.metadata.uid) {
      throw conflict(
        resource,
        meta.name,
        `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${cur.metadata.uid}`,
      );
    }
    return structuredClone(this.replace(resource, cur, next)) as T;
  }

  /**
   * Read-modify-write for in-process writers. Returns the stored object after the change (the
   * unchanged current object when `mutate` returns undefined or an equal object, with no new
   * resourceVersion and no watch event), or undefined when the object does not exist.
   */
  mutate<T extends KubeObject>(
    resource: string,
    namespace: string,
    name: string,
    mutate: (cur: T) => T | undefined,
  ): T | undefined {
    const cur = this.collections.get(resource)?.get(keyOf(namespace, name));
    if (!cur) return undefined;
    const proposed = mutate(structuredClone(cur) as T);
    if (proposed === undefined) return structuredClone(cur) as T;
    assertObject(proposed);
    return structuredClone(this.replace(resource, cur, structuredClone(proposed))) as T;
  }

  delete<T extends KubeObject>(resource: string, namespace: string, name: string): T {
    const coll = this.collections.get(resource);
    const key = keyOf(namespace, name);
    const cur = coll?.get(key);
    if (!coll || !cur) throw notFound(resource, name);
    this.persistence?.remove(resource, namespace, name, this.rv + 1);
    coll.delete(key);
    this.sortedKeys.delete(resource);
    // As etcd reports it: the deleted object carries the resourceVersion of its deletion.
    const gone = deepFreeze({ ...cur, metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } });
    this.hub.publish(resource, { rv: this.rv, type: 'DELETED', object: gone });
    return structuredClone(gone) as T;
  }

  watch<T extends KubeObject>(
    resource: string,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
  ): Watch {
    return this.hub.open(
      resource,
      opts,
      this.rv,
      () => this.sorted(resource),
      onEvent as (ev: WatchEvent) => void,
    );
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** Open watches across all resources (for leak checks and metrics). */
  openWatches(): number {
    return this.hub.openWatches();
  }

  /**
   * Stores `next` in place of `cur`. Identity (name, namespace, uid, creationTimestamp) always
   * comes from `cur`; generation follows spec changes and the start of a graceful deletion; an
   * unchanged object is not written at all (as the apiserver short-circuits no-op updates).
   */
  private replace(resource: string, cur: KubeObject, next: KubeObject): KubeObject {
    const meta: WritableMeta = next.metadata;
    const old = cur.metadata;
    meta.name = old.name;
    if (old.namespace === undefined) delete meta.namespace;
    else meta.namespace = old.namespace;
    meta.uid = old.uid;
    meta.creationTimestamp = old.creationTimestamp;
    meta.resourceVersion = old.resourceVersion;
    if (old.generation === undefined) delete meta.generation;
    else {
      const specChanged = !isDeepStrictEqual(specOf(cur), specOf(next));
      const deletionStarted = !old.deletionTimestamp && !!meta.deletionTimestamp;
      meta.generation = old.generation + (specChanged || deletionStarted ? 1 : 0);
    }
    const candidate = shareUnchanged(canonical(next), cur) as KubeObject;
    if (candidate === cur) return cur;
    // Unchanged metadata is cur's own (frozen) object; the new resourceVersion needs a copy of it.
    if (candidate.metadata === cur.metadata) candidate.metadata = { ...cur.metadata };
    (candidate.metadata as WritableMeta).resourceVersion = String(this.rv + 1);
    deepFreeze(candidate);
    this.persistence?.put(resource, candidate, this.rv + 1);
    this.rv++;
    this.collection(resource).set(keyOf(old.namespace ?? '', old.name), candidate);
    this.hub.publish(resource, { rv: this.rv, type: 'MODIFIED', object: candidate, prev: cur });
    return candidate;
  }

  private defaultNamespace(resource: string): string {
    return this.clusterScoped.has(resource) ? '' : 'default';
  }

  private collection(resource: string): Map<string, KubeObject> {
    let coll = this.collections.get(resource);
    if (!coll) {
      coll = new Map();
      this.collections.set(resource, coll);
    }
    return coll;
  }

  /** Objects in etcd key order (namespace, then name), as lists come from the apiserver. */
  private sorted(resource: string): KubeObject[] {
    const coll = this.collections.get(resource);
    if (!coll) return [];
    let keys = this.sortedKeys.get(resource);
    if (!keys) {
      // Default sort order is UTF-16 code unit order, as `<` compares strings (etcd: bytes of ASCII keys).
      keys = [...coll.keys()].sort();
      this.sortedKeys.set(resource, keys);
    }
    return keys.map((k) => coll.get(k) as KubeObject);
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
