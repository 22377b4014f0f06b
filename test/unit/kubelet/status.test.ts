import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerStatus } from '../../../src/api/types.js';
import type { ContainerRecord, InstanceRecord } from '../../../src/kubelet/container-record.js';
import { buildPodStatus, containerStatus, podPhase } from '../../../src/kubelet/status.js';
import { podQosClass as qosClass } from '../../../src/api/qos.js';
import { container, pod, withStatus } from './harness.js';

const T0 = Date.UTC(2024, 5, 4, 10, 0, 0);

function inst(
  id: string,
  startedAt: number,
  exit?: { exitCode: number; at: number; reason?: string; message?: string },
): InstanceRecord {
  const i: InstanceRecord = {
    id,
    startedAt,
    specHash: '',
    env: {},
    workingDir: '/',
    exitRecorded: Promise.resolve(),
  };
  if (exit) {
    i.exit = {
      exitCode: exit.exitCode,
      reason: exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error'),
      finishedAt: exit.at,
    };
    if (exit.message) i.exit.message = exit.message;
  }
  return i;
}

function cs(record: ContainerRecord, shouldRestart = true, ready = false, started = false): ContainerStatus {
  return containerStatus({
    spec: container(record.name, { image: 'nginx:1.27' }),
    record,
    shouldRestart,
    ready,
    started,
  });
}

describe('container status (§4.4)', () => {
  test('§4.4: before the first start: waiting ContainerCreating, no containerID, lastState {}', () => {
    assert.deepEqual(cs({ name: 'app', restartCount: 0 }), {
      name: 'app',
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: 'nginx:1.27',
      imageID: '',
      started: false,
    });
  });

  test('§4.4: running instance with the previous instance as lastState.terminated', () => {
    const s = cs(
      {
        name: 'app',
        restartCount: 1,
        previous: inst('podvisor://a', T0, { exitCode: 137, at: T0 + 31_000 }),
        current: inst('podvisor://b', T0 + 31_500),
      },
      true,
      true,
      true,
    );
    assert.deepEqual(s.state, { running: { startedAt: '2024-06-04T10:00:31Z' } });
    assert.deepEqual(s.lastState, {
      terminated: {
        exitCode: 137,
        reason: 'Error',
        startedAt: '2024-06-04T10:00:00Z',
        finishedAt: '2024-06-04T10:00:31Z',
        containerID: 'podvisor://a',
      },
    });
    assert.equal(s.containerID, 'podvisor://b');
    assert.equal(s.restartCount, 1);
    assert.equal(s.ready, true);
    assert.equal(s.started, true);
    assert.equal('signal' in (s.lastState?.terminated ?? {}), false, 'signal stays 0 (omitted), §4.3');
  });

  test('§4.4/§9.9: in back-off the state is waiting CrashLoopBackOff and the terminated state moves to lastState', () => {
    const message = 'back-off 20s restarting failed container=app pod=web_default(u)';
    const s = cs({
      name: 'app',
      restartCount: 2,
      previous: inst('podvisor://a', T0, { exitCode: 1, at: T0 + 1000 }),
      current: inst('podvisor://b', T0 + 11_000, { exitCode: 1, at: T0 + 12_000, message: 'boom' }),
      waiting: { reason: 'CrashLoopBackOff', message },
    });
    assert.deepEqual(s.state, { waiting: { reason: 'CrashLoopBackOff', message } });
    assert.equal(s.lastState?.terminated?.containerID, 'podvisor://b');
    assert.equal(s.lastState?.terminated?.message, 'boom');
    assert.equal(s.containerID, 'podvisor://b');
  });

  test('§4.4: a container that will not restart shows its terminated state even with a reason cached', () => {
    const s = cs(
      {
        name: 'app',
        restartCount: 0,
        current: inst('podvisor://a', T0, { exitCode: 0, at: T0 + 5000 }),
        waiting: { reason: 'CrashLoopBackOff', message: 'x' },
      },
      false,
    );
    assert.equal(s.state?.terminated?.reason, 'Completed');
    assert.deepEqual(s.lastState, {});
  });

  test('§4.4: a config error before any instance is a waiting reason with its message', () => {
    const s = cs({
      name: 'app',
      restartCount: 0,
      waiting: { reason: 'CreateContainerConfigError', message: 'bad env' },
    });
    assert.deepEqual(s.state, { waiting: { reason: 'CreateContainerConfigError', message: 'bad env' } });
  });
});

describe('pod phase (§4.6)', () => {
  const running: ContainerStatus = {
    name: 'a',
    ready: true,
    restartCount: 0,
    image: '',
    imageID: '',
    state: { running: {} },
  };
  const done = (name: string, code: number): ContainerStatus => ({
    name,
    ready: false,
    restartCount: 0,
    image: '',
    imageID: '',
    state: { terminated: { exitCode: code } },
  });
  const creating: ContainerStatus = {
    name: 'b',
    ready: false,
    restartCount: 0,
    image: '',
    imageID: '',
    state: { waiting: { reason: 'ContainerCreating' } },
  };
  const crashloop: ContainerStatus = {
    name: 'a',
    ready: false,
    restartCount: 3,
    image: '',
    imageID: '',
    state: { waiting: { reason: 'CrashLoopBackOff' } },
    lastState: { terminated: { exitCode: 1 } },
  };
  const two = (policy: string) =>
    pod('p', { restartPolicy: policy, containers: [container('a'), container('b')] });
  const one = (policy: string) => pod('p', { restartPolicy: policy, containers: [container('a')] });

  test('§4.6: a never-started waiting container → Pending', () => {
    assert.equal(podPhase(two('Always'), [running, creating], false), 'Pending');
  });
  test('§4.6: any running, none unknown → Running', () => {
    assert.equal(podPhase(two('Never'), [running, done('b', 1)], false), 'Running');
  });
  test('§4.6: a missing status is unknown → Pending', () => {
    assert.equal(podPhase(two('Always'), [running], false), 'Pending');
  });
  test('§4.6: CrashLoopBackOff under Always counts as stopped → Running', () => {
    assert.equal(podPhase(one('Always'), [crashloop], false), 'Running');
  });
  test('§4.6: all stopped: Always → Running; all exit 0 → Succeeded; Never → Failed; OnFailure → Running', () => {
    assert.equal(podPhase(two('Always'), [done('a', 0), done('b', 1)], false), 'Running');
    assert.equal(podPhase(two('OnFailure'), [done('a', 0), done('b', 0)], false), 'Succeeded');
    assert.equal(podPhase(two('Never'), [done('a', 0), done('b', 0)], false), 'Succeeded');
    assert.equal(podPhase(two('Never'), [done('a', 0), done('b', 2)], false), 'Failed');
    assert.equal(podPhase(two('OnFailure'), [done('a', 0), done('b', 2)], false), 'Running');
  });
  test('§4.6: a terminal pod (deleted) ends Succeeded or Failed whatever the policy', () => {
    assert.equal(podPhase(two('Always'), [done('a', 0), done('b', 0)], true), 'Succeeded');
    assert.equal(podPhase(two('Always'), [done('a', 0), done('b', 143)], true), 'Failed');
  });
});

describe('pod status and conditions (§2.4, §4.6)', () => {
  const p = pod('web', { containers: [container('a'), container('b')] });
  const st = (name: string, ready: boolean): ContainerStatus => ({
    name,
    ready,
    restartCount: 0,
    image: '',
    imageID: '',
    started: true,
    state: { running: { startedAt: '2024-06-04T10:00:00Z' } },
  });

  test('§2.4: ContainersReady/Ready False with "containers with unready status: [a b]"', () => {
    const s = buildPodStatus({
      pod: p,
      previous: undefined,
      now: T0,
      containerStatuses: [st('a', false), st('b', false)],
      podIsTerminal: false,
      podIP: '127.0.1.1',
      sandboxReady: true,
    });
    const cond = Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c]));
    assert.deepEqual(
      (s.conditions ?? []).map((c) => c.type),
      ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
    );
    assert.equal(cond.ContainersReady?.message, 'containers with unready status: [a b]');
    assert.equal(cond.ContainersReady?.reason, 'ContainersNotReady');
    assert.equal(cond.Ready?.status, 'False');
    assert.equal(cond.Ready?.message, 'containers with unready status: [a b]');
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP, '127.0.1.1');
    assert.deepEqual(s.podIPs, [{ ip: '127.0.1.1' }]);
    assert.equal(s.hostIP, '127.0.0.1');
    assert.deepEqual(s.hostIPs, [{ ip: '127.0.0.1' }]);
    assert.equal(s.startTime, '2024-06-04T10:00:00Z');
    assert.equal(s.qosClass, 'BestEffort');
  });

  test('§2.4: missing statuses are listed as unknown, before the unready ones', () => {
    const s = buildPodStatus({
      pod: p,
      previous: undefined,
      now: T0,
      containerStatuses: [st('b', false)],
      podIsTerminal: false,
      podIP: undefined,
      sandboxReady: false,
    });
    const ready = s.conditions?.find((c) => c.type === 'ContainersReady');
    assert.equal(ready?.message, 'containers with unknown status: [a], containers with unready status: [b]');
    assert.equal(s.conditions?.[0]?.status, 'False', 'PodReadyToStartContainers False without a sandbox');
    assert.equal(s.podIP, undefined);
  });

  test('§2.4: lastTransitionTime changes only when a condition flips; startTime never changes', () => {
    const first = buildPodStatus({
      pod: p,
      previous: undefined,
      now: T0,
      containerStatuses: [st('a', false), st('b', true)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: true,
    });
    const later = buildPodStatus({
      pod: p,
      previous: first,
      now: T0 + 5000,
      containerStatuses: [st('a', false), st('b', false)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: true,
    });
    const ready = (s: typeof first) => s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready(later)?.lastTransitionTime, '2024-06-04T10:00:00Z', 'message changed, status did not');
    assert.equal(ready(later)?.message, 'containers with unready status: [a b]');
    const flipped = buildPodStatus({
      pod: p,
      previous: later,
      now: T0 + 9000,
      containerStatuses: [st('a', true), st('b', true)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: true,
    });
    assert.equal(ready(flipped)?.status, 'True');
    assert.equal(ready(flipped)?.lastTransitionTime, '2024-06-04T10:00:09Z');
    assert.equal(ready(flipped)?.message, undefined);
    assert.equal(flipped.startTime, '2024-06-04T10:00:00Z');
    assert.equal(
      flipped.conditions?.find((c) => c.type === 'Initialized')?.lastTransitionTime,
      '2024-06-04T10:00:00Z',
    );
  });

  test('§2.4: after success the reason is PodCompleted; Failed gives PodFailed; terminal phases stick', () => {
    const done = (code: number): ContainerStatus => ({
      name: 'a',
      ready: false,
      restartCount: 0,
      image: '',
      imageID: '',
      started: false,
      state: { terminated: { exitCode: code } },
    });
    const single = pod('job', { restartPolicy: 'Never', containers: [container('a')] });
    const ok = buildPodStatus({
      pod: single,
      previous: undefined,
      now: T0,
      containerStatuses: [done(0)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: false,
    });
    assert.equal(ok.phase, 'Succeeded');
    assert.equal(ok.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
    assert.equal(ok.conditions?.find((c) => c.type === 'Initialized')?.reason, 'PodCompleted');
    const bad = buildPodStatus({
      pod: single,
      previous: undefined,
      now: T0,
      containerStatuses: [done(1)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: false,
    });
    assert.equal(bad.phase, 'Failed');
    assert.equal(bad.conditions?.find((c) => c.type === 'ContainersReady')?.reason, 'PodFailed');
    const again = buildPodStatus({
      pod: single,
      previous: ok,
      now: T0,
      containerStatuses: [st('a', true)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: true,
    });
    assert.equal(again.phase, 'Succeeded', 'pods are not allowed to transition out of terminal phases');
  });

  test('§2.4: Ready also needs every readiness gate (ReadinessGatesNotReady)', () => {
    const gated = pod('g', {
      containers: [container('a')],
      readinessGates: [{ conditionType: 'example.com/lb' }],
    });
    const s1 = buildPodStatus({
      pod: gated,
      previous: undefined,
      now: T0,
      containerStatuses: [st('a', true)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: true,
    });
    const ready1 = s1.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready1?.reason, 'ReadinessGatesNotReady');
    assert.equal(
      ready1?.message,
      'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
    );
    const gatedTrue = withStatus(gated, { conditions: [{ type: 'example.com/lb', status: 'True' }] });
    const s2 = buildPodStatus({
      pod: gatedTrue,
      previous: s1,
      now: T0,
      containerStatuses: [st('a', true)],
      podIsTerminal: false,
      podIP: 'x',
      sandboxReady: true,
    });
    assert.equal(s2.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.ok(
      s2.conditions?.some((c) => c.type === 'example.com/lb'),
      'conditions the kubelet does not own are kept',
    );
  });

  test('QoS class: BestEffort / Burstable / Guaranteed', () => {
    assert.equal(qosClass(pod('a', { containers: [container('a')] })), 'BestEffort');
    assert.equal(
      qosClass(pod('a', { containers: [container('a', { resources: { requests: { cpu: '100m' } } })] })),
      'Burstable',
    );
    assert.equal(
      qosClass(
        pod('a', { containers: [container('a', { resources: { limits: { cpu: '1', memory: '1Gi' } } })] }),
      ),
      'Guaranteed',
    );
  });
});
