import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PodvisorAnnotation } from '../../../src/api/podvisor-annotations.js';
import type { Container, Pod, PodStatus, Probe, ProbeType } from '../../../src/api/types.js';
import { PodProbeHistory } from '../../../src/kubelet/probe-history.js';
import { ProbeWorker, type ProbeWorkerHost } from '../../../src/kubelet/probe-worker.js';
import { ResultsCache, type ResultUpdate } from '../../../src/kubelet/results-cache.js';
import type { ProbeRunOptions, ProbeRunResult } from '../../../src/kubelet/types.js';
import { FakeClock } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';

const S: ProbeRunResult = { result: 'Success', verdict: 'success', output: '', latencyMs: 2 };
const F: ProbeRunResult = {
  result: 'Failure',
  verdict: 'failure',
  output: 'HTTP probe failed with statuscode: 500',
  latencyMs: 1000,
};

/** One worker with the pod's probe history, a verdict queue, and what the worker asked for. */
class Rig {
  readonly clock = new FakeClock();
  readonly updates: ResultUpdate[] = [];
  readonly cache: ResultsCache;
  readonly history = new PodProbeHistory({ name: 'web', namespace: 'default', uid: 'pod-uid' });
  readonly opts: (ProbeRunOptions | undefined)[] = [];
  readonly recovered: string[] = [];
  readonly container: Container = { name: 'app', command: ['/bin/app'] };
  pod: Pod;
  status: PodStatus;
  worker!: ProbeWorker;
  private queue: ProbeRunResult[] = [];
  fallback: ProbeRunResult = S;

  constructor(
    readonly probeType: ProbeType,
    readonly probe: Probe,
    annotations: Record<string, string> = {},
  ) {
    this.cache = new ResultsCache(probeType, (u) => this.updates.push(u));
    this.pod = {
      metadata: { name: 'web', namespace: 'default', uid: 'pod-uid', annotations },
      spec: { containers: [this.container] },
    };
    this.status = {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          containerID: 'c1',
          ready: false,
          restartCount: 0,
          image: '',
          imageID: '',
          started: probeType !== 'Startup',
          state: { running: { startedAt: rfc3339(this.clock.now() - 60_000) } },
        },
      ],
    };
  }

  answer(...v: ProbeRunResult[]): void {
    this.queue.push(...v);
  }

  annotate(annotations: Record<string, string>): void {
    this.pod = { ...this.pod, metadata: { ...this.pod.metadata, annotations } };
  }

  start(): void {
    const host: ProbeWorkerHost = {
      clock: this.clock,
      kubeletStartedAt: this.clock.now() - 3_600_000,
      random: () => 0,
      pod: () => this.pod,
      podStatus: () => this.status,
      runProbe: async (_t, _c, _id, _signal, opts) => {
        this.opts.push(opts);
        return this.queue.shift() ?? this.fallback;
      },
      workerStopped: () => {},
      historyFor: (type, container, spec) => this.history.ring(container, type, spec),
      probeRecovered: (type, _c, failures) => this.recovered.push(`${type}:${failures}`),
    };
    this.worker = new ProbeWorker(this.probeType, this.container, this.probe, this.cache, host);
    this.worker.start();
  }

  results() {
    return this.history.toObject().probes[0]?.results ?? [];
  }
}

const probe: Probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 };

describe('probe worker: history (issue 5 item 2)', () => {
  test('§2.2 steps 10–12: every run is recorded with its verdict, latency, message, consecutive count and the run that acted', async () => {
    const rig = new Rig('Readiness', probe);
    rig.answer(S, F, F, F, { result: 'Failure', error: 'dial tcp: i/o timeout' }, S);
    rig.start();
    await rig.clock.advance(50_000);
    const r = rig.results();
    assert.deepEqual(
      r.map((x) => [x.verdict, x.consecutive, x.acted ?? '-']),
      [
        ['success', 1, 'Success'],
        ['failure', 1, '-'],
        ['failure', 2, '-'],
        ['failure', 3, 'Failure'],
        ['error', 3, '-'],
        ['success', 1, 'Success'],
      ],
    );
    assert.equal(r[1]?.message, 'HTTP probe failed with statuscode: 500');
    assert.equal(r[1]?.latencyMs, 1000);
    assert.equal(r[4]?.message, 'dial tcp: i/o timeout', 'an errored run is kept, not counted (§2.6)');
    assert.equal(r[0]?.time, new Date(rig.clock.now() - 50_000).toISOString());
    assert.equal(r[0]?.containerID, 'c1');
  });
});

describe('probe worker: podvisor.io/probes-paused-until (issue 5 item 3)', () => {
  test('paused liveness runs are recorded with paused: true and neither count nor touch the cache; quiet', async () => {
    const rig = new Rig('Liveness', probe);
    rig.fallback = F;
    rig.annotate({
      [PodvisorAnnotation.probesPausedUntil]: new Date(rig.clock.now() + 35_000).toISOString(),
    });
    rig.start();
    await rig.clock.advance(30_000);
    assert.equal(rig.results().length, 4);
    assert.ok(rig.results().every((x) => x.paused === true && x.consecutive === 0));
    assert.deepEqual(rig.opts.slice(0, 4), [
      { quiet: true },
      { quiet: true },
      { quiet: true },
      { quiet: true },
    ]);
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success'],
      'only the initial value: nothing acted',
    );
    assert.equal(rig.worker.state().fresh, true);
    // The pause ends by itself: the next three failures act.
    await rig.clock.advance(30_000);
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success', 'Failure'],
    );
    const counted = rig.results().filter((x) => !x.paused);
    assert.deepEqual(
      counted.map((x) => x.consecutive),
      [1, 2, 3],
    );
  });

  test('a liveness Failure held from before the pause is cleared by it: no kill on resume, the count restarts', async () => {
    const rig = new Rig('Liveness', probe);
    rig.fallback = F;
    rig.start();
    await rig.clock.advance(20_000); // runs at 0, 10 s, 20 s: the third failure acts and the worker holds
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success', 'Failure'],
    );
    rig.annotate({
      [PodvisorAnnotation.probesPausedUntil]: new Date(rig.clock.now() + 25_000).toISOString(),
    });
    await rig.clock.advance(10_000);
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success', 'Failure', 'Success'],
      'the pause puts the initial value back, so nothing is left to kill',
    );
    assert.equal(rig.results().at(-1)?.paused, true, 'and the worker probes (recorded, not counted)');
    await rig.clock.advance(20_000); // the pause ends at +45 s: failures at 50 s, 60 s, 70 s count again
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success', 'Failure', 'Success'],
    );
    await rig.clock.advance(20_000);
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success', 'Failure', 'Success', 'Failure'],
    );
    assert.deepEqual(
      rig
        .results()
        .filter((x) => !x.paused)
        .slice(-3)
        .map((x) => x.consecutive),
      [1, 2, 3],
    );
  });

  test('§2.2: readiness is never paused (it keeps deciding traffic)', async () => {
    const rig = new Rig('Readiness', probe, {
      [PodvisorAnnotation.probesPausedUntil]: new Date(Date.now() + 3_600_000).toISOString(),
    });
    rig.start();
    await rig.clock.advance(0);
    assert.equal(rig.results()[0]?.paused, undefined);
    assert.equal(rig.results()[0]?.acted, 'Success');
  });
});

describe('probe worker: podvisor.io/liveness-action: report (issue 5 item 3)', () => {
  test('after a Failure verdict the liveness worker keeps probing (no hold) and can return to Success', async () => {
    const rig = new Rig('Liveness', probe, { [PodvisorAnnotation.livenessAction]: 'report' });
    rig.answer(F, F, F, F, F, S);
    rig.start();
    await rig.clock.advance(60_000);
    assert.deepEqual(
      rig.updates.map((u) => u.result),
      ['Success', 'Failure', 'Success'],
    );
    assert.deepEqual(
      rig.results().map((x) => [x.verdict, x.consecutive]),
      [
        ['failure', 1],
        ['failure', 2],
        ['failure', 3],
        ['failure', 4],
        ['failure', 5],
        ['success', 1],
        ['success', 2],
      ],
    );
  });

  test('the default (restart) holds after a Failure verdict, as the kubelet does (§2.2 step 12)', async () => {
    const rig = new Rig('Liveness', probe);
    rig.fallback = F;
    rig.start();
    await rig.clock.advance(60_000);
    assert.equal(rig.results().length, 3, 'on hold until the container is restarted');
  });
});

describe('probe worker: podvisor.io/probe-events: verbose (issue 5 item 3)', () => {
  test('each run asks for the attempt k/N of the failure it would be; recovery is reported with the count', async () => {
    const rig = new Rig('Readiness', probe, { [PodvisorAnnotation.probeEvents]: 'verbose' });
    rig.answer(F, F, S, F, S);
    rig.start();
    await rig.clock.advance(40_000);
    assert.deepEqual(
      rig.opts.slice(0, 5).map((o) => o?.attempt),
      [
        { k: 1, n: 3 },
        { k: 2, n: 3 },
        { k: 3, n: 3 },
        { k: 1, n: 3 },
        { k: 2, n: 3 },
      ],
    );
    assert.deepEqual(rig.recovered, ['Readiness:2', 'Readiness:1']);
  });

  test('§3.5: default mode has no attempt counts and no recovery events (exactly the kubelet)', async () => {
    const rig = new Rig('Readiness', probe);
    rig.answer(F, S);
    rig.start();
    await rig.clock.advance(10_000);
    assert.deepEqual(rig.opts.slice(0, 2), [undefined, undefined]);
    assert.deepEqual(rig.recovered, []);
  });
});
