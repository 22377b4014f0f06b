import type { Container, ContainerStatus, PodCondition, PodSpec, PodStatus } from '../../../src/api/types.js';
import { Kubelet, type KubeletOptions } from '../../../src/kubelet/kubelet.js';
import type { StoredPod } from '../../../src/kubelet/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';
import { FakeHandlers, FakeRecorder, FakeRuntime } from './fakes.js';

export function container(name: string, extra: Partial<Container> = {}): Container {
  return { name, image: 'busybox', command: [`/bin/${name}`], ...extra };
}

export function pod(name: string, spec: Partial<PodSpec> & { containers: Container[] }): StoredPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...spec },
  };
}

/** A copy with extra metadata (kubernetes-types objects are read-only). */
export function withMeta(p: StoredPod, meta: Partial<StoredPod['metadata']>): StoredPod {
  return { ...p, metadata: { ...p.metadata, ...meta } };
}

export function withStatus(p: StoredPod, status: PodStatus): StoredPod {
  return { ...p, status };
}

export interface Harness {
  clock: FakeClock;
  store: MemoryStore;
  recorder: FakeRecorder;
  runtime: FakeRuntime;
  handlers: FakeHandlers;
  kubelet: Kubelet;
  /** Creates the pod, lets the kubelet admit it; returns the stored pod (uid set). */
  create(p: StoredPod): Promise<StoredPod>;
  get(name: string): StoredPod | undefined;
  cstatus(podName: string, containerName?: string): ContainerStatus;
  condition(podName: string, type: string): PodCondition | undefined;
  /** Advances the fake clock. */
  advance(ms: number): Promise<void>;
  /** Advances in 1 s steps until `pred` holds (or `maxMs` passes); returns the elapsed ms. */
  until(pred: () => boolean, maxMs?: number): Promise<number>;
  /** API-server graceful DELETE: deletionTimestamp + deletionGracePeriodSeconds. */
  deleteGracefully(name: string, graceSeconds?: number): void;
  t(ms: number): string;
}

export function harness(opts: Partial<KubeletOptions> & { startDelayMs?: number } = {}): Harness {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const recorder = new FakeRecorder(clock);
  const runtime = new FakeRuntime(clock);
  const handlers = new FakeHandlers(clock);
  const kubelet = new Kubelet({
    nodeName: 'node-1',
    store,
    recorder,
    runtime,
    clock,
    handlers,
    random: () => 0,
    baseEnv: { PATH: '/bin' },
    ...opts,
  });
  kubelet.start();
  const h: Harness = {
    clock,
    store,
    recorder,
    runtime,
    handlers,
    kubelet,
    async create(p) {
      const created = store.create('pods', p);
      await clock.advance(0);
      return created;
    },
    get: (name) => store.get<StoredPod>('pods', 'default', name),
    cstatus(podName, containerName) {
      const statuses = h.get(podName)?.status?.containerStatuses ?? [];
      const s = containerName ? statuses.find((c) => c.name === containerName) : statuses[0];
      if (!s) throw new Error(`no status for ${podName}/${containerName ?? '[0]'}`);
      return s;
    },
    condition: (podName, type) => h.get(podName)?.status?.conditions?.find((c) => c.type === type),
    advance: (ms) => clock.advance(ms),
    async until(pred, maxMs = 3_600_000) {
      const start = clock.now();
      while (!pred()) {
        if (clock.now() - start >= maxMs) throw new Error(`condition not met within ${maxMs} ms`);
        await clock.advance(1000);
      }
      return clock.now() - start;
    },
    deleteGracefully(name, graceSeconds) {
      store.mutate<StoredPod>('pods', 'default', name, (cur) => {
        const grace = graceSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30;
        return {
          ...cur,
          metadata: {
            ...cur.metadata,
            deletionTimestamp: rfc3339(clock.now() + grace * 1000),
            deletionGracePeriodSeconds: grace,
          },
        };
      });
    },
    t: (ms) => rfc3339(ms),
  };
  return h;
}
