import { admitPod } from '../api/admission.js';
import type { KubeObject } from '../api/types.js';
import type { ContainmentChoice } from '../runtime/cgroup.js';
import { ProcessRuntime } from '../runtime/process-runtime.js';
import { LivenessRestartBudgets } from '../kubelet/restart-budget.js';
import { startApiServer, type ApiServer } from '../server/api-server.js';
import { NodeMetrics } from '../server/metrics.js';
import { startControllers, type RunningControllers } from '../controllers/manager.js';
import { isWorkloadKind, WORKLOAD_KINDS } from '../api/workloads/admission.js';
import { workloadResources } from '../server/workloads.js';
import { startProxy } from '../proxy/index.js';
import { FileAddressClaims, type AddressClaims } from '../runtime/address-claims.js';
import { startServiceTraffic } from '../server/service-traffic.js';
import { allocateServiceAddresses, serviceResources } from '../server/services.js';
import { nodeResource } from '../server/nodes.js';
import { configResources } from '../server/config-resources.js';
import {
  configObjectsFirst,
  configResourceFor,
  createPodWithPresets,
} from '../controllers/podpreset-admission.js';
import { EventRetention } from '../store/event-retention.js';
import { SqliteStore, type SqliteStoreOptions } from '../store/sqlite-store.js';
import { storageProblemReporter } from './storage-problems.js';
import { StoreError, type ObjectStore } from '../store/types.js';
import { RealClock } from '../util/clock.js';
import { CliError } from './errors.js';
import { loadOrCreateServingCert } from './serving-cert.js';
import { startNodeSet, type NodeSet } from './node-set.js';
import {
  acquireLock,
  ensureStateDir,
  loadOrCreateToken,
  removeApiInfo,
  writeApiInfo,
  type StateLock,
} from './state-dir.js';

/**
 * The composition root (DESIGN: `src/cli/` wires a node): store, event recorder, process runtime,
 * kubelet and API server, in that order, and taken down in the reverse order.
 */
export interface NodeConfig {
  stateDir: string;
  nodeName: string;
  host: string;
  port: number;
  /** CrashLoopBackOff; `resetMs` (--crash-loop-backoff-reset) defaults to the kubelet's 600 s. */
  backoff: { initialMs: number; maxMs: number; resetMs?: number };
  /** What a relative `workingDir` is resolved against (the kubelet's default: the current directory). */
  workingDirBase?: string;
  /** Told about container processes of a crashed podvisor that were ended at start-up. */
  onOrphansKilled?: (pids: number[]) => void;
  /** `up --nodes N`: virtual nodes, each its own kubelet and Node (default 1: `nodeName`). */
  nodes?: number;
  /** --node-monitor-grace-period and --pod-eviction-timeout (Kubernetes' defaults when absent). */
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
  /** `--process-containment`: cgroup v2 per container, descendant scan, or auto (the default). */
  processContainment?: ContainmentChoice;
  /** --container-log-max-size (bytes) and --container-log-max-files (kubelet: 10Mi and 5). */
  logMaxBytes?: number;
  logMaxFiles?: number;
}

export interface RunningNode {
  /** The API's address as clients use it (`http://127.0.0.1:PORT`). */
  server: string;
  store: ObjectStore;
  /** Creates admitted objects (pods) in the store, as the API server would. */
  createObjects(objects: KubeObject[]): void;
  /** Graceful: each pod gets its grace period, then the server closes and the files go. */
  stop(): Promise<void>;
  /** Second Ctrl-C: SIGKILL to every container now. */
  kill(): Promise<void>;
}

/** Clients always connect over loopback, even when the node listens on every address. */
function clientUrl(server: ApiServer, host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://127.0.0.1:${server.port}`;
  return server.url;
}

export async function startNode(config: NodeConfig): Promise<RunningNode> {
  await ensureStateDir(config.stateDir);
  const lock: StateLock = await acquireLock(config.stateDir);
  const clock = new RealClock();
  // Cluster IPs are claimed machine-wide, as pod IPs are (runtime), so two nodes never share one.
  const addressClaims = new FileAddressClaims();
  const undo: (() => Promise<void>)[] = [() => lock.release()];
  const unwind = async (): Promise<void> => {
    for (const step of undo.reverse()) await step().catch(() => {});
  };
  try {
    // Objects, events and restart history persist in <stateDir>/podvisor.db (issue 3 item 7).
    // A full disk refuses writes (the change is not made) and podvisor keeps running: its own log
    // and, once writes succeed again, an Event say what happened.
    const storage = storageProblemReporter(config.nodeName, clock);
    const store = openStore(config.stateDir, clock, storage.onStateWriteProblem);
    storage.attach(store);
    undo.push(async () => store.close());
    // Events live an hour after their last write, and at most 10,000 are kept (the API server's TTL).
    const retention = new EventRetention(store, clock);
    undo.push(async () => retention.stop());
    const runtime = await ProcessRuntime.create({
      stateDir: config.stateDir,
      clock,
      ...(config.onOrphansKilled ? { onOrphansKilled: config.onOrphansKilled } : {}),
      ...(config.logMaxBytes !== undefined ? { logMaxBytes: config.logMaxBytes } : {}),
      ...(config.logMaxFiles !== undefined ? { logMaxFiles: config.logMaxFiles } : {}),
      onLogProblem: storage.onLogProblem,
      orphanGraceMs: (orphan) => orphanGraceMs(store, orphan.podUid),
      ...(config.processContainment ? { processContainment: config.processContainment } : {}),
    });
    undo.push(() => runtime.shutdown(0));
    const containment = runtime.containment();
    // The fallback is said out loud; the Node shows the mode either way (`describe node`).
    if (containment.mode === 'scan' && config.processContainment !== 'scan')
      process.stderr.write(`podvisor: process containment: ${containment.reason}\n`);
    else if (containment.note) process.stderr.write(`podvisor: process containment: ${containment.note}\n`);
    // /metrics: the kubelets feed the prober counters; the rest is read from the store at scrape.
    const metrics = new NodeMetrics({ store, processes: (id) => runtime.processes(id) });
    // The kubelets (one per virtual node), the scheduler and the node lifecycle controller.
    const kubelet: NodeSet = startNodeSet({
      count: config.nodes ?? 1,
      nodeName: config.nodeName,
      store,
      runtime,
      clock,
      kubelet: {
        backoff: config.backoff,
        // One registry for every virtual node's kubelet: a ReplicaSet's budget holds across nodes.
        livenessRestartBudgets: new LivenessRestartBudgets(clock),
        probeObserver: metrics,
        baseEnv: baseEnvironment(),
        ...(config.workingDirBase ? { workingDirBase: config.workingDirBase } : {}),
      },
      ...(config.nodeMonitorGracePeriodMs !== undefined
        ? { nodeMonitorGracePeriodMs: config.nodeMonitorGracePeriodMs }
        : {}),
      ...(config.podEvictionTimeoutMs !== undefined
        ? { podEvictionTimeoutMs: config.podEvictionTimeoutMs }
        : {}),
    });
    undo.push(() => kubelet.stop(0));
    // Services (issue 4 item 2): the proxy serves cluster IPs from the EndpointSlices that the
    // endpoints controller (started with the other controllers below) writes.
    const proxy = startProxy({
      store,
      clock,
      claims: addressClaims,
      onError: (err) => process.stderr.write(`podvisor: ${err.message}\n`),
    });
    // podvisor.io servicetraffics (issue 8): the proxy's counters per Service, for the dashboard.
    const serviceTraffic = startServiceTraffic(store, proxy.stats);
    const services = {
      stop: (): Promise<void> => {
        serviceTraffic.stop();
        return proxy.stop();
      },
    };
    undo.push(() => services.stop());
    // ReplicaSet/ReplicationController controllers and the garbage collector (issue 4 item 1).
    const controllers = startControllers({ store, clock, host: config.nodeName });
    undo.push(async () => controllers.stop());
    const token = await loadOrCreateToken(config.stateDir);
    // https:// on the same port, for kubectl (it sends a token only over TLS); http:// stays.
    const tls = await loadOrCreateServingCert(config.stateDir, config.host);
    let server: ApiServer;
    try {
      server = await startApiServer({
        store,
        logs: runtime,
        token,
        host: config.host,
        port: config.port,
        admitPod,
        clock,
        tls,
        resources: [
          nodeResource(),
          ...serviceResources(store, addressClaims),
          ...configResources(),
          ...workloadResources(),
        ],
        probeHistories: kubelet.probeHistories,
        serviceTraffic,
        metrics,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const where = `${config.host}:${config.port}`;
      if (code === 'EADDRINUSE') {
        throw new CliError(
          `error: cannot listen on ${where}: the address is in use: pass another --listen (e.g. --listen 127.0.0.1:0 for any free port)`,
        );
      }
      throw new CliError(
        `error: cannot listen on ${where}: ${(err as Error).message}: pass another --listen`,
      );
    }
    undo.push(() => server.close());
    return await finishStart(config, {
      store,
      runtime,
      kubelet,
      server,
      lock,
      token,
      retention,
      services,
      controllers,
      addressClaims,
    });
  } catch (err) {
    await unwind();
    throw err;
  }
}

/** A database we cannot open (e.g. from a newer podvisor) is the user's to fix: say so plainly. */
function openStore(
  stateDir: string,
  clock: RealClock,
  onWriteProblem: SqliteStoreOptions['onWriteProblem'],
): SqliteStore {
  try {
    return SqliteStore.open(stateDir, { clock, ...(onWriteProblem ? { onWriteProblem } : {}) });
  } catch (err) {
    throw new CliError(`error: cannot open the state database: ${(err as Error).message}`);
  }
}

/** A crashed podvisor's containers get their pod's grace period (default 30 s), as on deletion. */
function orphanGraceMs(store: ObjectStore, podUid: string): number {
  type PodGrace = KubeObject & { spec?: { terminationGracePeriodSeconds?: number } };
  const pod = store.list<PodGrace>('pods').items.find((p) => p.metadata.uid === podUid);
  return (pod?.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
}

interface NodeParts {
  store: SqliteStore;
  runtime: ProcessRuntime;
  kubelet: NodeSet;
  server: ApiServer;
  lock: StateLock;
  token: string;
  retention: EventRetention;
  services: { stop(): Promise<void> };
  controllers: RunningControllers;
  addressClaims: AddressClaims;
}

/** api.json is written only now that the server listens, so a client never finds a dead address. */
async function finishStart(config: NodeConfig, parts: NodeParts): Promise<RunningNode> {
  const { store, runtime, kubelet, server, lock, token, retention, services, controllers, addressClaims } =
    parts;
  const url = clientUrl(server, config.host);
  await writeApiInfo(config.stateDir, { server: url, token, pid: process.pid, nodeName: config.nodeName });
  let stopping: Promise<void> | undefined;
  const teardown = async (graceful: boolean): Promise<void> => {
    // Controllers first: pods stopping with the node must not be replaced.
    controllers.stop();
    // Forced: SIGKILL everything now, without waiting for the kubelet's graceful stop.
    if (graceful) await kubelet.stop();
    else await runtime.shutdown(0);
    await server.close().catch(() => {});
    await services.stop().catch(() => {});
    retention.stop();
    await runtime.shutdown(graceful ? 2000 : 0).catch(() => {});
    await removeApiInfo(config.stateDir).catch(() => {});
    store.close();
    await lock.release().catch(() => {});
  };
  return {
    server: url,
    store,
    createObjects: (objects) => {
      // Manifest loading admits Pods only in this version. A pod the store already holds (from an
      // earlier run, once the store persists) is left as it is.
      // ConfigMaps, Secrets and PodPresets first: pods in the same files are admitted against them.
      for (const obj of configObjectsFirst(objects)) {
        try {
          const configResource = configResourceFor(obj.kind);
          if (obj.kind === 'Service')
            store.create('services', allocateServiceAddresses(store, obj, undefined, addressClaims));
          else if (configResource) store.create(configResource, obj);
          // Pods pass the API server's PodPreset admission too (presets, then validation again).
          else if (isWorkloadKind(obj.kind)) store.create(WORKLOAD_KINDS[obj.kind].resource, obj);
          else if (obj.kind === 'Pod') createPodWithPresets(store, new RealClock(), obj, admitPod);
          else store.create('pods', obj);
        } catch (err) {
          if (!(err instanceof StoreError) || err.code !== 409) throw err;
        }
      }
    },
    stop: () => (stopping ??= teardown(true)),
    kill: () => teardown(false),
  };
}

/** Containers start from podvisor's own environment (PATH, HOME, ...), as a process would. */
function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}
