import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeRunResult } from '../../../src/kubelet/types.js';
import { WorkerRig } from './worker-host.js';

const S: ProbeRunResult = { result: 'Success' };
const F: ProbeRunResult = { result: 'Failure' };
const E: ProbeRunResult = { result: 'Failure', error: 'strconv.Atoi: parsing "htpp": invalid syntax' };
const exec = { exec: { command: ['true'] } };

describe('probe worker: scheduling (§2.1)', () => {
  test('§2.1: probes once at creation, then on every tick of the period, phased from creation', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 3 });
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(10_000);
    assert.deepEqual(rig.seconds(), [0, 3, 6, 9]);
  });

  test('§2.1: no jitter when the kubelet started more than one period ago', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 10 }, { kubeletStartedAgoMs: 10_001 });
    rig.random = 0.5;
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(0);
    assert.deepEqual(rig.seconds(), [0]);
  });

  test('§2.1: first-probe jitter rand(0, period) only if the kubelet started less than one period ago', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 10 }, { kubeletStartedAgoMs: 2_000 });
    rig.random = 0.25;
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(2_000);
    assert.deepEqual(rig.seconds(), []);
    await rig.advance(20_000);
    assert.deepEqual(rig.seconds(), [2.5, 12.5]);
  });

  test('§2.7: stopping a worker cancels the probe it is running (no exec probe outlives its worker)', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 10 });
    rig.running('c1', rig.t0 - 60_000);
    rig.answer(() => new Promise<ProbeRunResult>(() => {}));
    rig.start();
    await rig.advance(0);
    assert.equal(rig.signals.length, 1);
    assert.equal(rig.signals[0]?.aborted, false);
    rig.worker.stop();
    assert.equal(rig.signals[0]?.aborted, true);
  });

  test('§2.1: the manual trigger probes at once and restarts the ticker from that moment', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 10 });
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(4_000);
    assert.equal(rig.worker.trigger(), true);
    await rig.advance(20_000);
    assert.deepEqual(rig.seconds(), [0, 4, 14, 24]);
  });

  test('§2.1: a trigger while a probe runs is buffered (one slot); a second one is refused', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 10 });
    rig.running('c1', rig.t0 - 60_000);
    let release!: () => void;
    rig.answer(() => new Promise<ProbeRunResult>((r) => (release = () => r(S))));
    rig.start();
    await rig.advance(1_000);
    assert.equal(rig.worker.trigger(), true);
    assert.equal(rig.worker.trigger(), false, 'channel buffer of 1: "Failed to trigger a manual run"');
    await rig.advance(1_000);
    release();
    await rig.advance(0);
    assert.deepEqual(rig.seconds(), [0, 2], 'the buffered trigger runs right after the slow probe');
    await rig.advance(12_000);
    assert.deepEqual(rig.seconds(), [0, 2, 12], 'and the ticker restarted from the manual run');
  });

  test('§2.1: the loop is serial; a slow probe delays the next tick instead of queueing many', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 3, timeoutSeconds: 7 });
    rig.running('c1', rig.t0 - 60_000);
    rig.answer(() => new Promise<ProbeRunResult>((r) => rig.clock.setTimer(7_000, () => r(S))));
    rig.start();
    await rig.advance(13_000);
    // 0 → ends at 7 (ticks 3 and 6 passed: one kept, one dropped) → runs at 7, then the phase: 9, 12
    assert.deepEqual(rig.seconds(), [0, 7, 9, 12]);
  });

  test('§2.1: stop cancels the timer and removes the cached result', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 1 });
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(0);
    assert.equal(rig.cache.get('c1'), 'Success');
    rig.worker.stop();
    assert.equal(rig.cache.get('c1'), undefined);
    assert.equal(rig.stoppedCount, 1);
    await rig.advance(5_000);
    assert.deepEqual(rig.seconds(), [0]);
    assert.equal(rig.clock.pending(), 0, 'one timer per worker, none left after stop');
  });
});

describe('probe worker: doProbe steps (§2.2)', () => {
  test('§2.2 step 1/3: no status or no container ID yet → keep waiting without probing', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 1 });
    rig.start();
    await rig.advance(2_000);
    rig.setContainer({
      name: 'app',
      ready: false,
      restartCount: 0,
      image: 'x',
      imageID: '',
      state: { waiting: { reason: 'ContainerCreating' } },
    });
    await rig.advance(2_000);
    assert.deepEqual(rig.seconds(), []);
    assert.equal(rig.stoppedCount, 0);
    rig.running('c1', rig.clock.now());
    await rig.advance(1_000);
    assert.equal(rig.seconds().length, 1);
  });

  test('§2.2 step 2: a Failed/Succeeded pod stops the worker', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 1 });
    rig.running('c1', rig.t0 - 60_000);
    rig.start();
    await rig.advance(0);
    rig.setContainer(rig.status?.containerStatuses?.[0] ?? assert.fail(), 'Succeeded');
    await rig.advance(1_000);
    assert.equal(rig.stoppedCount, 1);
    assert.equal(rig.cache.get('c1'), undefined);
  });

  test('§2.2 step 4 / §9.5: initial values per type for every new instance: readiness Failure, liveness Success, startup Unknown', async () => {
    for (const [type, initial] of [
      ['Readiness', 'Failure'],
      ['Liveness', 'Success'],
      ['Startup', 'Unknown'],
    ] as const) {
      const rig = new WorkerRig(type, { ...exec, periodSeconds: 1, initialDelaySeconds: 100 });
      rig.running('c1', rig.t0, type !== 'Startup');
      rig.start();
      await rig.advance(0);
      assert.deepEqual(rig.results(), [`c1=${initial}`], type);
      rig.running('c2', rig.clock.now(), type !== 'Startup');
      await rig.advance(1_000);
      assert.equal(rig.cache.get('c1'), undefined, `${type}: the old instance's result is removed`);
      assert.equal(rig.cache.get('c2'), initial, type);
    }
  });

  test('§2.2 step 4 quirk: lastResult/resultRun carry over to a new instance (2 successes + 1 reach successThreshold 3)', async () => {
    const rig = new WorkerRig('Readiness', { ...exec, periodSeconds: 1, successThreshold: 3 });
    rig.running('c1', rig.t0 - 60_000);
    rig.always(S);
    rig.start();
    await rig.advance(1_000); // two successes on c1
    assert.equal(rig.cache.get('c1'), 'Failure');
    rig.running('c2', rig.clock.now());
    await rig.advance(1_000); // first success of c2 is the third in the run
    assert.equal(rig.cache.get('c2'), 'Success');
  });

  test('§2.2 step 5/12: liveness goes on hold after a Failure verdict until a new instance appears', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 1, failureThreshold: 2 });
    rig.running('c1', rig.t0 - 60_000);
    rig.always(F);
    rig.start();
    await rig.advance(5_000);
    assert.deepEqual(rig.seconds(), [0, 1], 'no probing once on hold');
    assert.equal(rig.cache.get('c1'), 'Failure');
    rig.running('c2', rig.clock.now());
    await rig.advance(1_000);
    assert.equal(rig.cache.get('c2'), 'Success');
    assert.deepEqual(rig.seconds(), [0, 1, 6], 'resumes for the new instance (initial delay 0)');
    await rig.advance(1_000);
    assert.equal(rig.cache.get('c2'), 'Failure', 'resultRun was reset to 0: two fresh failures needed');
  });

  test('§2.2 step 12: startup goes on hold after its Success verdict too (#117153)', async () => {
    const rig = new WorkerRig('Startup', { ...exec, periodSeconds: 1 });
    rig.running('c1', rig.t0 - 60_000, false);
    rig.answer(F, S);
    rig.start();
    await rig.advance(1_000);
    assert.equal(rig.cache.get('c1'), 'Success');
    rig.setStarted(false); // even if status still said not started, no more startup probes
    await rig.advance(5_000);
    assert.deepEqual(rig.seconds(), [0, 1]);
  });

  test('§2.2 step 6: a non-running container gets Failure; the worker stops only for Never + terminated', async () => {
    const always = new WorkerRig('Readiness', { ...exec, periodSeconds: 1 });
    always.running('c1', always.t0 - 60_000);
    always.start();
    await always.advance(0);
    assert.equal(always.cache.get('c1'), 'Success');
    always.terminated('c1');
    await always.advance(1_000);
    assert.equal(always.cache.get('c1'), 'Failure');
    assert.equal(always.stoppedCount, 0);

    const never = new WorkerRig('Liveness', { ...exec, periodSeconds: 1 }, { restartPolicy: 'Never' });
    never.running('c1', never.t0 - 60_000);
    never.start();
    await never.advance(0);
    never.terminated('c1');
    await never.advance(1_000);
    assert.equal(never.stoppedCount, 1);
  });

  test('§2.2 step 7: on deletion, liveness and startup set Success and stop; readiness keeps probing', async () => {
    for (const type of ['Liveness', 'Startup', 'Readiness'] as const) {
      const rig = new WorkerRig(type, { ...exec, periodSeconds: 1, failureThreshold: 1 });
      rig.running('c1', rig.t0 - 60_000, type !== 'Startup');
      rig.always(F);
      rig.pod = { ...rig.pod, metadata: { ...rig.pod.metadata, deletionTimestamp: '2024-06-04T10:00:30Z' } };
      rig.start();
      await rig.advance(3_000);
      if (type === 'Readiness') {
        assert.equal(rig.stoppedCount, 0);
        assert.deepEqual(rig.seconds(), [0, 1, 2, 3]);
      } else {
        assert.equal(rig.stoppedCount, 1, type);
        assert.deepEqual(rig.updates.map((u) => u.result).slice(-1), ['Success'], type);
        assert.deepEqual(rig.seconds(), [], type);
      }
    }
  });

  test('§2.2 step 8: initialDelaySeconds counts from status startedAt (whole seconds), truncated', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 1, initialDelaySeconds: 3 });
    // The process started 0.7 s after a whole second; the status shows that whole second.
    const startedAt = rig.t0 + 700;
    rig.start();
    await rig.advance(700);
    rig.running('c1', startedAt);
    await rig.advance(5_000);
    // ticks at 1,2,3,...: elapsed from the truncated startedAt reaches 3 at t=3 (2.3 s after the real start)
    assert.deepEqual(rig.seconds(), [3, 4, 5]);
  });

  test('§2.2 step 9: liveness/readiness wait for started; startup stops once started', async () => {
    const live = new WorkerRig('Liveness', { ...exec, periodSeconds: 1 });
    live.running('c1', live.t0 - 60_000, false);
    live.start();
    await live.advance(3_000);
    assert.deepEqual(live.seconds(), []);
    live.setStarted(true);
    await live.advance(1_000);
    assert.deepEqual(live.seconds(), [4]);

    const startup = new WorkerRig('Startup', { ...exec, periodSeconds: 1 });
    startup.running('c1', startup.t0 - 60_000, true);
    startup.start();
    await startup.advance(3_000);
    assert.deepEqual(startup.seconds(), []);
  });

  test('§2.2 step 10 / §2.6: probe errors are discarded: no counter change, no cache change', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 1, failureThreshold: 3 });
    rig.running('c1', rig.t0 - 60_000);
    rig.answer(F, E, F, E, E, F);
    rig.start();
    await rig.advance(4_000);
    assert.equal(rig.cache.get('c1'), 'Success', 'two failures so far, errors in between do not count');
    await rig.advance(1_000);
    assert.equal(rig.cache.get('c1'), 'Failure', 'the third real failure fires');
  });

  test('§2.2 step 11 / §9.4: thresholds need consecutive results; one opposite result resets the run', async () => {
    const rig = new WorkerRig('Liveness', { ...exec, periodSeconds: 1, failureThreshold: 3 });
    rig.running('c1', rig.t0 - 60_000);
    rig.answer(F, F, S, F, F, F);
    rig.start();
    await rig.advance(4_000);
    assert.equal(rig.cache.get('c1'), 'Success');
    await rig.advance(1_000);
    assert.equal(rig.cache.get('c1'), 'Failure');
    assert.deepEqual(
      rig.results(),
      ['c1=Success', 'c1=Failure'],
      'edge-triggered: only the flip is reported',
    );
  });

  test('§2.2 step 11: readiness flips only after successThreshold successes / failureThreshold failures', async () => {
    const rig = new WorkerRig('Readiness', {
      ...exec,
      periodSeconds: 1,
      successThreshold: 2,
      failureThreshold: 2,
    });
    rig.running('c1', rig.t0 - 60_000);
    rig.answer(S, S, F, S, F, F);
    rig.start();
    await rig.advance(0);
    assert.equal(rig.cache.get('c1'), 'Failure', 'initial value stands until 2 successes');
    await rig.advance(1_000);
    assert.equal(rig.cache.get('c1'), 'Success');
    await rig.advance(2_000);
    assert.equal(rig.cache.get('c1'), 'Success', 'F S does not flip');
    await rig.advance(2_000);
    assert.equal(rig.cache.get('c1'), 'Failure');
    assert.deepEqual(rig.results(), ['c1=Failure', 'c1=Success', 'c1=Failure']);
  });
});
