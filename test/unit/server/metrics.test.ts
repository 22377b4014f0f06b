import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerStatus } from '../../../src/api/types.js';
import type { StoredPod } from '../../../src/kubelet/types.js';
import type { ProbeResultObservation } from '../../../src/kubelet/probe-observer.js';
import type { ProbeRunResult } from '../../../src/kubelet/types.js';
import { backOffSeconds, NodeMetrics } from '../../../src/server/metrics.js';
import { parseStatCpuSeconds, parseStatusRssBytes } from '../../../src/server/process-usage.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { WorkerRig } from '../kubelet/worker-host.js';
import { checkExposition, sampleValue } from '../../helpers/prometheus-text.js';

const WEB = {
  probeType: 'Liveness',
  container: 'app',
  pod: 'web',
  namespace: 'default',
  podUID: 'u1',
} as const;

function observation(over: Partial<ProbeResultObservation> = {}): ProbeResultObservation {
  return { ...WEB, result: 'successful', durationSeconds: 0.002, ...over };
}

function podWith(name: string, statuses: ContainerStatus[]): StoredPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: statuses.map((s) => ({ name: s.name, image: 'x' })) },
    status: { phase: 'Running', containerStatuses: statuses },
  };
}

function status(name: string, over: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    name,
    image: 'x',
    imageID: '',
    ready: true,
    restartCount: 0,
    containerID: `podvisor://${name}`,
    state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
    ...over,
  };
}

function metricsOn(store = new MemoryStore()): NodeMetrics {
  return new NodeMetrics({
    store,
    defaultMetrics: false,
    processes: (id) => (id === 'podvisor://app' ? [101, 102] : []),
    usage: (pid) =>
      pid === 101 ? { cpuSeconds: 1.5, rssBytes: 4096 } : { cpuSeconds: 0.25, rssBytes: 1024 },
  });
}

async function scrape(m: NodeMetrics): Promise<string> {
  const { body, contentType } = await m.render();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  checkExposition(body);
  return body;
}

const LIVENESS_OK = {
  probe_type: 'Liveness',
  result: 'successful',
  container: 'app',
  pod: 'web',
  namespace: 'default',
  pod_uid: 'u1',
};

describe('metrics: prober (kubelet ProberResults / ProberDuration)', () => {
  test('each observed run counts once under the kubelet labels; failures count but are not timed', async () => {
    const m = metricsOn();
    m.onProbeResult(observation());
    m.onProbeResult(observation());
    m.onProbeResult(observation({ result: 'failed', durationSeconds: 1 }));
    const text = await scrape(m);
    assert.equal(sampleValue(text, 'prober_probe_total', LIVENESS_OK), 2);
    assert.equal(sampleValue(text, 'prober_probe_total', { ...LIVENESS_OK, result: 'failed' }), 1);
    const timed = { probe_type: 'Liveness', container: 'app', pod: 'web', namespace: 'default' };
    // worker.go observes ProberDuration for Success (and Unknown) only.
    assert.equal(sampleValue(text, 'prober_probe_duration_seconds_count', timed), 2);
    assert.ok(Math.abs((sampleValue(text, 'prober_probe_duration_seconds_sum', timed) ?? 0) - 0.004) < 1e-9);
  });

  test("a stopped worker's series are removed (no growth from pods that are gone)", async () => {
    const m = metricsOn();
    m.onProbeResult(observation());
    m.onProbeResult(observation({ pod: 'other', podUID: 'u2' }));
    m.onProbeWorkerStopped(WEB);
    const text = await scrape(m);
    assert.equal(sampleValue(text, 'prober_probe_total', LIVENESS_OK), undefined);
    assert.equal(sampleValue(text, 'prober_probe_total', { ...LIVENESS_OK, pod: 'other', pod_uid: 'u2' }), 1);
    assert.doesNotMatch(text, /pod="web"/);
  });

  test('§2.2: the worker reports every run the prober answered, errors excluded, and its stop', async () => {
    const seen: string[] = [];
    const rig = new WorkerRig('Liveness', {
      exec: { command: ['true'] },
      periodSeconds: 1,
      failureThreshold: 5,
    });
    rig.observer = {
      onProbeResult: (o) => seen.push(`${o.probeType}/${o.container}/${o.pod}/${o.podUID}/${o.result}`),
      onProbeWorkerStopped: (w) => seen.push(`stopped ${w.probeType}/${w.container}`),
    };
    const error: ProbeRunResult = { result: 'Failure', error: 'bad port' };
    rig.answer({ result: 'Success' }, { result: 'Failure' }, error);
    rig.always({ result: 'Success' });
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(2_500);
    rig.worker.stop();
    assert.deepEqual(seen, [
      'Liveness/app/web/pod-uid/successful',
      'Liveness/app/web/pod-uid/failed',
      'stopped Liveness/app',
    ]);
  });
});

describe('metrics: containers (read from the store and /proc at scrape time)', () => {
  test('restarts, waiting reason, back-off and CPU/RSS per container; a deleted pod leaves no series', async () => {
    const store = new MemoryStore();
    const crashing = status('crash', {
      restartCount: 3,
      containerID: 'podvisor://crash',
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: 'back-off 40s restarting failed container=crash pod=web_default(uid-web)',
        },
      },
    });
    const created = store.create('pods', podWith('web', [status('app', { restartCount: 1 }), crashing]));
    const m = metricsOn(store);
    let text = await scrape(m);
    const app = { namespace: 'default', pod: 'web', uid: created.metadata.uid ?? '', container: 'app' };
    const crash = { ...app, container: 'crash' };
    assert.equal(sampleValue(text, 'kube_pod_container_status_restarts_total', app), 1);
    assert.equal(sampleValue(text, 'kube_pod_container_status_restarts_total', crash), 3);
    assert.equal(
      sampleValue(text, 'kube_pod_container_status_waiting_reason', { ...crash, reason: 'CrashLoopBackOff' }),
      1,
    );
    assert.equal(sampleValue(text, 'podvisor_container_backoff_seconds', crash), 40);
    assert.equal(sampleValue(text, 'podvisor_container_backoff_seconds', app), 0);
    const usage = { container: 'app', pod: 'web', namespace: 'default' };
    assert.equal(sampleValue(text, 'container_cpu_usage_seconds_total', usage), 1.75);
    assert.equal(sampleValue(text, 'container_memory_rss', usage), 5120);
    // A waiting container has no processes: no usage series for it.
    assert.equal(sampleValue(text, 'container_memory_rss', { ...usage, container: 'crash' }), undefined);

    store.delete('pods', 'default', 'web');
    text = await scrape(m);
    assert.doesNotMatch(text, /pod="web"/);
  });

  test('back-off seconds come from the kubelet waiting message, 0 for any other state', () => {
    const waiting = (reason: string, message: string): ContainerStatus =>
      status('c', { state: { waiting: { reason, message } } });
    assert.equal(
      backOffSeconds(waiting('CrashLoopBackOff', 'back-off 5m0s restarting failed container=c')),
      300,
    );
    assert.equal(
      backOffSeconds(waiting('CrashLoopBackOff', 'back-off 2.5s restarting failed container=c')),
      2.5,
    );
    assert.equal(backOffSeconds(waiting('ContainerCreating', '')), 0);
    assert.equal(backOffSeconds(status('c')), 0);
  });

  test('/proc parsing: CPU is utime+stime+cutime+cstime in USER_HZ; comm may hold ") "', () => {
    const stat = '42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 20 30 20 0 1 0 12345 1000 200';
    assert.equal(parseStatCpuSeconds(stat), 2.5);
    assert.equal(parseStatCpuSeconds('garbage'), undefined);
    assert.equal(parseStatusRssBytes('Name:\tx\nVmRSS:\t    2048 kB\nThreads:\t1\n'), 2048 * 1024);
    assert.equal(parseStatusRssBytes('Name:\tkthreadd\n'), 0);
  });
});
