import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatRestarts,
  printPodsTable,
  podTableRow,
  summarizePod,
} from '../../../src/cli/printers/pods-table.js';
import { container, iso, NOW, pod, running, terminated, waiting } from './fixtures.js';

const status = (p: Parameters<typeof summarizePod>[0]): string => summarizePod(p).status;

describe('§6.3 READY', () => {
  test('§6.3 READY counts containers that are ready and running', () => {
    const p = pod(
      'web',
      [container('a'), container('b'), container('c')],
      [running('a', true), running('b', false), waiting('c', 'ContainerCreating')],
    );
    const s = summarizePod(p);
    assert.equal(`${s.ready}/${s.total}`, '1/3');
  });

  test('§6.3 READY: a ready status without a running state does not count', () => {
    const p = pod('web', [container('a')], [{ ...terminated('a', 0, 'Completed'), ready: true }]);
    assert.equal(summarizePod(p).ready, 0);
  });

  test('§6.3 READY: sidecars (restartable init containers) are in the total and count when started and ready', () => {
    const p = pod('web', [container('app')], [running('app', true)], {
      spec: {
        containers: [container('app')],
        initContainers: [container('proxy', { restartPolicy: 'Always' })],
      },
    });
    p.status = { ...p.status, initContainerStatuses: [running('proxy', true)] };
    const s = summarizePod(p);
    assert.equal(`${s.ready}/${s.total}`, '2/2');
    assert.equal(s.status, 'Running');
  });
});

describe('§6.3 STATUS', () => {
  test('§6.3 STATUS: a waiting reason wins over the phase (CrashLoopBackOff, ContainerCreating)', () => {
    assert.equal(
      status(pod('web', [container('a')], [waiting('a', 'CrashLoopBackOff')])),
      'CrashLoopBackOff',
    );
    const pending = pod('web', [container('a')], [waiting('a', 'ContainerCreating')]);
    pending.status = { ...pending.status, phase: 'Pending' };
    assert.equal(status(pending), 'ContainerCreating');
  });

  test('§6.3 STATUS: terminated reasons Completed and Error; ExitCode:n / Signal:n when the reason is empty', () => {
    const done = pod('job', [container('a')], [terminated('a', 0, 'Completed')]);
    done.status = { ...done.status, phase: 'Succeeded' };
    assert.equal(status(done), 'Completed');
    assert.equal(status(pod('job', [container('a')], [terminated('a', 1, 'Error')])), 'Error');
    assert.equal(status(pod('job', [container('a')], [terminated('a', 3, undefined)])), 'ExitCode:3');
    const signalled = terminated('a', 137, undefined);
    signalled.state!.terminated!.signal = 9;
    assert.equal(status(pod('job', [container('a')], [signalled])), 'Signal:9');
  });

  test('§6.3 STATUS: the lowest-index container with something to report wins', () => {
    const p = pod(
      'web',
      [container('a'), container('b'), container('c')],
      [running('a', true), waiting('b', 'CrashLoopBackOff'), terminated('c', 1, 'Error')],
    );
    assert.equal(status(p), 'CrashLoopBackOff');
    const q = pod(
      'web',
      [container('a'), container('b')],
      [terminated('a', 1, 'Error'), waiting('b', 'CrashLoopBackOff')],
    );
    assert.equal(status(q), 'Error');
  });

  test('§6.3 STATUS: Completed with a container still running shows Running (Ready) or NotReady', () => {
    const p = pod(
      'web',
      [container('a'), container('b')],
      [running('a', true), terminated('b', 0, 'Completed')],
    );
    assert.equal(status(p), 'NotReady');
    p.status = { ...p.status, conditions: [{ type: 'Ready', status: 'True' }] };
    assert.equal(status(p), 'Running');
  });

  test('§6.3 STATUS: a deleted pod shows Terminating, unless its phase is terminal', () => {
    const p = pod('web', [container('a')], [running('a', true)]);
    p.metadata = { ...p.metadata, deletionTimestamp: iso(1) };
    assert.equal(status(p), 'Terminating');
    p.status = { ...p.status, phase: 'Succeeded', containerStatuses: [terminated('a', 0, 'Completed')] };
    assert.equal(status(p), 'Completed');
  });

  test('§6.3 STATUS: init containers — Init:i/n, Init:<waiting reason>, Init:<terminated reason>, Init:ExitCode:n', () => {
    const base = (initStatus: ReturnType<typeof running>): string => {
      const p = pod('web', [container('app')], [waiting('app', 'PodInitializing')], {
        spec: { containers: [container('app')], initContainers: [container('init')] },
      });
      p.status = {
        phase: 'Pending',
        initContainerStatuses: [initStatus],
        containerStatuses: [waiting('app', 'PodInitializing')],
      };
      return status(p);
    };
    assert.equal(base(running('init', false)), 'Init:0/1');
    assert.equal(base(waiting('init', 'CrashLoopBackOff')), 'Init:CrashLoopBackOff');
    assert.equal(base(waiting('init', 'PodInitializing')), 'Init:0/1');
    assert.equal(base(terminated('init', 1, 'Error')), 'Init:Error');
    assert.equal(base(terminated('init', 2, undefined)), 'Init:ExitCode:2');
    assert.equal(base(terminated('init', 0, 'Completed')), 'PodInitializing');
  });

  test('§6.3 STATUS: status.reason (e.g. Evicted) replaces the phase', () => {
    const p = pod('web', [container('a')], []);
    p.status = { phase: 'Failed', reason: 'Evicted' };
    assert.equal(status(p), 'Evicted');
  });
});

describe('§6.3 RESTARTS and AGE', () => {
  test('§6.3 RESTARTS: `5 (32s ago)` from the newest lastState.terminated.finishedAt', () => {
    const p = pod(
      'web',
      [container('a'), container('b')],
      [
        running('a', true, {
          restartCount: 3,
          lastState: { terminated: { exitCode: 137, finishedAt: iso(32) } },
        }),
        running('b', true, {
          restartCount: 2,
          lastState: { terminated: { exitCode: 1, finishedAt: iso(300) } },
        }),
      ],
    );
    assert.equal(formatRestarts(summarizePod(p), NOW), '5 (32s ago)');
  });

  test('§6.3 RESTARTS: 12 (4m40s ago) uses HumanDuration; without lastState just the count', () => {
    const p = pod(
      'web',
      [container('a')],
      [
        running('a', true, {
          restartCount: 12,
          lastState: { terminated: { exitCode: 1, finishedAt: iso(280) } },
        }),
      ],
    );
    assert.equal(formatRestarts(summarizePod(p), NOW), '12 (4m40s ago)');
    const q = pod('web', [container('a')], [running('a', true, { restartCount: 2 })]);
    assert.equal(formatRestarts(summarizePod(q), NOW), '2');
    const r = pod('web', [container('a')], [running('a', true)]);
    assert.equal(formatRestarts(summarizePod(r), NOW), '0');
  });

  test('§6.3 AGE is HumanDuration since creationTimestamp (§6.4)', () => {
    const p = pod('web', [container('a')], [running('a', true)]);
    p.metadata = { ...p.metadata, creationTimestamp: iso(163) };
    assert.equal(podTableRow(p, NOW)[4], '2m43s');
    p.metadata = { ...p.metadata, creationTimestamp: undefined };
    assert.equal(podTableRow(p, NOW)[4], '<unknown>');
  });
});

describe('§6.3 the table', () => {
  const pods = [
    pod(
      'web',
      [container('a')],
      [
        running('a', true, {
          restartCount: 5,
          lastState: { terminated: { exitCode: 137, finishedAt: iso(32) } },
        }),
      ],
    ),
    pod(
      'crasher-with-a-long-name',
      [container('a')],
      [waiting('a', 'CrashLoopBackOff', { restartCount: 1 })],
    ),
  ];

  test('§6.3 columns NAME READY STATUS RESTARTS AGE, aligned by kubectl get tabwriter (padding 3)', () => {
    assert.equal(
      printPodsTable(pods, NOW),
      'NAME                       READY   STATUS             RESTARTS      AGE\n' +
        'web                        1/1     Running            5 (32s ago)   60s\n' +
        'crasher-with-a-long-name   0/1     CrashLoopBackOff   1             60s\n',
    );
  });

  test('§6.3 -o wide adds IP NODE NOMINATED NODE READINESS GATES with <none>; -A puts NAMESPACE first', () => {
    const p = pod('web', [container('a')], [running('a', true)]);
    p.status = { ...p.status, podIP: '127.77.0.2', podIPs: [{ ip: '127.77.0.2' }] };
    assert.equal(
      printPodsTable([p], NOW, { wide: true, withNamespace: true }),
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP           NODE   NOMINATED NODE   READINESS GATES\n' +
        'default     web    1/1     Running   0          60s   127.77.0.2   box    <none>           <none>\n',
    );
  });
});
