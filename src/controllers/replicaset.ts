import type { ReplicaSet, ReplicaSetCondition } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { admitPod, generateName } from '../api/admission.js';
import { createPodWithPresets } from './podpreset-admission.js';
import { formatInvalid } from '../api/field-errors.js';
import type { KubeObject } from '../api/types.js';
import { selectorMatches } from '../api/workloads/selector.js';
import type { EventRecorder, ObjectStore, Watch, WatchEvent } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import {
  compareForDeletion,
  deletePodGracefully,
  Expectations,
  isActivePod,
  isPodAvailable,
  KeyQueue,
  objectKey,
  readySince,
  splitKey,
  type StoredPod,
} from './replicaset-support.js';

/**
 * The ReplicaSet controller (pkg/controller/replicaset), also run for ReplicationControllers as
 * upstream does: it watches its owners and pods, and per owner key adopts matching orphans,
 * releases pods that stopped matching, creates or deletes pods to reach spec.replicas (slow-start
 * batches, guarded by expectations) and writes the status counters.
 */

export interface ReplicaKind {
  resource: 'replicasets' | 'replicationcontrollers';
  kind: 'ReplicaSet' | 'ReplicationController';
  apiVersion: string;
}

export const REPLICA_SET_KIND: ReplicaKind = {
  resource: 'replicasets',
  kind: 'ReplicaSet',
  apiVersion: 'apps/v1',
};
export const REPLICATION_CONTROLLER_KIND: ReplicaKind = {
  resource: 'replicationcontrollers',
  kind: 'ReplicationController',
  apiVersion: 'v1',
};

/** BurstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;
/** SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;
const RETRY_MS = 1000;

export interface ReplicaSetControllerOptions {
  store: ObjectStore;
  recorder: EventRecorder;
  clock: Clock;
  kind?: ReplicaKind;
  burstReplicas?: number;
}

type Owner = KubeObject & {
  spec?: { replicas?: number; minReadySeconds?: number; selector?: unknown; template?: PodTemplateSpec };
  status?: ReplicaSet['status'];
};

export function controllerRefOf(obj: {
  metadata?: { ownerReferences?: OwnerReference[] };
}): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export class ReplicaSetController {
  private readonly store: ObjectStore;
  private readonly recorder: EventRecorder;
  private readonly clock: Clock;
  private readonly kind: ReplicaKind;
  private readonly burst: number;
  private readonly expectations: Expectations;
  private readonly queue: KeyQueue;
  /**
   * The pod informer's cache, fed only by the watch (expectations cover the lag). It holds the
   * store's own frozen objects (a `shared` watch): no copy of every pod per controller.
   */
  private readonly pods = new Map<string, StoredPod>();
  private readonly watches: Watch[] = [];

  constructor(opts: ReplicaSetControllerOptions) {
    this.store = opts.store;
    this.recorder = opts.recorder;
    this.clock = opts.clock;
    this.kind = opts.kind ?? REPLICA_SET_KIND;
    this.burst = opts.burstReplicas ?? BURST_REPLICAS;
    this.expectations = new Expectations(this.clock);
    this.queue = new KeyQueue(
      this.clock,
      (key) => this.sync(key),
      (key) => this.queue.addAfter(key, RETRY_MS),
    );
  }

  start(): void {
    this.watches.push(this.store.watch<StoredPod>('pods', { shared: true }, (ev) => this.onPod(ev)));
    this.watches.push(
      this.store.watch<Owner>(this.kind.resource, { shared: true }, (ev) =>
        this.queue.add(objectKey(ev.object)),
      ),
    );
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    this.watches.length = 0;
    this.queue.stop();
  }

  private selectorOf(owner: Owner): LabelSelector | undefined {
    const s = owner.spec?.selector;
    if (!s || typeof s !== 'object') return undefined;
    return this.kind.kind === 'ReplicationController'
      ? { matchLabels: s as Record<string, string> }
      : (s as LabelSelector);
  }

  private ownerKeyOf(pod: StoredPod): string | undefined {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    return `${pod.metadata.namespace ?? ''}/${ref.name}`;
  }

  /** Orphans wake every owner in their namespace whose selector matches them (adoption). */
  private enqueueMatchingOwners(pod: StoredPod): void {
    const owners = this.store.list<Owner>(this.kind.resource, {
      namespace: pod.metadata.namespace ?? '',
      shared: true,
    }).items;
    for (const o of owners)
      if (selectorMatches(this.selectorOf(o), pod.metadata.labels)) this.queue.add(objectKey(o));
  }

  private onPod(ev: WatchEvent<StoredPod>): void {
    const pod = ev.object;
    const podKey = objectKey(pod);
    const old = this.pods.get(podKey);
    if (ev.type === 'DELETED') this.pods.delete(podKey);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.pods.set(podKey, pod);
    else return;
    const ownerKey = this.ownerKeyOf(pod);
    if (ev.type === 'ADDED' && ownerKey) this.expectations.creationObserved(ownerKey);
    // A pod that starts terminating counts as deleted for expectations (updatePod upstream).
    const nowDeleting = !!pod.metadata.deletionTimestamp && !old?.metadata.deletionTimestamp;
    if (ownerKey && (ev.type === 'DELETED' ? !old?.metadata.deletionTimestamp : nowDeleting))
      this.expectations.deletionObserved(ownerKey);
    if (ownerKey) this.queue.add(ownerKey);
    else if (ev.type !== 'DELETED') this.enqueueMatchingOwners(pod);
    const oldOwner = old ? this.ownerKeyOf(old) : undefined;
    if (oldOwner && oldOwner !== ownerKey) this.queue.add(oldOwner);
    if (old && !ownerKey && ev.type === 'MODIFIED') this.enqueueMatchingOwners(old);
  }

  private ownerRef(owner: Owner): OwnerReference {
    return {
      apiVersion: this.kind.apiVersion,
      kind: this.kind.kind,
      name: owner.metadata.name,
      uid: owner.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
  }

  private involved(owner: Owner): Parameters<EventRecorder['record']>[0] {
    return {
      kind: this.kind.kind,
      namespace: owner.metadata.namespace ?? '',
      name: owner.metadata.name,
      uid: owner.metadata.uid ?? '',
      apiVersion: this.kind.apiVersion,
    };
  }

  /** syncReplicaSet for one owner key. */
  sync(key: string): void {
    const { namespace, name } = splitKey(key);
    const owner = this.store.get<Owner>(this.kind.resource, namespace, name);
    if (!owner) {
      this.expectations.forget(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = this.selectorOf(owner);
    const inNamespace = [...this.pods.values()].filter((p) => (p.metadata.namespace ?? '') === namespace);
    const owned = this.claimPods(owner, selector, inNamespace.filter(isActivePod));
    let manageError: { reason: string; message: string } | undefined;
    if (needsSync && !owner.metadata.deletionTimestamp) manageError = this.manageReplicas(key, owner, owned);
    this.updateStatus(owner, owned, manageError);
    // A failed create or delete is retried with a delay (the rate-limited requeue upstream).
    if (manageError) this.queue.addAfter(key, RETRY_MS);
    const minReady = owner.spec?.minReadySeconds ?? 0;
    const status = this.store.get<Owner>(this.kind.resource, namespace, name)?.status;
    // Not yet available because of minReadySeconds: look again when they may be (upstream AddAfter).
    if (minReady > 0 && (status?.readyReplicas ?? 0) !== (status?.availableReplicas ?? 0))
      this.queue.addAfter(key, minReady * 1000);
  }

  /** ClaimPods (PodControllerRefManager): adopt matching orphans, release owned pods that stopped matching. */
  private claimPods(owner: Owner, selector: LabelSelector | undefined, pods: StoredPod[]): StoredPod[] {
    const uid = owner.metadata.uid;
    const deleting = !!owner.metadata.deletionTimestamp;
    const claimed: StoredPod[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      const matches = selectorMatches(selector, pod.metadata.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(pod);
        else if (!deleting) this.release(pod, uid ?? '');
        continue;
      }
      if (!matches || deleting || pod.metadata.deletionTimestamp) continue;
      const adopted = this.adopt(pod, owner);
      if (adopted) claimed.push(adopted);
    }
    return claimed;
  }

  private adopt(pod: StoredPod, owner: Owner): StoredPod | undefined {
    // Recheck against the store: the cached pod may be stale, and someone may own it by now.
    return this.store.mutate<StoredPod>('pods', pod.metadata.namespace ?? '', pod.metadata.name, (cur) => {
      if (controllerRefOf(cur) || cur.metadata.deletionTimestamp) return undefined;
      const refs = [...(cur.metadata.ownerReferences ?? []), this.ownerRef(owner)];
      return { ...cur, metadata: { ...cur.metadata, ownerReferences: refs } };
    });
  }

  private release(pod: StoredPod, uid: string): void {
    this.store.mutate<StoredPod>('pods', pod.metadata.namespace ?? '', pod.metadata.name, (cur) => {
      const refs = (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (refs.length === (cur.metadata.ownerReferences ?? []).length) return undefined;
      const meta = { ...cur.metadata, ownerReferences: refs };
      if (refs.length === 0) delete (meta as { ownerReferences?: unknown }).ownerReferences;
      return { ...cur, metadata: meta };
    });
  }

  /** manageReplicas: create or delete the difference, at most `burst` at a time. */
  private manageReplicas(
    key: string,
    owner: Owner,
    pods: StoredPod[],
  ): { reason: string; message: string } | undefined {
    const diff = pods.length - (owner.spec?.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, this.burst);
      this.expectations.expect(key, count, 0);
      return this.createInBatches(key, owner, count);
    }
    if (diff > 0) {
      const victims = [...pods].sort(compareForDeletion).slice(0, Math.min(diff, this.burst));
      this.expectations.expect(key, 0, victims.length);
      for (const pod of victims) {
        try {
          deletePodGracefully(this.store, this.clock, pod);
          this.recorder.record(
            this.involved(owner),
            'Normal',
            'SuccessfulDelete',
            `Deleted pod: ${pod.metadata.name}`,
          );
        } catch (err) {
          this.expectations.deletionObserved(key);
          const message = (err as Error).message;
          this.recorder.record(this.involved(owner), 'Warning', 'FailedDelete', `Error deleting: ${message}`);
          return { reason: 'FailedDelete', message };
        }
      }
    }
    return undefined;
  }

  /**
   * slowStartBatch: 1, 2, 4, ... creations; a failing batch stops the rest, so a quota or
   * validation error costs one request, not `replicas` of them.
   */
  private createInBatches(
    key: string,
    owner: Owner,
    count: number,
  ): { reason: string; message: string } | undefined {
    let remaining = count;
    let batch = Math.min(remaining, SLOW_START_INITIAL_BATCH);
    while (batch > 0) {
      for (let i = 0; i < batch; i++) {
        const error = this.createPod(owner);
        if (error) {
          // This one and every skipped creation will never be observed.
          for (let j = 0; j < remaining - i; j++) this.expectations.creationObserved(key);
          return { reason: 'FailedCreate', message: error };
        }
      }
      remaining -= batch;
      batch = Math.min(2 * batch, remaining);
    }
    return undefined;
  }

  /** PodControl.CreatePods from the template: `<owner>-<5 chars>`, the owner as controller. */
  private createPod(owner: Owner): string | undefined {
    const template = owner.spec?.template ?? {};
    const meta = template.metadata ?? {};
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: generateName(`${owner.metadata.name}-`),
        generateName: `${owner.metadata.name}-`,
        namespace: owner.metadata.namespace ?? 'default',
        ...(meta.labels ? { labels: { ...meta.labels } } : {}),
        ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
        ownerReferences: [this.ownerRef(owner)],
      },
      spec: structuredClone(template.spec ?? { containers: [] }),
    };
    const adm = admitPod(pod);
    try {
      if (!adm.pod || adm.errors.length > 0)
        throw new Error(formatInvalid('Pod', pod.metadata.name, adm.errors));
      // Through PodPreset admission, as every pod creation in the API server goes (spec item 4).
      const created = createPodWithPresets(
        this.store,
        this.clock,
        adm.pod as StoredPod,
        admitPod,
      ) as StoredPod;
      this.recorder.record(
        this.involved(owner),
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata.name}`,
      );
      return undefined;
    } catch (err) {
      const message = (err as Error).message;
      this.recorder.record(this.involved(owner), 'Warning', 'FailedCreate', `Error creating: ${message}`);
      return message;
    }
  }

  /** calculateStatus + updateReplicaSetStatus: written only when something changed. */
  private updateStatus(
    owner: Owner,
    pods: StoredPod[],
    failure: { reason: string; message: string } | undefined,
  ): void {
    const now = this.clock.now();
    const templateLabels = owner.spec?.template?.metadata?.labels ?? {};
    const minReady = owner.spec?.minReadySeconds ?? 0;
    const fullyLabeled = pods.filter((p) =>
      Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
    ).length;
    const ready = pods.filter((p) => readySince(p) !== undefined).length;
    const available = pods.filter((p) => isPodAvailable(p, minReady, now)).length;
    let conditions = (owner.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
    const existingFailure = owner.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    if (failure && existingFailure?.reason === failure.reason) {
      // SetCondition: same status and reason → the condition stays as it is.
      conditions = [...conditions, existingFailure];
    } else if (failure) {
      const cond: ReplicaSetCondition = {
        type: 'ReplicaFailure',
        status: 'True',
        reason: failure.reason,
        message: failure.message,
        lastTransitionTime: existingFailure?.lastTransitionTime ?? rfc3339(now),
      };
      conditions = [...conditions, cond];
    } else if (existingFailure && pods.length !== (owner.spec?.replicas ?? 1)) {
      // Upstream keeps the condition until the replica count is reached.
      conditions = [...conditions, existingFailure];
    }
    const status: NonNullable<ReplicaSet['status']> = {
      replicas: pods.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: owner.metadata.generation ?? 1,
      ...(conditions.length > 0 ? { conditions } : {}),
    };
    const { namespace, name } = splitKey(objectKey(owner));
    this.store.mutate<Owner>(this.kind.resource, namespace, name, (cur) => {
      if (cur.metadata.uid !== owner.metadata.uid) return undefined;
      if (JSON.stringify(cur.status ?? {}) === JSON.stringify(status)) return undefined;
      return { ...cur, status };
    });
  }
}
