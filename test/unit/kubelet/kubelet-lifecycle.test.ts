import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredPod } from '../../../src/kubelet/types.js';
import { ContainerStartError } from '../../../src/runtime/types.js';
import { container, harness, pod, withStatus } from './harness.js';

describe('kubelet: starting containers (§4.4, §5)', () => {
  test('§5: binding, then Created "Created container: <name>" and Started "Started container <name>" per container in spec order', async () => {
    const h = harness();
    const p = await h.create(pod('web', { containers: [container('app'), container('proxy')] }));
    assert.deepEqual(h.recorder.lines(), [
      'Scheduled: Successfully assigned default/web to node-1',
      'Created: Created container: app',
      'Started: Started container app',
      'Created: Created container: proxy',
      'Started: Started container proxy',
    ]);
    assert.deepEqual(h.recorder.events[1]?.involved, {
      kind: 'Pod',
      apiVersion: 'v1',
      name: 'web',
      namespace: 'default',
      uid: p.metadata.uid,
      fieldPath: 'spec.containers{app}',
    });
    assert.equal(h.get('web')?.spec?.nodeName, 'node-1');
    assert.deepEqual(
      h.runtime.instances.map((i) => [
        i.launch.containerName,
        i.launch.attempt,
        i.launch.argv.join(' '),
        i.launch.workingDir,
      ]),
      [
        ['app', 0, '/bin/app', `/tmp/pods/${p.metadata.uid}`],
        ['proxy', 0, '/bin/proxy', `/tmp/pods/${p.metadata.uid}`],
      ],
    );
  });

  test('§4.4/§4.6: a running container without probes is started and ready; the pod is Running and Ready', async () => {
    const h = harness();
    await h.create(
      pod('web', {
        containers: [container('app', { env: [{ name: 'MODE', value: 'x' }], args: ['$(MODE)'] })],
      }),
    );
    const s = h.cstatus('web');
    const inst = h.runtime.latest('app');
    assert.deepEqual(s.state, { running: { startedAt: '2024-06-04T10:00:00Z' } });
    assert.equal(s.containerID, inst.id);
    assert.equal(s.ready, true);
    assert.equal(s.started, true);
    assert.equal(s.restartCount, 0);
    assert.equal(h.get('web')?.status?.phase, 'Running');
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
    assert.equal(h.condition('web', 'PodReadyToStartContainers')?.status, 'True');
    assert.deepEqual(inst.launch.argv, ['/bin/app', 'x'], '$(VAR) in args expanded from env');
    assert.equal(inst.launch.env.MODE, 'x');
    assert.equal(inst.launch.env.PATH, '/bin');
  });

  test('§4.4: FallbackToLogsOnError puts the log tail into the terminated message on a non-zero exit', async () => {
    const h = harness();
    h.runtime.behave('app', { exitAfterMs: 5000, exitCode: 3, log: 'panic: boom\n' });
    await h.create(
      pod('job', {
        restartPolicy: 'Never',
        containers: [container('app', { terminationMessagePolicy: 'FallbackToLogsOnError' })],
      }),
    );
    await h.advance(5000);
    assert.equal(h.cstatus('job').state?.terminated?.message, 'panic: boom\n');
    assert.equal(h.cstatus('job').state?.terminated?.exitCode, 3);
    assert.equal(h.cstatus('job').state?.terminated?.reason, 'Error');
  });
});

describe('kubelet: restartPolicy on exit (§4.1, §4.6)', () => {
  for (const [policy, code, restarts, phase] of [
    ['Always', 0, true, 'Running'],
    ['Always', 1, true, 'Running'],
    ['OnFailure', 0, false, 'Succeeded'],
    ['OnFailure', 1, true, 'Running'],
    ['Never', 0, false, 'Succeeded'],
    ['Never', 1, false, 'Failed'],
  ] as const) {
    test(`§4.1: exit ${code} under ${policy} → ${restarts ? 'restarted' : 'not restarted'}, phase ${phase}`, async () => {
      const h = harness();
      h.runtime.behave('app', { exitAfterMs: 60_000, exitCode: code });
      await h.create(
        pod('p', {
          restartPolicy: policy,
          containers: [container('app', { readinessProbe: { exec: { command: ['ready'] } } })],
        }),
      );
      await h.advance(60_000);
      assert.equal(h.runtime.of('app').length, restarts ? 2 : 1);
      assert.equal(h.get('p')?.status?.phase, phase);
      if (restarts) {
        assert.equal(h.cstatus('p').restartCount, 1, 'restartCount goes up when the new instance starts');
        assert.equal(h.cstatus('p').lastState?.terminated?.exitCode, code);
      } else {
        assert.equal(h.cstatus('p').state?.terminated?.exitCode, code);
        assert.equal(h.cstatus('p').state?.terminated?.reason, code === 0 ? 'Completed' : 'Error');
        assert.equal(h.condition('p', 'PodReadyToStartContainers')?.status, 'False');
        assert.equal(h.kubelet.probeStats().workers, 0, 'probe workers of a terminal pod stop');
      }
    });
  }
});

describe('kubelet: CrashLoopBackOff (§4.5, §8.B)', () => {
  test('§8.B: exit 1 at once under Always: restarts at 0, +10, +20, +40, +80, +160, +300, +300 s after each exit, exactly at expiry', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.runtime.behave('app', { exitAfterMs: 0, exitCode: 1 });
    const p = await h.create(pod('web', { containers: [container('app')] }));
    const uid = p.metadata.uid;
    const messages: string[] = [];
    for (let i = 0; i < 95; i++) {
      const msg = h.cstatus('web').state?.waiting?.message;
      if (msg && messages[messages.length - 1] !== msg) messages.push(msg);
      await h.advance(10_000);
    }
    const starts = h.runtime.of('app').map((i) => (i.startedAt - t0) / 1000);
    assert.deepEqual(starts.slice(0, 9), [0, 0, 10, 30, 70, 150, 310, 610, 910]);
    assert.deepEqual(
      messages.map((m) => m.replace(` pod=web_default(${uid})`, '')),
      [
        'back-off 10s restarting failed container=app',
        'back-off 20s restarting failed container=app',
        'back-off 40s restarting failed container=app',
        'back-off 1m20s restarting failed container=app',
        'back-off 2m40s restarting failed container=app',
        'back-off 5m0s restarting failed container=app',
      ],
    );
    assert.equal(messages[0], `back-off 10s restarting failed container=app pod=web_default(${uid})`);
    // One BackOff event when the start is first blocked, then one per 10 s of waiting.
    const backoffs = h.recorder.withReason('BackOff').filter((e) => e.at - t0 < 910_000);
    assert.equal(backoffs.length, 1 + 2 + 4 + 8 + 16 + 30 + 30);
    assert.equal(backoffs[0]?.message, `Back-off restarting failed container app in pod web_default(${uid})`);
    assert.equal(backoffs[0]?.type, 'Warning');
    assert.equal(h.get('web')?.status?.phase, 'Running', '§9.9: phase stays Running under Always');
    assert.equal(h.cstatus('web').state?.waiting?.reason, 'CrashLoopBackOff');
  });

  test('§4.5: the back-off resets only after an instance ran more than 10 minutes', async () => {
    const h = harness();
    const t0 = h.clock.now();
    h.runtime.behave('app', { exitAfterMs: 0, exitCode: 1 });
    await h.create(pod('web', { containers: [container('app')] }));
    await h.advance(35_000); // starts at 0, 0, 10, 30
    h.runtime.behave('app', { exitAfterMs: 601_000, exitCode: 1 });
    await h.advance(40_000); // start at 70 (40 s back-off) runs 601 s
    h.runtime.behave('app', { exitAfterMs: 0, exitCode: 1 });
    await h.advance(601_000); // exits at 671 → immediate restart; then exits → 10 s
    await h.advance(10_000);
    const starts = h.runtime.of('app').map((i) => (i.startedAt - t0) / 1000);
    assert.deepEqual(starts, [0, 0, 10, 30, 70, 671, 681]);
  });

  test('§4.4/§4.5: a failed start: Created, Failed "Error: <msg>", waiting RunContainerError, StartError (128) in lastState, then back-off like a crash', async () => {
    const h = harness();
    h.runtime.behave('app', {
      startError: new ContainerStartError(
        'RunContainerError',
        'exec: "/bin/app": stat /bin/app: no such file or directory',
      ),
    });
    const waitingSeen: string[] = [];
    h.store.watch<StoredPod>('pods', {}, (ev) => {
      const reason = ev.object.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason && waitingSeen.at(-1) !== reason) waitingSeen.push(reason);
    });
    await h.create(pod('web', { containers: [container('app')] }));
    // The exited StartError instance is the back-off's event, as a crash's exit is: the first
    // retry is immediate and fails too, then CrashLoopBackOff holds the next one for 10 s.
    const s = h.cstatus('web');
    assert.equal(s.restartCount, 1);
    assert.equal(s.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.match(
      s.state?.waiting?.message ?? '',
      /^back-off 10s restarting failed container=app pod=web_default\(/,
    );
    assert.equal(s.lastState?.terminated?.exitCode, 128);
    assert.equal(s.lastState?.terminated?.reason, 'StartError');
    assert.equal(
      s.lastState?.terminated?.message,
      'exec: "/bin/app": stat /bin/app: no such file or directory',
    );
    assert.equal(s.lastState?.terminated?.startedAt, '1970-01-01T00:00:00Z');
    assert.deepEqual(waitingSeen, ['ContainerCreating', 'RunContainerError', 'CrashLoopBackOff']);
    assert.deepEqual(h.recorder.lines().slice(1, 5), [
      'Created: Created container: app',
      'Failed: Error: exec: "/bin/app": stat /bin/app: no such file or directory',
      'Created: Created container: app',
      'Failed: Error: exec: "/bin/app": stat /bin/app: no such file or directory',
    ]);
    assert.equal(h.recorder.withReason('Failed')[0]?.type, 'Warning');
    assert.equal(h.recorder.withReason('BackOff').length, 1);
    await h.advance(9_999);
    assert.equal(h.cstatus('web').restartCount, 1, 'held back for the whole 10 s');
    await h.advance(1);
    assert.equal(h.cstatus('web').restartCount, 2, 'retried exactly when the back-off expired');
    assert.match(h.cstatus('web').state?.waiting?.message ?? '', /^back-off 20s /);
    await h.advance(19_999);
    assert.equal(h.cstatus('web').restartCount, 2);
    await h.advance(1);
    assert.equal(h.cstatus('web').restartCount, 3);
  });

  test('§4.4: env errors → waiting CreateContainerConfigError, Failed event, retried every 10 s without restarts', async () => {
    const h = harness();
    await h.create(
      pod('web', {
        containers: [
          container('app', {
            env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          }),
        ],
      }),
    );
    const s = h.cstatus('web');
    assert.equal(s.state?.waiting?.reason, 'CreateContainerConfigError');
    // makeEnvironmentVariables: the secret manager's NotFound error, as the kubelet reports it.
    assert.equal(s.state?.waiting?.message, 'secret "s" not found');
    assert.equal(h.get('web')?.status?.phase, 'Pending');
    await h.advance(30_000);
    assert.equal(h.recorder.withReason('Failed').length, 4);
    assert.equal(h.recorder.withReason('Failed')[0]?.message, 'Error: secret "s" not found');
    assert.equal(h.runtime.instances.length, 0);
    assert.equal(h.cstatus('web').restartCount, 0);
  });
});

describe('kubelet: restart and shutdown of podvisor', () => {
  test('DESIGN §6: a pod admitted again after a restart keeps its restartCount; the lost instance is ContainerStatusUnknown', async () => {
    const h = harness();
    const p = pod('web', { nodeName: 'node-1', containers: [container('app')] });
    const restored = withStatus(p, {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 4,
          image: 'busybox',
          imageID: '',
          containerID: 'podvisor://old',
          state: { running: { startedAt: '2024-06-04T09:00:00Z' } },
        },
      ],
    });
    await h.create(restored);
    const s = h.cstatus('web');
    assert.equal(s.restartCount, 5);
    assert.equal(h.runtime.latest('app').launch.attempt, 5);
    assert.deepEqual(s.lastState?.terminated, {
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: 'The container could not be located when the pod was terminated',
      startedAt: '2024-06-04T09:00:00Z',
      finishedAt: '2024-06-04T10:00:00Z',
      containerID: 'podvisor://old',
    });
  });

  test('stop(graceMs): every container stops concurrently with its pod grace, capped; pods stay in the store', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: 'ignore' });
    h.runtime.behave('side', { onTerm: 'ignore' });
    await h.create(pod('a', { terminationGracePeriodSeconds: 5, containers: [container('app')] }));
    await h.create(pod('b', { terminationGracePeriodSeconds: 60, containers: [container('side')] }));
    const t = h.clock.now();
    const done = h.kubelet.stop(20_000);
    await h.advance(20_000);
    await done;
    assert.deepEqual(
      h.runtime.stops.map((s) => [s.container, s.graceMs, s.at - t]),
      [
        ['app', 5000, 0],
        ['side', 20_000, 0],
      ],
    );
    assert.ok(h.get('a') && h.get('b'));
    assert.equal(h.cstatus('b').state?.terminated?.exitCode, 137);
    assert.equal(h.runtime.of('app').length, 1, 'nothing restarts during shutdown');
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Stopping container app', 'Stopping container side'],
    );
  });
});
