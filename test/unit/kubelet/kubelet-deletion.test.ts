import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fail } from './fakes.js';
import { container, harness, pod } from './harness.js';

describe('kubelet: graceful deletion (§2.7, §4.3)', () => {
  test('§2.7/A22/A23: liveness goes quiet, readiness keeps probing and flips NotReady, then the pod is removed', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.runtime.behave('app', { onTerm: { afterMs: 20_000, exitCode: 0 } });
    const p = await h.create(
      pod('web', {
        containers: [
          container('app', {
            readinessProbe: {
              exec: { command: ['cat', '/tmp/ready'] },
              periodSeconds: 2,
              failureThreshold: 1,
            },
            livenessProbe: {
              exec: { command: ['cat', '/tmp/liveness'] },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          }),
        ],
      }),
    );
    await h.advance(10_000);
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
    h.deleteGracefully('web');
    await h.advance(0);
    // The SIGTERM handler removes both files.
    h.handlers.set('cat /tmp/ready', fail('cat: /tmp/ready: No such file or directory\n'));
    h.handlers.set('cat /tmp/liveness', fail('cat: /tmp/liveness: No such file or directory\n'));
    const deletedAt = h.clock.now();
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Stopping container app'],
    );
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [30_000],
    );
    await h.advance(5_000);
    assert.equal(h.condition('web', 'Ready')?.status, 'False', 'readiness keeps probing during termination');
    assert.equal(h.cstatus('web').ready, false);
    assert.equal(h.get('web')?.status?.phase, 'Running');
    assert.ok(h.handlers.callsTo('cat /tmp/ready').some((c) => c.at > deletedAt));
    assert.ok(
      !h.handlers.callsTo('cat /tmp/liveness').some((c) => c.at > deletedAt),
      'no liveness probe after deletion',
    );
    await h.advance(15_000);
    assert.equal(h.get('web'), undefined, 'removed from the store once the container exited');
    assert.deepEqual(h.runtime.removedPods, [p.metadata.uid]);
    assert.ok(!h.recorder.events.some((e) => e.message.includes('failed liveness probe')));
    assert.equal(h.runtime.of('app').length, 1, 'nothing restarts during termination');
    assert.equal(h.kubelet.probeStats().workers, 0);
    assert.equal((h.clock.now() - t0) / 1000, 30);
  });

  test('§4.3: a deletion grace below 2 s is raised to 2 s', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'ignore' });
    await h.create(pod('web', { containers: [container('app')] }));
    h.deleteGracefully('web', 1);
    await h.advance(1_999);
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [2000],
    );
    assert.ok(h.get('web'));
    await h.advance(1);
    assert.equal(h.get('web'), undefined);
    assert.equal(h.runtime.latest('app').exit?.exitCode, 137);
  });

  test('§2.7: every container of a deleted pod is stopped concurrently', async () => {
    const h = harness();
    h.runtime.behave('a', { onTerm: 'ignore' });
    h.runtime.behave('b', { onTerm: 'ignore' });
    await h.create(
      pod('web', { terminationGracePeriodSeconds: 10, containers: [container('a'), container('b')] }),
    );
    h.deleteGracefully('web');
    await h.advance(0);
    assert.deepEqual(
      h.runtime.stops.map((s) => [s.container, s.graceMs]),
      [
        ['a', 10_000],
        ['b', 10_000],
      ],
    );
    await h.advance(10_000);
    assert.equal(h.get('web'), undefined);
  });

  test('§2.7: a pod removed outright (force) is stopped with the 2 s minimum and its sandbox released', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'ignore' });
    const p = await h.create(pod('web', { containers: [container('app')] }));
    h.store.delete('pods', 'default', 'web');
    await h.advance(0);
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Stopping container app'],
    );
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [2000],
    );
    await h.advance(2000);
    assert.deepEqual(h.runtime.removedPods, [p.metadata.uid]);
    assert.equal(h.kubelet.probeStats().pods, 0);
  });

  test('§2.7: a force delete during a graceful one cuts the grace short', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'ignore' });
    await h.create(pod('web', { containers: [container('app')] }));
    h.deleteGracefully('web', 30);
    await h.advance(5_000);
    h.store.delete('pods', 'default', 'web');
    await h.advance(2_000);
    assert.equal(h.runtime.latest('app').exit?.exitCode, 137);
    assert.deepEqual(
      h.runtime.stops.map((s) => s.graceMs),
      [30_000, 2000],
    );
    assert.equal(h.kubelet.probeStats().pods, 0);
  });

  test('§4.1: a container in CrashLoopBackOff is not restarted once the pod is being deleted', async () => {
    const h = harness();
    h.runtime.behave('app', { exitAfterMs: 0, exitCode: 1 });
    await h.create(pod('web', { containers: [container('app')] }));
    await h.advance(5_000);
    assert.equal(h.cstatus('web').state?.waiting?.reason, 'CrashLoopBackOff');
    h.deleteGracefully('web');
    await h.advance(60_000);
    assert.equal(h.get('web'), undefined);
    assert.equal(h.runtime.of('app').length, 2);
  });
});

describe('kubelet: admission and terminal pods', () => {
  test('DESIGN (one-node scheduler): an unbound pod gets spec.nodeName and PodScheduled; pods of other nodes are left alone', async () => {
    const h = harness();
    await h.create(pod('mine', { containers: [container('app')] }));
    await h.create(pod('theirs', { nodeName: 'node-2', containers: [container('other')] }));
    assert.equal(h.get('mine')?.spec?.nodeName, 'node-1');
    assert.equal(h.condition('mine', 'PodScheduled')?.status, 'True');
    assert.equal(h.runtime.of('other').length, 0);
    assert.equal(h.get('theirs')?.status, undefined);
  });

  test('§4.6: a finished pod keeps its status, stops its workers, and is removed at once when deleted', async () => {
    const h = harness();
    h.runtime.behave('job', { exitAfterMs: 3_000, exitCode: 0 });
    await h.create(
      pod('once', {
        restartPolicy: 'Never',
        containers: [container('job', { readinessProbe: { exec: { command: ['r'] }, periodSeconds: 1 } })],
      }),
    );
    await h.advance(3_000);
    assert.equal(h.get('once')?.status?.phase, 'Succeeded');
    assert.equal(h.condition('once', 'Ready')?.reason, 'PodCompleted');
    assert.equal(h.kubelet.probeStats().workers, 0);
    const rv = h.get('once')?.metadata.resourceVersion;
    await h.advance(60_000);
    assert.equal(h.get('once')?.metadata.resourceVersion, rv, 'no more status writes');
    h.deleteGracefully('once');
    await h.advance(0);
    assert.equal(h.get('once'), undefined);
    assert.deepEqual(h.recorder.withReason('Killing'), []);
  });

  test('§2.1: probeStats counts workers and probe runs', async () => {
    const h = harness();
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            readinessProbe: { exec: { command: ['r'] }, periodSeconds: 1 },
            livenessProbe: { exec: { command: ['l'] }, periodSeconds: 1 },
          }),
        ],
      }),
    );
    await h.advance(10_000);
    const stats = h.kubelet.probeStats();
    assert.equal(stats.workers, 2);
    assert.equal(stats.pods, 1);
    assert.equal(stats.probesRun, h.handlers.calls.length);
    assert.ok(stats.probesRun >= 20);
  });
});
