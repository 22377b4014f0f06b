import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerStatus } from '../../../src/api/types.js';
import { summarizePod } from '../../../src/api/pod-summary.js';
import { fail, ok } from './fakes.js';
import { container, harness, pod, type Harness } from './harness.js';

const sidecar = (name: string, extra = {}) => container(name, { restartPolicy: 'Always', ...extra });

function initStatus(h: Harness, podName: string, name: string): ContainerStatus {
  const s = h.get(podName)?.status?.initContainerStatuses?.find((c) => c.name === name);
  if (!s) throw new Error(`no init status for ${name}`);
  return s;
}

function cells(h: Harness, podName: string): string {
  const pd = h.get(podName);
  if (!pd) throw new Error('no pod');
  const s = summarizePod(pd);
  return `${s.ready}/${s.total} ${s.status} ${s.restarts}`;
}

const started = (h: Harness): string[] => h.runtime.instances.map((i) => i.launch.containerName);

describe('kubelet: plain init containers (§4.7, §4.6, §6.3)', () => {
  test('§4.7: init containers run to completion in order before any regular container', async () => {
    const h = harness();
    h.runtime.behave('init-a', { exitAfterMs: 5_000, exitCode: 0 });
    h.runtime.behave('init-b', { exitAfterMs: 3_000, exitCode: 0 });
    await h.create(
      pod('web', {
        initContainers: [container('init-a'), container('init-b')],
        containers: [container('app')],
      }),
    );
    assert.deepEqual(started(h), ['init-a']);
    assert.equal(h.get('web')?.status?.phase, 'Pending');
    assert.deepEqual(h.cstatus('web', 'app').state, { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual(initStatus(h, 'web', 'init-b').state, { waiting: { reason: 'PodInitializing' } });
    const initialized = h.condition('web', 'Initialized');
    assert.equal(initialized?.status, 'False');
    assert.equal(initialized?.reason, 'ContainersNotInitialized');
    assert.equal(initialized?.message, 'containers with incomplete status: [init-a init-b]');
    assert.equal(cells(h, 'web'), '0/1 Init:0/2 0');
    assert.equal(
      h.recorder.events[1]?.involved.fieldPath,
      'spec.initContainers{init-a}',
      'events name the init container',
    );

    await h.advance(5_000);
    assert.deepEqual(started(h), ['init-a', 'init-b']);
    assert.equal(cells(h, 'web'), '0/1 Init:1/2 0');
    assert.equal(initStatus(h, 'web', 'init-a').state?.terminated?.reason, 'Completed');
    assert.equal(initStatus(h, 'web', 'init-a').ready, true, 'a completed init container is ready');

    await h.advance(3_000);
    assert.deepEqual(started(h), ['init-a', 'init-b', 'app']);
    assert.equal(h.get('web')?.status?.phase, 'Running');
    assert.equal(h.condition('web', 'Initialized')?.status, 'True');
    assert.equal(cells(h, 'web'), '1/1 Running 0');
    await h.advance(60_000);
    assert.equal(h.runtime.of('init-a').length, 1, 'completed init containers never run again');
  });

  for (const policy of ['Always', 'OnFailure'] as const) {
    test(`§4.7: a failed init container under ${policy} is restarted with CrashLoopBackOff; the app waits`, async () => {
      const h = harness();
      h.runtime.behave('init-a', { exitAfterMs: 1_000, exitCode: 1 });
      await h.create(
        pod('web', {
          restartPolicy: policy,
          initContainers: [container('init-a')],
          containers: [container('app')],
        }),
      );
      await h.advance(1_000); // exit #1 → restarted at once
      assert.equal(h.runtime.of('init-a').length, 2);
      await h.advance(1_000); // exit #2 → back-off 10 s
      assert.equal(initStatus(h, 'web', 'init-a').state?.waiting?.reason, 'CrashLoopBackOff');
      assert.equal(initStatus(h, 'web', 'init-a').lastState?.terminated?.exitCode, 1);
      assert.equal(h.get('web')?.status?.phase, 'Pending');
      assert.match(cells(h, 'web'), /^0\/1 Init:CrashLoopBackOff 1/);
      await h.advance(10_000);
      assert.equal(h.runtime.of('init-a').length, 3, 'restarted when the back-off expires');
      assert.equal(h.runtime.of('app').length, 0);
    });
  }

  test('§4.7/§4.6: a failed init container under Never fails the pod; the app never starts', async () => {
    const h = harness();
    h.runtime.behave('init-a', { exitAfterMs: 1_000, exitCode: 2 });
    await h.create(
      pod('web', {
        restartPolicy: 'Never',
        initContainers: [container('init-a'), container('init-b')],
        containers: [container('app')],
      }),
    );
    await h.advance(30_000);
    assert.deepEqual(started(h), ['init-a']);
    assert.equal(h.get('web')?.status?.phase, 'Failed');
    assert.equal(initStatus(h, 'web', 'init-a').state?.terminated?.exitCode, 2);
    assert.equal(cells(h, 'web'), '0/1 Init:Error 0');
  });
});

describe('kubelet: sidecars (restartable init containers, §4.7)', () => {
  test('§4.7: the next init container starts only once the sidecar is started (startup probe)', async () => {
    const h = harness();
    h.handlers.set('check proxy', fail('not yet'));
    await h.create(
      pod('web', {
        initContainers: [
          sidecar('proxy', {
            startupProbe: { exec: { command: ['check', 'proxy'] }, periodSeconds: 1, failureThreshold: 30 },
          }),
        ],
        containers: [container('app')],
      }),
    );
    await h.advance(5_000);
    assert.deepEqual(started(h), ['proxy']);
    assert.equal(initStatus(h, 'web', 'proxy').started, false);
    assert.equal(h.condition('web', 'Initialized')?.message, 'containers with incomplete status: [proxy]');
    assert.equal(h.get('web')?.status?.phase, 'Pending');
    assert.equal(cells(h, 'web'), '0/2 Init:0/1 0');
    h.handlers.set('check proxy', ok);
    await h.advance(1_000);
    assert.deepEqual(started(h), ['proxy', 'app']);
    assert.equal(initStatus(h, 'web', 'proxy').started, true);
    assert.equal(h.get('web')?.status?.phase, 'Running');
    assert.equal(cells(h, 'web'), '2/2 Running 0', 'the sidecar counts in READY');
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
  });

  test('§4.7: a sidecar is restarted whatever the pod policy (Never) and keeps running with the app', async () => {
    const h = harness();
    h.runtime.behave('proxy', { exitAfterMs: 2_000, exitCode: 1 });
    await h.create(
      pod('web', {
        restartPolicy: 'Never',
        initContainers: [sidecar('proxy')],
        containers: [container('app')],
      }),
    );
    assert.deepEqual(started(h), ['proxy', 'app']);
    h.runtime.behave('proxy', {});
    await h.advance(2_000);
    assert.equal(h.runtime.of('proxy').length, 2);
    assert.equal(initStatus(h, 'web', 'proxy').restartCount, 1);
    assert.equal(h.runtime.of('app').length, 1);
    assert.equal(h.get('web')?.status?.phase, 'Running');
    assert.equal(cells(h, 'web'), '2/2 Running 1');
  });

  test('§4.7: sidecar liveness failure → "Init container <name> failed liveness probe" (no suffix), restarted', async () => {
    const h = harness();
    await h.create(
      pod('web', {
        restartPolicy: 'Never',
        initContainers: [
          sidecar('proxy', {
            livenessProbe: { httpGet: { path: '/proxy', port: 9000 }, periodSeconds: 2, failureThreshold: 2 },
          }),
        ],
        containers: [container('app')],
      }),
    );
    h.handlers.set('/proxy', fail());
    await h.advance(6_000);
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Init container proxy failed liveness probe'],
    );
    assert.equal(h.recorder.withReason('Killing')[0]?.involved.fieldPath, 'spec.initContainers{proxy}');
    assert.equal(h.runtime.of('proxy').length, 2);
    assert.equal(h.runtime.of('app').length, 1);
  });

  test('§4.7: readiness of a sidecar feeds ContainersReady and READY', async () => {
    const h = harness();
    h.handlers.set('/ready', fail());
    await h.create(
      pod('web', {
        initContainers: [sidecar('proxy', { readinessProbe: { httpGet: { path: '/ready', port: 9000 } } })],
        containers: [container('app')],
      }),
    );
    await h.advance(1_000);
    assert.equal(h.condition('web', 'ContainersReady')?.message, 'containers with unready status: [proxy]');
    assert.equal(cells(h, 'web'), '1/2 Running 0');
    h.handlers.set('/ready', ok);
    await h.advance(10_000);
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
    assert.equal(cells(h, 'web'), '2/2 Running 0');
  });

  test('§4.7: at deletion regular containers stop first, then sidecars in reverse order', async () => {
    const h = harness();
    h.runtime.behave('app', { onTerm: { afterMs: 3_000, exitCode: 0 } });
    await h.create(
      pod('web', {
        initContainers: [sidecar('s1'), sidecar('s2')],
        containers: [container('app')],
      }),
    );
    assert.deepEqual(started(h), ['s1', 's2', 'app']);
    const t0 = h.clock.now();
    h.deleteGracefully('web');
    await h.advance(0);
    assert.deepEqual(
      h.recorder
        .withReason('Killing')
        .map((e) => `${e.message}@${(e.at - t0) / 1000}`)
        .sort(),
      ['Stopping container app@0', 'Stopping container s1@0', 'Stopping container s2@0'],
      'every Killing event at once',
    );
    await h.advance(5_000);
    assert.deepEqual(
      h.runtime.stops.map((s) => `${s.container}@${(s.at - t0) / 1000}`),
      ['app@0', 's2@3', 's1@3'],
    );
    assert.equal(h.get('web'), undefined, 'the pod is gone once all stopped');
  });

  test('§4.7: under Never, when the app completes the sidecars are stopped and the pod Succeeds', async () => {
    const h = harness();
    h.runtime.behave('app', { exitAfterMs: 4_000, exitCode: 0 });
    await h.create(
      pod('job', {
        restartPolicy: 'Never',
        initContainers: [container('setup'), sidecar('proxy')],
        containers: [container('app')],
      }),
    );
    h.runtime.latest('setup').finish(0);
    await h.advance(0);
    assert.deepEqual(started(h), ['setup', 'proxy', 'app']);
    await h.advance(4_000);
    assert.deepEqual(
      h.recorder.withReason('Killing').map((e) => e.message),
      ['Stopping container proxy'],
    );
    assert.equal(h.runtime.of('proxy').length, 1, 'not restarted');
    assert.equal(h.get('job')?.status?.phase, 'Succeeded');
    assert.equal(h.condition('job', 'Initialized')?.reason, 'PodCompleted');
    assert.equal(cells(h, 'job'), '0/2 Completed 0');
  });
});

describe('kubelet: init containers after a podvisor restart (DESIGN §6)', () => {
  test('§4.7: a new sandbox runs initialization again from the first init container; restart counts carry on', async () => {
    const h = harness();
    const term = (exitCode: number, id: string) => ({
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt: '2024-06-04T09:00:00Z',
        finishedAt: '2024-06-04T09:00:01Z',
        containerID: id,
      },
    });
    const base = { ready: false, image: 'busybox', imageID: '' };
    const p = pod('web', {
      nodeName: 'node-1',
      initContainers: [container('setup'), sidecar('proxy')],
      containers: [container('app')],
    });
    await h.create({
      ...p,
      status: {
        phase: 'Running',
        initContainerStatuses: [
          {
            ...base,
            name: 'setup',
            restartCount: 0,
            containerID: 'podvisor://s',
            state: term(0, 'podvisor://s'),
          },
          {
            ...base,
            name: 'proxy',
            restartCount: 2,
            containerID: 'podvisor://p',
            state: { running: { startedAt: '2024-06-04T09:00:02Z' } },
          },
        ],
        containerStatuses: [
          {
            ...base,
            name: 'app',
            restartCount: 0,
            containerID: 'podvisor://a',
            state: { running: { startedAt: '2024-06-04T09:00:03Z' } },
          },
        ],
      },
    });
    assert.deepEqual(started(h), ['setup'], 'initialization starts over');
    assert.equal(h.get('web')?.status?.phase, 'Pending');
    h.runtime.latest('setup').finish(0);
    await h.advance(0);
    assert.deepEqual(started(h), ['setup', 'proxy', 'app']);
    assert.equal(initStatus(h, 'web', 'setup').restartCount, 1);
    assert.equal(initStatus(h, 'web', 'proxy').restartCount, 3);
    assert.equal(h.cstatus('web', 'app').restartCount, 1);
    assert.equal(h.get('web')?.status?.phase, 'Running');
  });
});
