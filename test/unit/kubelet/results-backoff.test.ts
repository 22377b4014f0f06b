import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backOffEventMessage,
  backOffWaitingMessage,
  backoffKey,
  CrashLoopBackOff,
} from '../../../src/kubelet/backoff.js';
import { ResultsCache, type ResultUpdate } from '../../../src/kubelet/results-cache.js';
import { container, pod, withMeta } from './harness.js';

describe('results cache', () => {
  test('§2.4: set reports an update only when the value for that instance changes', () => {
    const updates: ResultUpdate[] = [];
    const cache = new ResultsCache('Readiness', (u) => updates.push(u));
    assert.equal(cache.set('c1', 'Failure', 'pod-uid'), true);
    assert.equal(cache.set('c1', 'Failure', 'pod-uid'), false);
    assert.equal(cache.set('c1', 'Success', 'pod-uid'), true);
    assert.equal(cache.set('c2', 'Success', 'pod-uid'), true);
    assert.deepEqual(
      updates.map((u) => `${u.containerId}=${u.result}`),
      ['c1=Failure', 'c1=Success', 'c2=Success'],
    );
    assert.equal(updates[0]?.probeType, 'Readiness');
    assert.equal(updates[0]?.podUid, 'pod-uid');
  });

  test('§2.4: remove is silent and a later set counts as a change again', () => {
    const updates: ResultUpdate[] = [];
    const cache = new ResultsCache('Liveness', (u) => updates.push(u));
    cache.set('c1', 'Success', 'u');
    cache.remove('c1');
    assert.equal(cache.get('c1'), undefined);
    assert.equal(updates.length, 1);
    cache.set('c1', 'Success', 'u');
    assert.equal(updates.length, 2);
  });
});

describe('CrashLoopBackOff', () => {
  const s = 1000;

  test('§4.5: first restart immediate, then 10s, 20s, 40s, 80s, 160s, 300s, 300s counted from the exit', () => {
    const b = new CrashLoopBackOff();
    const key = 'k';
    let now = 0;
    const delays: number[] = [];
    // exit #1: no entry → not in back-off; Next creates the 10 s entry.
    assert.equal(b.isInBackOffSince(key, now, now), false);
    b.next(key, now, now);
    for (let exit = 2; exit <= 9; exit++) {
      now += 5 * s; // each instance runs 5 s, then exits
      const exitAt = now;
      assert.equal(b.isInBackOffSince(key, exitAt, now), true);
      delays.push(b.remainingMs(key, exitAt, now));
      now = exitAt + b.remainingMs(key, exitAt, now);
      assert.equal(b.isInBackOffSince(key, exitAt, now), false, 'free exactly when the delay has passed');
      b.next(key, exitAt, now);
    }
    assert.deepEqual(
      delays.map((d) => d / s),
      [10, 20, 40, 80, 160, 300, 300, 300],
    );
  });

  test('§4.5: the entry resets only when the exited instance ran more than 600 s since the last restart', () => {
    const b = new CrashLoopBackOff();
    b.next('k', 0, 0); // restart at t=0 → 10 s
    b.next('k', 5 * s, 15 * s); // restart at 15 s → 20 s
    // exits 600 s after the last restart: not expired (needs > 600 s)
    assert.equal(b.isInBackOffSince('k', 615 * s, 615 * s), true);
    assert.equal(b.get('k'), 20 * s);
    // exits 601 s after the last restart: expired → no back-off, and Next starts over at 10 s
    assert.equal(b.isInBackOffSince('k', 616 * s, 616 * s), false);
    b.next('k', 616 * s, 616 * s);
    assert.equal(b.get('k'), 10 * s);
  });

  test('§4.5: a long quiet period alone does not reset (run time counts, not quiet time)', () => {
    const b = new CrashLoopBackOff();
    b.next('k', 0, 0);
    b.next('k', 1 * s, 11 * s); // 20 s, lastUpdate 11 s
    // the instance started at 11 s crashed at 12 s; it is now 2 h later
    assert.equal(b.remainingMs('k', 12 * s, 7200 * s), 0);
    b.next('k', 12 * s, 7200 * s);
    assert.equal(b.get('k'), 40 * s, 'the delay still doubles');
  });

  test('§4.5: crashLoopBackOff.maxContainerRestartPeriod caps the delay and lowers the initial one', () => {
    const capped = new CrashLoopBackOff({ maxMs: 30 * s });
    capped.next('k', 0, 0);
    for (let i = 0; i < 5; i++) capped.next('k', 0, 1);
    assert.equal(capped.get('k'), 30 * s);
    const tiny = new CrashLoopBackOff({ maxMs: 5 * s });
    tiny.next('k', 0, 0);
    assert.equal(tiny.get('k'), 5 * s);
    const fast = new CrashLoopBackOff({ initialMs: 1 * s, maxMs: 60 * s });
    fast.next('k', 0, 0);
    assert.equal(fast.get('k'), 1 * s);
  });

  test('§4.5: key is podName_namespace_podUID_containerName_<spec-hash hex>; a spec change gives a new key', () => {
    const p = withMeta(pod('web', { containers: [container('app')] }), { uid: '1234-uid' });
    const c = p.spec?.containers[0] ?? container('app');
    const key = backoffKey(p, c);
    assert.match(key, /^web_default_1234-uid_app_[0-9a-f]+$/);
    assert.notEqual(backoffKey(p, { ...c, args: ['--x'] }), key);
    assert.equal(backoffKey(p, { ...c }), key, 'the hash depends on content, not identity');
  });

  test('§4.5/§5: waiting message and BackOff event texts', () => {
    const p = withMeta(pod('web', { containers: [container('app')] }), { uid: 'u-1' });
    const c = container('app');
    assert.equal(
      backOffWaitingMessage(10 * s, c, p),
      'back-off 10s restarting failed container=app pod=web_default(u-1)',
    );
    assert.equal(
      backOffWaitingMessage(80 * s, c, p),
      'back-off 1m20s restarting failed container=app pod=web_default(u-1)',
    );
    assert.equal(
      backOffWaitingMessage(160 * s, c, p),
      'back-off 2m40s restarting failed container=app pod=web_default(u-1)',
    );
    assert.equal(
      backOffWaitingMessage(300 * s, c, p),
      'back-off 5m0s restarting failed container=app pod=web_default(u-1)',
    );
    assert.equal(
      backOffEventMessage(c, p),
      'Back-off restarting failed container app in pod web_default(u-1)',
    );
  });
});
