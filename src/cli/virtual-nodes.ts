import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { NodeAnnotation } from '../api/podvisor-annotations.js';
import type { KubeObject } from '../api/types.js';
import { Kubelet, type KubeletOptions } from '../kubelet/kubelet.js';
import { KUBE_VERSION } from '../probe/types.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { EventRecorderImpl } from '../store/event-recorder.js';
import { warnBackgroundFailure } from '../store/background-writes.js';
import {
  StoreError,
  type ListOptions,
  type ListResult,
  type ObjectStore,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';

type StoredNode = Node & KubeObject;

/**
 * `podvisor node stop NAME` sets this annotation on the Node to "true"; `node start` removes it.
 * Being an ordinary field of the Node, it goes through the API (a PATCH) and survives a restart.
 */
export const NODE_STOPPED_ANNOTATION = 'podvisor.dev/stopped';

/** The kubelet's nodeStatusUpdateFrequency: how often it posts Node status (podvisor's heartbeat). */
export const NODE_STATUS_UPDATE_MS = 10_000;

export const PODVISOR_VERSION = '0.1.0';

export interface VirtualNodeOptions {
  name: string;
  store: ObjectStore;
  /** Shared by every node: one pod IP pool, so pod IPs stay unique across nodes. */
  runtime: ContainerRuntime;
  clock: Clock;
  /** Everything the kubelet needs beyond what the node provides. */
  kubelet: Omit<KubeletOptions, 'nodeName' | 'store' | 'recorder' | 'runtime' | 'clock'>;
  /** Heartbeat period (default 10 s); shorter when the node-monitor grace period is shorter. */
  heartbeatMs?: number;
}

/**
 * A store seen through a node's network link: once `sever`ed, every write is lost on the way (the
 * machine is dead), reads still answer. A kubelet keeps its link for life; a node that comes back
 * gets a new kubelet on a new link, so nothing the dead one still had in flight can land.
 */
class NodeLink implements ObjectStore {
  severed = false;
  constructor(private readonly inner: ObjectStore) {}
  create<T extends KubeObject>(resource: string, obj: T): T {
    return this.severed ? obj : this.inner.create(resource, obj);
  }
  get<T extends KubeObject>(resource: string, namespace: string, name: string): T | undefined {
    return this.inner.get<T>(resource, namespace, name);
  }
  list<T extends KubeObject>(resource: string, opts?: ListOptions): ListResult<T> {
    return this.inner.list<T>(resource, opts);
  }
  update<T extends KubeObject>(resource: string, obj: T): T {
    return this.severed ? obj : this.inner.update(resource, obj);
  }
  mutate<T extends KubeObject>(
    resource: string,
    ns: string,
    name: string,
    fn: (cur: T) => T | undefined,
  ): T | undefined {
    return this.severed ? undefined : this.inner.mutate(resource, ns, name, fn);
  }
  delete<T extends KubeObject>(resource: string, namespace: string, name: string): T {
    if (!this.severed) return this.inner.delete<T>(resource, namespace, name);
    const cur = this.inner.get<T>(resource, namespace, name);
    if (!cur) throw new StoreError(404, 'NotFound', `${resource} "${name}" not found`);
    return cur;
  }
  watch<T extends KubeObject>(
    resource: string,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
  ): Watch {
    return this.inner.watch<T>(resource, opts, onEvent);
  }
  currentResourceVersion(): string {
    return this.inner.currentResourceVersion();
  }
}

/**
 * One virtual node: its kubelet (running only pods bound to it), its Node object with a heartbeat
 * (Node status `lastHeartbeatTime`, posted every 10 s — podvisor has no coordination.k8s.io Leases)
 * and its power switch, the NODE_STOPPED_ANNOTATION. Stopping is a machine dying: the link is cut
 * first (no status, no events, no heartbeat), then every container is SIGKILLed at once. Starting
 * brings up a fresh kubelet, which restarts the containers of the pods still bound to the node.
 */
export class VirtualNode {
  readonly name: string;
  private kubelet: Kubelet | undefined;
  private link: NodeLink | undefined;
  private recorder: EventRecorderImpl | undefined;
  private heartbeat: Timer | undefined;
  private watch: Watch | undefined;
  private crashing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: VirtualNodeOptions) {
    this.name = opts.name;
  }

  get running(): boolean {
    return this.kubelet !== undefined;
  }

  /** The node's kubelet while it is powered on (probe histories are asked of it). */
  get currentKubelet(): Kubelet | undefined {
    return this.kubelet;
  }

  start(): void {
    const node = this.register();
    this.watch = this.opts.store.watch<StoredNode>(
      'nodes',
      { fieldSelector: `metadata.name=${this.name}` },
      (ev) => {
        if (ev.type !== 'DELETED') this.powerSwitch(ev.object);
      },
    );
    if (!isStoppedByUser(node)) this.powerOn();
  }

  /** podvisor's shutdown: the kubelet stops its pods gracefully (capped by `graceMs`). */
  async shutdown(graceMs?: number): Promise<void> {
    this.closed = true;
    this.watch?.stop();
    this.heartbeat?.cancel();
    await this.crashing;
    const kubelet = this.kubelet;
    this.kubelet = undefined;
    await kubelet?.stop(graceMs);
  }

  private powerSwitch(node: StoredNode): void {
    if (this.closed) return;
    const off = isStoppedByUser(node);
    if (off && this.kubelet) this.crashing = this.crash();
    else if (!off && !this.kubelet) void this.crashing.then(() => this.powerOn());
  }

  private powerOn(): void {
    if (this.closed || this.kubelet) return;
    const { store, runtime, clock } = this.opts;
    const link = new NodeLink(store);
    const recorder = new EventRecorderImpl(link, clock, { component: 'kubelet', host: this.name });
    this.link = link;
    this.recorder = recorder;
    recorder.record(this.nodeRef(), 'Normal', 'Starting', 'Starting kubelet.');
    this.kubelet = new Kubelet({
      ...this.opts.kubelet,
      nodeName: this.name,
      store: link,
      recorder,
      runtime,
      clock,
      bindUnboundPods: false,
    });
    this.tryPostStatus();
    this.kubelet.start();
    this.scheduleHeartbeat();
  }

  private async crash(): Promise<void> {
    const kubelet = this.kubelet;
    if (this.link) this.link.severed = true;
    this.heartbeat?.cancel();
    this.heartbeat = undefined;
    this.kubelet = undefined;
    // Grace 0: SIGKILL to every container now (what losing power does).
    await kubelet?.stop(0);
  }

  private scheduleHeartbeat(): void {
    const period = this.opts.heartbeatMs ?? NODE_STATUS_UPDATE_MS;
    this.heartbeat = this.opts.clock.setTimer(period, () => {
      if (this.closed || !this.kubelet) return;
      this.scheduleHeartbeat();
      this.tryPostStatus();
    });
  }

  /** registerWithAPIServer: the Node object, created once, kept across podvisor restarts. */
  private register(): StoredNode {
    const { store } = this.opts;
    const existing = store.get<StoredNode>('nodes', '', this.name);
    if (existing) return existing;
    try {
      return store.create<StoredNode>('nodes', newNode(this.name));
    } catch (err) {
      if (err instanceof StoreError && err.code === 409)
        return store.get<StoredNode>('nodes', '', this.name) as StoredNode;
      throw err;
    }
  }

  /** setNodeStatus + the heartbeat: conditions (Ready and the pressures), info, addresses. */
  /** Node events name the node as its uid, as the kubelet's do. */
  private nodeRef(): Parameters<EventRecorderImpl['record']>[0] {
    return { kind: 'Node', apiVersion: 'v1', namespace: '', name: this.name, uid: this.name };
  }

  /** The node with the runtime's process containment in its annotations (kept current at each post). */
  private withContainment(node: StoredNode): StoredNode {
    const containment = this.opts.runtime.containment?.();
    if (!containment) return node;
    const annotations = {
      ...node.metadata.annotations,
      [NodeAnnotation.processContainment]: containment.mode,
      [NodeAnnotation.processContainmentReason]: containment.reason,
    };
    return { ...node, metadata: { ...node.metadata, annotations } };
  }

  /** tryUpdateNodeStatus: a failed update waits for the next period; the node lives on. */
  private tryPostStatus(): void {
    try {
      this.postStatus();
    } catch (err) {
      warnBackgroundFailure(`the status update of node ${this.name}`, err);
    }
  }

  private postStatus(): void {
    const link = this.link;
    if (!link || link.severed) return;
    const now = rfc3339(this.opts.clock.now());
    const status = (cur: Node): Node['status'] => ({
      ...staticStatus(this.name),
      conditions: kubeletConditions(cur.status?.conditions ?? [], now),
    });
    let wasReady = true;
    const updated = link.mutate<StoredNode>('nodes', '', this.name, (cur) => {
      wasReady = cur.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return { ...this.withContainment(cur), status: status(cur) };
    });
    // The kubelet's node status event when Ready turns True (first registration, or coming back).
    if (updated && !wasReady) {
      this.recorder?.record(
        this.nodeRef(),
        'Normal',
        'NodeReady',
        `Node ${this.name} status is now: NodeReady`,
      );
    }
    if (!updated && !link.severed && !nodeExists(link, this.name)) {
      // Someone deleted the Node: the kubelet registers it again.
      this.register();
      link.mutate<StoredNode>('nodes', '', this.name, (cur) => ({
        ...this.withContainment(cur),
        status: status(cur),
      }));
    }
  }
}

function nodeExists(store: ObjectStore, name: string): boolean {
  return store.get('nodes', '', name) !== undefined;
}

function isStoppedByUser(node: StoredNode): boolean {
  return node.metadata.annotations?.[NODE_STOPPED_ANNOTATION] === 'true';
}

const ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

function newNode(name: string): StoredNode {
  const arch = ARCH[process.arch] ?? process.arch;
  const os = process.platform;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      namespace: '',
      labels: {
        'beta.kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': os,
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': os,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
  };
}

const CONDITIONS: readonly { type: string; reason: string; message: string; healthy: 'True' | 'False' }[] = [
  {
    type: 'MemoryPressure',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
    healthy: 'False',
  },
  {
    type: 'DiskPressure',
    reason: 'KubeletHasNoDiskPressure',
    message: 'kubelet has no disk pressure',
    healthy: 'False',
  },
  {
    type: 'PIDPressure',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
    healthy: 'False',
  },
  { type: 'Ready', reason: 'KubeletReady', message: 'kubelet is posting ready status', healthy: 'True' },
];

/** A transition time changes only when the status does (after NodeStatusUnknown, Ready comes back). */
function kubeletConditions(old: readonly NodeCondition[], now: string): NodeCondition[] {
  return CONDITIONS.map((c) => {
    const prev = old.find((o) => o.type === c.type);
    return {
      type: c.type,
      status: c.healthy,
      lastHeartbeatTime: now,
      lastTransitionTime:
        prev?.status === c.healthy && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      reason: c.reason,
      message: c.message,
    };
  });
}

let osImageCache: string | undefined;
function osImage(): string {
  if (osImageCache !== undefined) return osImageCache;
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    osImageCache = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? '';
  } catch {
    osImageCache = '';
  }
  return osImageCache;
}

function staticStatus(name: string): Omit<NonNullable<Node['status']>, 'conditions'> {
  const resources = {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
  };
  return {
    capacity: resources,
    allocatable: resources,
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: `podvisor://${PODVISOR_VERSION}`,
      kubeletVersion: KUBE_VERSION.gitVersion,
      kubeProxyVersion: '',
      operatingSystem: process.platform,
      architecture: ARCH[process.arch] ?? process.arch,
    },
  };
}
