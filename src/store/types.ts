import type { KubeObject } from '../api/types.js';

/**
 * The object store contract. Everything talks through the store (DESIGN principle 3): the CLI
 * and API write objects, the kubelet watches pods and writes status and events back.
 *
 * Resources are named by their REST plural ("pods", "events"). Objects are stored and handed out
 * as deep copies (or, with `shared`, as the deep-frozen stored objects), so no caller can change
 * stored state behind the store's back.
 */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface ListOptions {
  namespace?: string;
  /** Label selector in Kubernetes syntax: `app=web,tier!=db,env in (a,b),!gone`. */
  labelSelector?: string;
  /** Field selector: `metadata.name=x,involvedObject.name=y,spec.nodeName=n`. */
  fieldSelector?: string;
  /**
   * Hand out the stored objects themselves (deep-frozen) instead of a deep copy of each: for
   * readers that only serialise or inspect them (the API server's lists and watches). Writing to
   * such an object throws a TypeError.
   */
  shared?: boolean;
}

export interface WatchOptions extends ListOptions {
  /** Replay changes after this resourceVersion; without it, synthetic ADDED for current objects. */
  resourceVersion?: string;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
}

export interface Watch {
  stop(): void;
}

/** Kubernetes-style API failure, carried up to the HTTP layer as a `Status`. */
export class StoreError extends Error {
  constructor(
    readonly code: 400 | 404 | 409 | 410 | 422 | 500,
    readonly reason:
      'BadRequest' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'Invalid' | 'InternalError',
    message: string,
    readonly details?: { name?: string; kind?: string; group?: string },
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface ObjectStore {
  /**
   * Stores a new object: assigns uid, creationTimestamp, resourceVersion, namespace "default"
   * when absent; supports metadata.generateName. 409 AlreadyExists on a duplicate.
   */
  create<T extends KubeObject>(resource: string, obj: T): T;
  get<T extends KubeObject>(resource: string, namespace: string, name: string): T | undefined;
  list<T extends KubeObject>(resource: string, opts?: ListOptions): ListResult<T>;
  /** Replaces the object. If obj.metadata.resourceVersion is set and stale: 409 Conflict. */
  update<T extends KubeObject>(resource: string, obj: T): T;
  /**
   * Read-modify-write without conflicts for in-process writers (the kubelet's status updates):
   * `mutate` gets a copy of the current object and returns the new one (or undefined: no change).
   */
  mutate<T extends KubeObject>(
    resource: string,
    namespace: string,
    name: string,
    mutate: (cur: T) => T | undefined,
  ): T | undefined;
  /** Removes the object now (graceful deletion is the caller's business). 404 if absent. */
  delete<T extends KubeObject>(resource: string, namespace: string, name: string): T;
  /** Watch events are delivered asynchronously, in resourceVersion order. */
  watch<T extends KubeObject>(
    resource: string,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
  ): Watch;
  /** The store's current resourceVersion. */
  currentResourceVersion(): string;
}

/** Records Kubernetes events about an object (with the client-go correlator's dedup, spec §5). */
export interface EventRecorder {
  record(
    involved: {
      kind: string;
      namespace: string;
      name: string;
      uid: string;
      apiVersion: string;
      fieldPath?: string;
    },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void;
}
