import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PodvisorAnnotation } from '../../../src/api/podvisor-annotations.js';
import type { CheckContext, CheckResult } from '../../../src/probe/checks/types.js';
import { runCheck } from '../../../src/probe/checks/index.js';
import type { ProbeHandlers } from '../../../src/kubelet/types.js';
import type { ContainerRuntime } from '../../../src/runtime/types.js';
import { fail, ok } from './fakes.js';
import { container, harness, pod, withMeta, type Harness } from './harness.js';

const liveness = (extra = {}) => ({
  httpGet: { path: '/healthz', port: 8080 },
  periodSeconds: 3,
  failureThreshold: 3,
  ...extra,
});

/** Gives the harness's fake handlers an in-process `check` (what the kubelet's defaults have). */
function withCheck(
  h: Harness,
  check: (args: readonly string[], ctx: CheckContext) => Promise<CheckResult>,
): CheckContext[] {
  const contexts: CheckContext[] = [];
  const handlers: ProbeHandlers = h.handlers;
  handlers.check = (args, ctx) => {
    contexts.push(ctx);
    return check(args, ctx);
  };
  return contexts;
}

describe('kubelet: probe history and restart records (issue 5 item 2)', () => {
  test('a liveness restart records the Killing message and the verdicts that caused it', async () => {
    const h = harness();
    await h.create(pod('web', { containers: [container('app', { livenessProbe: liveness() })] }));
    const first = h.runtime.latest('app');
    await h.advance(10_000);
    h.handlers.set('/healthz', fail());
    await h.advance(8_000);
    const history = h.kubelet.probeHistory('default', 'web');
    assert.ok(history);
    assert.equal(history.restarts.length, 1);
    const restart = history.restarts[0];
    assert.equal(restart?.message, 'Container app failed liveness probe, will be restarted');
    assert.equal(restart?.containerID, first.id);
    assert.equal(restart?.probeType, 'Liveness');
    assert.deepEqual(
      restart?.verdicts.map((v) => [v.verdict, v.consecutive, v.message]),
      [
        ['failure', 1, 'HTTP probe failed with statuscode: 500'],
        ['failure', 2, 'HTTP probe failed with statuscode: 500'],
        ['failure', 3, 'HTTP probe failed with statuscode: 500'],
      ],
    );
    assert.equal(restart?.verdicts[2]?.acted, 'Failure');
    const results = history.probes[0]?.results ?? [];
    assert.equal(results.filter((r) => r.verdict === 'success').length, 4);
    assert.equal(h.kubelet.probeHistories().length, 1);
    assert.equal(h.kubelet.probeHistories('other').length, 0);
  });

  test('the history lives as long as the pod worker: kept when the pod is terminal, gone once it is deleted', async () => {
    const h = harness();
    await h.create(
      pod('job', {
        restartPolicy: 'Never',
        containers: [container('app', { livenessProbe: liveness({ failureThreshold: 1 }) })],
      }),
    );
    h.handlers.set('/healthz', fail());
    await h.until(() => h.get('job')?.status?.phase === 'Failed');
    assert.equal(h.kubelet.probeHistory('default', 'job')?.probes[0]?.results.at(-1)?.acted, 'Failure');
    h.deleteGracefully('job', 0);
    await h.until(() => h.get('job') === undefined);
    await h.advance(1000);
    assert.equal(h.kubelet.probeHistory('default', 'job'), undefined);
    assert.deepEqual(h.kubelet.probeHistories(), []);
  });
});

describe('kubelet: probe-events verbose and pauses (issue 5 item 3)', () => {
  test('verbose: Unhealthy carries (attempt k/N) and a Normal ProbeRecovered marks the return to success', async () => {
    const h = harness();
    const p = withMeta(
      pod('web', { containers: [container('app', { readinessProbe: liveness({ periodSeconds: 10 }) })] }),
      { annotations: { [PodvisorAnnotation.probeEvents]: 'verbose' } },
    );
    await h.create(p);
    await h.advance(5_000);
    h.handlers.set('/healthz', fail());
    await h.advance(20_000);
    h.handlers.set('/healthz', ok);
    await h.advance(10_000);
    const lines = h.recorder.lines().filter((l) => /^(Unhealthy|ProbeRecovered)/.test(l));
    assert.deepEqual(lines, [
      'Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500 (attempt 1/3)',
      'Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500 (attempt 2/3)',
      'ProbeRecovered: Readiness probe succeeded after 2 failed attempts',
    ]);
    assert.equal(h.recorder.withReason('ProbeRecovered')[0]?.type, 'Normal');
    assert.equal(h.recorder.withReason('ProbeRecovered')[0]?.involved.fieldPath, 'spec.containers{app}');
  });

  test('paused: liveness failures are recorded, raise no event and restart nothing until the pause ends', async () => {
    const h = harness();
    const until = new Date(h.clock.now() + 60_000).toISOString();
    await h.create(
      withMeta(pod('web', { containers: [container('app', { livenessProbe: liveness() })] }), {
        annotations: { [PodvisorAnnotation.probesPausedUntil]: until },
      }),
    );
    h.handlers.set('/healthz', fail());
    await h.advance(50_000);
    assert.equal(h.runtime.of('app').length, 1, 'no restart while paused');
    assert.deepEqual(h.recorder.withReason('Unhealthy'), []);
    const results = h.kubelet.probeHistory('default', 'web')?.probes[0]?.results ?? [];
    assert.ok(results.length >= 15 && results.every((r) => r.paused === true));
    await h.advance(20_000);
    assert.equal(h.runtime.of('app').length, 2, 'acts once the pause has ended');
  });
});

describe('kubelet: runProbeNow — `podvisor check pod/NAME` (issue 5 item 1)', () => {
  test('runs the configured probe now: the exact kubelet message, no event, the worker not fed, wouldAct', async () => {
    const h = harness();
    await h.create(
      withMeta(
        pod('web', { containers: [container('app', { livenessProbe: liveness({ periodSeconds: 10 }) })] }),
        {
          annotations: { [PodvisorAnnotation.probeEvents]: 'verbose' },
        },
      ),
    );
    await h.advance(5_000);
    h.handlers.set('/healthz', fail());
    await h.advance(10_000); // one counted failure (t=10)
    const events = h.recorder.events.length;
    const calls = h.handlers.callsTo('/healthz').length;
    const report = await h.kubelet.runProbeNow('default', 'web', {});
    assert.equal(h.handlers.callsTo('/healthz').length, calls + 1);
    assert.equal(h.recorder.events.length, events, 'no event recorded');
    assert.equal(report.kind, 'ProbeRunReport');
    assert.equal(report.container, 'app');
    assert.equal(report.probeType, 'Liveness');
    assert.equal(report.verdict, 'failure');
    assert.equal(report.output, 'HTTP probe failed with statuscode: 500');
    assert.equal(
      report.kubeletMessage,
      'Liveness probe failed: HTTP probe failed with statuscode: 500 (attempt 2/3)',
    );
    assert.deepEqual(report.current, { result: 'Failure', count: 1 });
    assert.equal(
      report.wouldAct,
      'restart after 2 more consecutive failures (about 20s at periodSeconds 10); 1 of 3 so far',
    );
    assert.equal(report.handler, 'http-get http://:8080/healthz');
    const again = h.kubelet.probeHistory('default', 'web')?.probes[0]?.results ?? [];
    assert.equal(again.length, 2, 'the run now is not in the worker history');
    await h.advance(10_000);
    assert.equal(h.runtime.of('app').length, 1, 'and did not count towards the restart');
  });

  test('errors: 404 for a pod not on the node, 400 naming the container choices', async () => {
    const h = harness();
    await h.create(
      pod('two', {
        containers: [
          container('a', { livenessProbe: liveness() }),
          container('b', { livenessProbe: liveness() }),
        ],
      }),
    );
    await assert.rejects(h.kubelet.runProbeNow('default', 'nope', {}), { code: 404 });
    await assert.rejects(h.kubelet.runProbeNow('default', 'two', {}), {
      code: 400,
      message: 'pod two has 2 containers with a liveness probe: choose one of [a b] with -c',
    });
    await assert.rejects(h.kubelet.runProbeNow('default', 'two', { container: 'zz' }), {
      code: 400,
      message: 'container zz is not valid for pod two: choose one of [a b]',
    });
    await assert.rejects(h.kubelet.runProbeNow('default', 'two', { container: 'a', probe: 'readiness' }), {
      code: 400,
      message: 'container a of pod two has no readiness probe; no container of the pod has one',
    });
    const r = await h.kubelet.runProbeNow('default', 'two', { container: 'b' });
    assert.equal(r.verdict, 'success');
    assert.equal(r.kubeletMessage, '');
    assert.match(
      r.wouldAct,
      /^no restart yet: the last result was a success; restart after 3 consecutive failures/,
    );
  });
});

describe('kubelet: in-process checks (issue 5 item 1)', () => {
  const checkProbe = {
    exec: { command: ['podvisor', 'check', 'conn', '--remote-port', '1521'] },
    periodSeconds: 5,
    failureThreshold: 2,
    timeoutSeconds: 2,
  };

  test('a `podvisor check` exec probe runs in-process (no exec handler call) with the instance context', async () => {
    const h = harness();
    const pids: number[][] = [];
    const contexts = withCheck(h, async (_args, ctx) => {
      pids.push(ctx.pids?.() ?? []);
      return { ok: false, reason: 'conn: 0 ESTABLISHED to :1521 (want ≥ 1)' };
    });
    await h.create(
      pod('cdc', {
        containers: [container('app', { livenessProbe: checkProbe, env: [{ name: 'A', value: '1' }] })],
      }),
    );
    await h.advance(5_000);
    assert.equal(h.handlers.calls.length, 0, 'nothing was forked');
    const ctx = contexts[0];
    assert.ok(ctx);
    assert.equal(ctx.timeoutMs, 2000);
    assert.equal(ctx.podIP, h.get('cdc')?.status?.podIP);
    assert.equal(ctx.env?.A, '1');
    assert.equal(ctx.containerName, 'app');
    assert.equal(ctx.podName, 'cdc');
    assert.deepEqual(pids[0], [h.runtime.of('app')[0]?.pid], "the instance's processes");
    assert.deepEqual(
      h.recorder.withReason('Unhealthy').map((e) => e.message),
      [
        'Liveness probe failed: conn: 0 ESTABLISHED to :1521 (want ≥ 1)',
        'Liveness probe failed: conn: 0 ESTABLISHED to :1521 (want ≥ 1)',
      ],
    );
    assert.equal(h.runtime.of('app').length, 2, 'two failures restarted it');
    const results = h.kubelet.probeHistory('default', 'cdc')?.probes[0]?.results ?? [];
    assert.equal(results[0]?.message, 'conn: 0 ESTABLISHED to :1521 (want ≥ 1)');
  });

  test('a check that outlives timeoutSeconds fails with the exec probe timeout wording and is aborted', async () => {
    const h = harness();
    let aborted = false;
    withCheck(h, (_args, ctx) => {
      ctx.signal?.addEventListener('abort', () => (aborted = true));
      return new Promise<CheckResult>(() => {});
    });
    await h.create(pod('cdc', { containers: [container('app', { livenessProbe: checkProbe })] }));
    await h.advance(3_000);
    assert.equal(aborted, true);
    assert.deepEqual(
      h.recorder.withReason('Unhealthy').map((e) => e.message),
      [
        'Liveness probe failed: command timed out: "podvisor check conn --remote-port 1521" timed out after 2s',
      ],
    );
  });

  test('without a check handler the same command is an ordinary exec probe (fake handlers stay as they were)', async () => {
    const h = harness();
    await h.create(pod('cdc', { containers: [container('app', { livenessProbe: checkProbe })] }));
    await h.advance(1_000);
    assert.deepEqual(
      h.handlers.calls.map((c) => c.kind),
      ['exec'],
    );
  });

  test('the real `check log` reads the instance log window fed by the runtime tap (no file read per run)', async () => {
    const h = harness();
    withCheck(h, runCheck);
    const taps = new Set<(line: string, at: number) => void>();
    let fileReads = 0;
    const rt: ContainerRuntime = h.runtime;
    rt.tapOutput = (_id, tap) => {
      taps.add(tap);
      return () => taps.delete(tap);
    };
    rt.recentLines = async () => {
      fileReads++;
      return [{ at: h.clock.now(), text: 'connected to orcl' }];
    };
    const logProbe = {
      exec: {
        command: ['podvisor', 'check', 'log', '--match', 'ORA-', '--fail-on-match', '--window', '60s'],
      },
      periodSeconds: 5,
      failureThreshold: 2,
    };
    await h.create(pod('cdc', { containers: [container('app', { livenessProbe: logProbe })] }));
    await h.advance(12_000);
    assert.equal(h.runtime.of('app').length, 1);
    for (const tap of taps)
      tap('ORA-12518: TNS:listener could not hand off client connection', h.clock.now());
    await h.advance(10_000);
    const unhealthy = h.recorder.withReason('Unhealthy');
    assert.ok(unhealthy.length >= 2, h.recorder.lines().join('\n'));
    assert.match(unhealthy[0]?.message ?? '', /^Liveness probe failed: .*ORA-12518/);
    assert.equal(h.runtime.of('app').length, 2, 'restarted by the log check');
    assert.equal(fileReads, 1, 'one backfill for the first instance, none per run');
  });
});
