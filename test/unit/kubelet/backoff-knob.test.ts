import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CrashLoopBackOff } from '../../../src/kubelet/backoff.js';
import { container, harness, pod, withMeta } from './harness.js';

const CRASH = 'podvisor.io/crashloop-backoff';

/** Seconds (from t0) at which each instance of `app` started. */
function startTimes(h: ReturnType<typeof harness>, t0: number): number[] {
  return h.runtime.of('app').map((i) => (i.startedAt - t0) / 1000);
}

describe('podvisor.io/crashloop-backoff and the node-wide reset (§4.5)', () => {
  test('policy: the knob over the node values; a cap below the initial delay lowers it', () => {
    const b = new CrashLoopBackOff({ initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 });
    assert.deepEqual(b.policy(), { initialMs: 10_000, maxMs: 300_000, resetMs: 600_000 });
    assert.deepEqual(b.policy({ initialMs: 1000 }), { initialMs: 1000, maxMs: 300_000, resetMs: 600_000 });
    assert.deepEqual(b.policy({ maxMs: 5000 }), { initialMs: 5000, maxMs: 5000, resetMs: 600_000 });
    assert.deepEqual(b.policy({ resetMs: 120_000 }).resetMs, 120_000);
    assert.equal(new CrashLoopBackOff().resetMs, 600_000, 'the kubelet default');
  });

  test('§4.5 state machine: ×2 from the pod initial, capped at its max, forgotten after its reset', () => {
    const b = new CrashLoopBackOff();
    const p = b.policy({ initialMs: 1000, maxMs: 4000, resetMs: 20_000 });
    let t = 0;
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      b.next('k', t, t, p);
      delays.push(b.get('k'));
      t += b.get('k');
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 4000, 4000]);
    assert.equal(b.remainingMs('k', t, t + 1000, p), 3000);
    // The instance let through at `t` ran for 21 s (> reset 20 s): its exit starts over.
    assert.equal(b.remainingMs('k', t + 21_000, t + 21_000, p), 0);
    b.next('k', t + 21_000, t + 21_000, p);
    assert.equal(b.get('k'), 1000);
  });

  test('a crashing pod with initial=1s,max=4s restarts at +0, +1, +2, +4, +4 s with the kubelet message', async () => {
    const h = harness();
    h.runtime.behave('app', { exitAfterMs: 100, exitCode: 1 });
    const t0 = h.clock.now();
    const created = await h.create(
      withMeta(pod('web', { containers: [container('app')] }), {
        annotations: { [CRASH]: 'initial=1s,max=4s' },
      }),
    );
    await h.advance(12_000);
    // Each instance lives 0.1 s; delays 0, 1, 2, 4, 4 after each exit.
    assert.deepEqual(startTimes(h, t0).slice(0, 6), [0, 0.1, 1.2, 3.3, 7.4, 11.5]);
    await h.advance(1_000);
    const s = h.cstatus('web');
    assert.equal(s.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(
      s.state?.waiting?.message,
      `back-off 4s restarting failed container=app pod=web_default(${created.metadata.uid})`,
    );
    const backoff = h.recorder.withReason('BackOff');
    assert.ok(backoff.length > 0);
    assert.equal(
      backoff[0]?.message,
      `Back-off restarting failed container app in pod web_default(${created.metadata.uid})`,
    );
  });

  test('§4.5: without the knob a pod keeps the kubelet schedule: +0, +10, +20 s', async () => {
    const h = harness();
    h.runtime.behave('app', { exitAfterMs: 100, exitCode: 1 });
    const t0 = h.clock.now();
    await h.create(pod('web', { containers: [container('app')] }));
    await h.advance(35_000);
    assert.deepEqual(startTimes(h, t0).slice(0, 4), [0, 0.1, 10.2, 30.3]);
  });

  test('§4.5 reset: with reset=5s an instance that ran longer than 5 s is restarted at once, not after the grown delay', async () => {
    const h = harness();
    await h.create(
      withMeta(pod('web', { containers: [container('app')] }), {
        annotations: { [CRASH]: 'initial=2s,max=60s,reset=5s' },
      }),
    );
    // Three quick crashes: the delay grows to 8 s.
    for (let i = 0; i < 3; i++) {
      h.runtime.latest('app').finish(1);
      await h.until(() => h.runtime.of('app').length === i + 2, 60_000);
    }
    await h.advance(6_000);
    const before = h.runtime.of('app').length;
    const exitAt = h.clock.now();
    h.runtime.latest('app').finish(1);
    await h.advance(0);
    assert.equal(h.runtime.of('app').length, before + 1, 'restarted in the same instant');
    assert.equal(h.runtime.latest('app').startedAt, exitAt);
  });

  test('reset=5s: an instance that ran 4 s still waits out the grown delay', async () => {
    const h = harness();
    await h.create(
      withMeta(pod('web', { containers: [container('app')] }), {
        annotations: { [CRASH]: 'initial=2s,max=60s,reset=5s' },
      }),
    );
    for (let i = 0; i < 3; i++) {
      h.runtime.latest('app').finish(1);
      await h.until(() => h.runtime.of('app').length === i + 2, 60_000);
    }
    await h.advance(4_000);
    const before = h.runtime.of('app').length;
    h.runtime.latest('app').finish(1);
    await h.advance(7_900);
    assert.equal(h.runtime.of('app').length, before, 'still in back-off (8 s)');
    await h.advance(200);
    assert.equal(h.runtime.of('app').length, before + 1);
  });

  test('node-wide resetMs (up --crash-loop-backoff-reset) applies to pods without the knob', async () => {
    const h = harness({ backoff: { initialMs: 2000, maxMs: 60_000, resetMs: 5000 } });
    await h.create(pod('web', { containers: [container('app')] }));
    for (let i = 0; i < 3; i++) {
      h.runtime.latest('app').finish(1);
      await h.until(() => h.runtime.of('app').length === i + 2, 60_000);
    }
    await h.advance(6000);
    const before = h.runtime.of('app').length;
    h.runtime.latest('app').finish(1);
    await h.advance(0);
    assert.equal(h.runtime.of('app').length, before + 1);
  });
});
