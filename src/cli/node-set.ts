import { NodeLifecycleController } from '../controllers/node-lifecycle.js';
import { Scheduler } from '../controllers/scheduler.js';
import type { Kubelet } from '../kubelet/kubelet.js';
import type { PodIdentity } from '../kubelet/probe-history.js';
import { ProbeRunError } from '../kubelet/probe-run.js';
import type { ContainerRuntime } from '../runtime/types.js';
import type { ProbeHistorySource } from '../server/probe-histories.js';
import { EventRecorderImpl } from '../store/event-recorder.js';
import type { ObjectStore } from '../store/types.js';
import { ChangeFeed } from '../util/change-feed.js';
import type { Clock } from '../util/clock.js';
import { NODE_STATUS_UPDATE_MS, VirtualNode, type VirtualNodeOptions } from './virtual-nodes.js';

export interface NodeSetOptions {
  /** How many nodes (`up --nodes N`, default 1). */
  count: number;
  /** The single node's name; with N > 1 the nodes are `node-1` … `node-N`. */
  nodeName: string;
  store: ObjectStore;
  runtime: ContainerRuntime;
  clock: Clock;
  kubelet: VirtualNodeOptions['kubelet'];
  /** --node-monitor-grace-period (default 50 s) and --pod-eviction-timeout (default 300 s). */
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
}

export interface NodeSet {
  names: readonly string[];
  /** Every kubelet's probe histories, for the API server (podvisor.io probehistories). */
  probeHistories: ProbeHistorySource;
  /** Graceful: every kubelet stops its pods (capped by `graceMs`); the controllers stop first. */
  stop(graceMs?: number): Promise<void>;
}

export function nodeNames(count: number, nodeName: string): string[] {
  if (count <= 1) return [nodeName];
  return Array.from({ length: count }, (_, i) => `node-${i + 1}`);
}

/**
 * The nodes of one podvisor, with the scheduler that spreads pods over them and the node
 * lifecycle controller that notices a dead one. A heartbeat comes at least 3 times per grace
 * period, so a short --node-monitor-grace-period does not make healthy nodes flap.
 */
export function startNodeSet(opts: NodeSetOptions): NodeSet {
  const { store, clock } = opts;
  const names = nodeNames(opts.count, opts.nodeName);
  const grace = opts.nodeMonitorGracePeriodMs;
  const heartbeatMs =
    grace === undefined ? NODE_STATUS_UPDATE_MS : Math.min(NODE_STATUS_UPDATE_MS, Math.max(100, grace / 3));
  // One version sequence for every kubelet's probe histories (the probehistories watch).
  const historyChanges = new ChangeFeed<PodIdentity>();
  const kubeletOptions = { ...opts.kubelet, probeHistoryChanges: historyChanges };
  const nodes = names.map(
    (name) =>
      new VirtualNode({ name, store, runtime: opts.runtime, clock, kubelet: kubeletOptions, heartbeatMs }),
  );
  for (const node of nodes) node.start();
  const scheduler = new Scheduler({
    store,
    clock,
    recorder: new EventRecorderImpl(store, clock, { component: 'default-scheduler', host: '' }),
  });
  scheduler.start();
  const lifecycle = new NodeLifecycleController({
    store,
    clock,
    nodeRecorder: new EventRecorderImpl(store, clock, { component: 'node-controller', host: '' }),
    evictionRecorder: new EventRecorderImpl(store, clock, {
      component: 'taint-eviction-controller',
      host: '',
    }),
    ...(grace !== undefined ? { gracePeriodMs: grace } : {}),
    ...(opts.podEvictionTimeoutMs !== undefined ? { podEvictionTimeoutMs: opts.podEvictionTimeoutMs } : {}),
  });
  lifecycle.start();
  return {
    names,
    probeHistories: probeHistoriesOf(nodes, historyChanges),
    stop: async (graceMs) => {
      scheduler.stop();
      lifecycle.stop();
      await Promise.all(nodes.map((n) => n.shutdown(graceMs)));
    },
  };
}

/** Asks every running kubelet: a pod's history is on the node that runs it. */
function probeHistoriesOf(
  nodes: readonly VirtualNode[],
  changes: ChangeFeed<PodIdentity>,
): ProbeHistorySource {
  const kubelets = (): Kubelet[] => {
    const out: Kubelet[] = [];
    for (const n of nodes) if (n.currentKubelet) out.push(n.currentKubelet);
    return out;
  };
  return {
    probeHistory: (namespace, name) => {
      for (const k of kubelets()) {
        const found = k.probeHistory(namespace, name);
        if (found) return found;
      }
      return undefined;
    },
    probeHistories: (namespace) => kubelets().flatMap((k) => k.probeHistories(namespace)),
    changes,
    probeHistoryOfUid: (uid) => {
      for (const k of kubelets()) {
        const found = k.probeHistoryOfUid(uid);
        if (found) return found;
      }
      return undefined;
    },
    runProbeNow: (namespace, name, req) => {
      const owner = kubelets().find((k) => k.probeHistory(namespace, name) !== undefined);
      if (!owner) return Promise.reject(new ProbeRunError(404, `pods "${name}" not found on any node`));
      return owner.runProbeNow(namespace, name, req);
    },
  };
}
