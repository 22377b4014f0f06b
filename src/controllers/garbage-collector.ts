import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../api/types.js';
import type { ObjectStore, Watch, WatchEvent } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import { deletePodGracefully, KeyQueue, type StoredPod } from './replicaset-support.js';

/**
 * The garbage collector (pkg/controller/garbagecollector), for the kinds podvisor serves:
 * - Background: an owner is gone (no object with that uid) → its dependents are deleted;
 * - Foreground: the owner carries `foregroundDeletion` → its dependents are deleted, and the owner
 *   goes once no dependent with blockOwnerDeletion is left;
 * - Orphan: the owner carries `orphan` → its ownerReferences are removed from the dependents, then
 *   the owner goes.
 * Owners are looked up in the store by kind, namespace and name, and must have the referenced uid.
 */

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export interface GcResource {
  resource: string;
  kind: string;
}

export const DEFAULT_GC_RESOURCES: readonly GcResource[] = [
  { resource: 'pods', kind: 'Pod' },
  { resource: 'replicasets', kind: 'ReplicaSet' },
  { resource: 'deployments', kind: 'Deployment' },
  { resource: 'replicationcontrollers', kind: 'ReplicationController' },
];

export interface GarbageCollectorOptions {
  store: ObjectStore;
  clock: Clock;
  resources?: readonly GcResource[];
}

const RETRY_MS = 1000;

export class GarbageCollector {
  private readonly store: ObjectStore;
  private readonly clock: Clock;
  private readonly resources: readonly GcResource[];
  private readonly queue: KeyQueue;
  private readonly watches: Watch[] = [];

  constructor(opts: GarbageCollectorOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.resources = opts.resources ?? DEFAULT_GC_RESOURCES;
    this.queue = new KeyQueue(
      this.clock,
      (key) => this.process(key),
      (key) => this.queue.addAfter(key, RETRY_MS),
    );
  }

  start(): void {
    for (const r of this.resources) {
      this.watches.push(this.store.watch(r.resource, { shared: true }, (ev) => this.onEvent(r.resource, ev)));
    }
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    this.watches.length = 0;
    this.queue.stop();
  }

  private resourceOfKind(kind: string): string | undefined {
    return this.resources.find((r) => r.kind === kind)?.resource;
  }

  private onEvent(resource: string, ev: WatchEvent): void {
    const obj = ev.object;
    const ns = obj.metadata.namespace ?? '';
    const key = `${resource}\u0000${ns}\u0000${obj.metadata.name}`;
    if (ev.type === 'DELETED') {
      // Its dependents may now be dangling; an owner waiting for it may now be free to go.
      this.queue.add(`dependents\u0000${ns}\u0000${obj.metadata.uid ?? ''}`);
      for (const ref of obj.metadata.ownerReferences ?? []) {
        const r = this.resourceOfKind(ref.kind);
        if (r) this.queue.add(`${r}\u0000${ns}\u0000${ref.name}`);
      }
      return;
    }
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
    if ((obj.metadata.ownerReferences?.length ?? 0) > 0 || obj.metadata.deletionTimestamp)
      this.queue.add(key);
  }

  private process(key: string): void {
    const [first, ns, last] = key.split('\u0000') as [string, string, string];
    if (first === 'dependents') {
      for (const dep of this.dependentsOf(ns, last))
        this.queue.add(`${dep.resource}\u0000${ns}\u0000${dep.obj.metadata.name}`);
      return;
    }
    const obj = this.store.get(first, ns, last);
    if (!obj) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER))
      this.orphanDependents(first, obj);
    else if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER))
      this.deleteDependentsFirst(first, obj);
    if ((obj.metadata.ownerReferences?.length ?? 0) > 0) this.checkOwners(first, obj);
  }

  private dependentsOf(ns: string, uid: string): { resource: string; obj: KubeObject }[] {
    const out: { resource: string; obj: KubeObject }[] = [];
    if (!uid) return out;
    for (const r of this.resources) {
      for (const obj of this.store.list(r.resource, { namespace: ns, shared: true }).items) {
        if (obj.metadata.ownerReferences?.some((ref) => ref.uid === uid))
          out.push({ resource: r.resource, obj });
      }
    }
    return out;
  }

  /** Whether the owner a reference names exists with that uid (absent and uid-mismatched are "gone"). */
  private ownerState(ns: string, ref: OwnerReference): 'gone' | 'present' | 'foreground' {
    const resource = this.resourceOfKind(ref.kind);
    if (!resource) return 'present'; // A kind we do not know is never collected against.
    const owner = this.store.get(resource, ns, ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) return 'gone';
    if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER))
      return 'foreground';
    return 'present';
  }

  /** attemptToDeleteItem: every owner gone → delete; some gone → drop the dangling references. */
  private checkOwners(resource: string, obj: KubeObject): void {
    const ns = obj.metadata.namespace ?? '';
    const refs = obj.metadata.ownerReferences ?? [];
    const states = refs.map((r) => this.ownerState(ns, r));
    if (states.every((s) => s === 'gone')) {
      this.deleteObject(resource, obj, false);
      return;
    }
    if (states.some((s) => s === 'present')) {
      if (states.some((s) => s === 'gone')) {
        const dangling = new Set(refs.filter((_, i) => states[i] === 'gone').map((r) => r.uid));
        this.removeOwnerRefs(resource, obj, dangling);
      }
      return;
    }
    // Remaining owners are all being deleted in the foreground: this dependent goes in the foreground too.
    this.deleteObject(resource, obj, true);
  }

  private removeOwnerRefs(resource: string, obj: KubeObject, uids: ReadonlySet<string>): void {
    this.store.mutate(resource, obj.metadata.namespace ?? '', obj.metadata.name, (cur) => {
      const before = cur.metadata.ownerReferences ?? [];
      const refs = before.filter((r) => !uids.has(r.uid));
      if (refs.length === before.length) return undefined;
      const meta = { ...cur.metadata, ownerReferences: refs };
      if (refs.length === 0) delete (meta as { ownerReferences?: unknown }).ownerReferences;
      return { ...cur, metadata: meta };
    });
  }

  private deleteObject(resource: string, obj: KubeObject, foreground: boolean): void {
    if (obj.metadata.deletionTimestamp) return;
    const ns = obj.metadata.namespace ?? '';
    if (resource === 'pods') {
      deletePodGracefully(this.store, this.clock, obj as StoredPod);
      return;
    }
    if (foreground && this.dependentsOf(ns, obj.metadata.uid ?? '').length > 0) {
      this.store.mutate(resource, ns, obj.metadata.name, (cur) => ({
        ...cur,
        metadata: {
          ...cur.metadata,
          finalizers: [...(cur.metadata.finalizers ?? []), FOREGROUND_FINALIZER],
          deletionTimestamp: rfc3339(this.clock.now()),
          deletionGracePeriodSeconds: 0,
        },
      }));
      return;
    }
    this.finishDeletion(resource, obj, []);
  }

  /** Removes our finalizer; with none left the object is deleted, as the apiserver does. */
  private finishDeletion(resource: string, obj: KubeObject, drop: readonly string[]): void {
    const ns = obj.metadata.namespace ?? '';
    const left = (obj.metadata.finalizers ?? []).filter((f) => !drop.includes(f));
    if (left.length === 0) {
      this.store.delete(resource, ns, obj.metadata.name);
      return;
    }
    this.store.mutate(resource, ns, obj.metadata.name, (cur) => ({
      ...cur,
      metadata: {
        ...cur.metadata,
        finalizers: (cur.metadata.finalizers ?? []).filter((f) => !drop.includes(f)),
      },
    }));
  }

  private orphanDependents(resource: string, owner: KubeObject): void {
    const ns = owner.metadata.namespace ?? '';
    const uid = owner.metadata.uid ?? '';
    for (const dep of this.dependentsOf(ns, uid)) this.removeOwnerRefs(dep.resource, dep.obj, new Set([uid]));
    this.finishDeletion(resource, owner, [ORPHAN_FINALIZER]);
  }

  private deleteDependentsFirst(resource: string, owner: KubeObject): void {
    const ns = owner.metadata.namespace ?? '';
    const uid = owner.metadata.uid ?? '';
    const dependents = this.dependentsOf(ns, uid);
    for (const dep of dependents) {
      const soleOwner = (dep.obj.metadata.ownerReferences ?? []).every((r) => r.uid === uid);
      if (soleOwner) this.deleteObject(dep.resource, dep.obj, true);
      else this.removeOwnerRefs(dep.resource, dep.obj, new Set([uid]));
    }
    const blocking = this.dependentsOf(ns, uid).some((d) =>
      d.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion === true),
    );
    if (!blocking) this.finishDeletion(resource, owner, [FOREGROUND_FINALIZER]);
  }
}
