/**
 * `[sig-node] InitContainer [NodeConformance]` (upstream test/e2e/common/node/init_container.go,
 * catalogue §E) and the container lifecycle ordering checks (§H) that apply to processes, run
 * concurrently on one node. busybox `/bin/true`, `/bin/false` and the pause image become host
 * commands; the shared emptyDir of the H cases is the pod directory (every container's working
 * directory). Back-off is scaled as in the probing files (1 s doubling to 10 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Container, ContainerStatus, Pod } from '../../src/api/types.js';
import { epochSeconds, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import type { PodvisorNode } from '../helpers/podvisor-node.js';
import { POD_START_MS, startProbingNode, stopProbingNode, TEST_TIMEOUT_MS } from '../helpers/probe-pods.js';

const MARKER = newMarker('init');
let node: PodvisorNode;

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({
  name,
  image: 'busybox',
  command: shCommand(script, MARKER),
  ...extra,
});
const TRUE = 'true';
const FALSE = 'false';
const PAUSE = 'exec sleep 600';

function initStatus(pod: Pod, name: string): ContainerStatus | undefined {
  return pod.status?.initContainerStatuses?.find((c) => c.name === name);
}
function regularStatus(pod: Pod, name: string): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === name);
}
const condition = (pod: Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type);
const phaseIs = (phase: string) => (p: Pod) => p.status?.phase === phase;

before(async () => {
  node = await startProbingNode();
});

after(() => stopProbingNode(node, MARKER));

describe('[sig-node] InitContainer [NodeConformance]', { concurrency: true, timeout: 300_000 }, () => {
  test('E1 should invoke init containers on a RestartNever pod', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = uniqueName('e1');
    await node.createPod(
      markedPod(name, MARKER, {
        restartPolicy: 'Never',
        initContainers: [sh('init1', TRUE), sh('init2', TRUE)],
        containers: [sh('run1', TRUE)],
      }),
    );
    const pod = await node.waitForPod(name, phaseIs('Succeeded'), POD_START_MS);
    for (const n of ['init1', 'init2']) {
      const s = initStatus(pod, n);
      assert.equal(s?.state?.terminated?.reason, 'Completed', n);
      assert.equal(s?.ready, true, `${n} ready once completed`);
    }
    assert.equal(condition(pod, 'Initialized')?.status, 'True');
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });

  test('E2 should invoke init containers on a RestartAlways pod', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = uniqueName('e2');
    await node.createPod(
      markedPod(name, MARKER, {
        initContainers: [sh('init1', TRUE), sh('init2', TRUE)],
        containers: [sh('run1', PAUSE)],
      }),
    );
    const pod = await node.waitForPod(name, phaseIs('Running'), POD_START_MS);
    assert.equal(initStatus(pod, 'init1')?.state?.terminated?.exitCode, 0);
    assert.equal(initStatus(pod, 'init2')?.state?.terminated?.exitCode, 0);
    assert.ok(regularStatus(pod, 'run1')?.state?.running);
    assert.equal(condition(pod, 'Initialized')?.status, 'True');
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });

  test(
    'E3 should not start app containers if init containers fail on a RestartAlways pod',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('e3');
      await node.createPod(
        markedPod(name, MARKER, {
          initContainers: [sh('init1', FALSE), sh('init2', TRUE)],
          containers: [sh('run1', PAUSE)],
        }),
      );
      // Upstream waits for init1 to have restarted at least 3 times.
      const pod = await node.waitForPod(
        name,
        (p) => (initStatus(p, 'init1')?.restartCount ?? 0) >= 3,
        POD_START_MS,
      );
      assert.equal(pod.status?.phase, 'Pending');
      const initialized = condition(pod, 'Initialized');
      assert.equal(initialized?.status, 'False');
      assert.equal(initialized?.reason, 'ContainersNotInitialized');
      assert.equal(initialized?.message, 'containers with incomplete status: [init1 init2]');
      assert.deepEqual(initStatus(pod, 'init2')?.state, { waiting: { reason: 'PodInitializing' } });
      assert.deepEqual(regularStatus(pod, 'run1')?.state, { waiting: { reason: 'PodInitializing' } });
      const table = await node.runCli(['get', 'pods', name]);
      assert.equal(table.stderr, '');
      assert.match(table.stdout, /0\/1\s+Init:(CrashLoopBackOff|Error|0\/2)\s+\d/);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'E4 should not start app containers and fail the pod if init containers fail on a RestartNever pod',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('e4');
      await node.createPod(
        markedPod(name, MARKER, {
          restartPolicy: 'Never',
          initContainers: [sh('init1', TRUE), sh('init2', FALSE)],
          containers: [sh('run1', TRUE)],
        }),
      );
      const pod = await node.waitForPod(name, phaseIs('Failed'), POD_START_MS);
      assert.equal(initStatus(pod, 'init1')?.state?.terminated?.exitCode, 0);
      assert.equal(initStatus(pod, 'init2')?.state?.terminated?.exitCode, 1);
      assert.equal(initStatus(pod, 'init2')?.restartCount, 0);
      assert.deepEqual(regularStatus(pod, 'run1')?.state, { waiting: { reason: 'PodInitializing' } });
      assert.equal(condition(pod, 'Initialized')?.status, 'False');
      const table = await node.runCli(['get', 'pods', name]);
      assert.equal(table.stderr, '');
      assert.match(table.stdout, /0\/1\s+Init:Error\s+0/);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );
});

describe('[sig-node] Container lifecycle ordering (§H)', { concurrency: true, timeout: 300_000 }, () => {
  test(
    'H1 should launch init containers serially before a regular container',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('h1');
      await node.createPod(
        markedPod(name, MARKER, {
          restartPolicy: 'Never',
          initContainers: [
            sh('init-1', 'sleep 1; echo init-1 >> order.log'),
            sh('init-2', 'echo init-2 >> order.log'),
          ],
          containers: [
            sh(
              'regular-1',
              'echo regular-1 >> order.log; test "$(tr "\\n" " " < order.log)" = "init-1 init-2 regular-1 "',
            ),
          ],
        }),
      );
      const pod = await node.waitForPod(
        name,
        (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
        POD_START_MS,
      );
      assert.equal(
        pod.status?.phase,
        'Succeeded',
        'the regular container saw init-1, init-2, regular-1 in that order',
      );
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'H2 should launch a restartable init container before the next one, keep it running, and stop it after the regular container',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('h2');
      await node.createPod(
        markedPod(name, MARKER, {
          restartPolicy: 'Never',
          initContainers: [
            sh(
              'sidecar-1',
              "echo sidecar-1 >> order.log; trap 'sleep 1; exit 0' TERM; while true; do sleep 0.2; done",
              {
                restartPolicy: 'Always',
              },
            ),
            sh(
              'sidecar-2',
              "echo sidecar-2 >> order.log; trap 'sleep 2; exit 0' TERM; while true; do sleep 0.2; done",
              {
                restartPolicy: 'Always',
              },
            ),
          ],
          containers: [
            sh('regular-1', 'sleep 1; test "$(tr "\\n" " " < order.log)" = "sidecar-1 sidecar-2 "'),
          ],
        }),
      );
      const pod = await node.waitForPod(
        name,
        (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
        POD_START_MS,
      );
      assert.equal(pod.status?.phase, 'Succeeded', 'sidecars ran in order and kept running');
      const finished = (s: ContainerStatus | undefined): number =>
        epochSeconds(s?.state?.terminated?.finishedAt);
      const regular = finished(regularStatus(pod, 'regular-1'));
      const s1 = finished(initStatus(pod, 'sidecar-1'));
      const s2 = finished(initStatus(pod, 'sidecar-2'));
      assert.ok(s2 - regular >= 1, `sidecar-2 stopped after the regular container (${s2 - regular}s)`);
      assert.ok(s1 >= s2 + 1, `sidecar-1 stopped after sidecar-2 had exited (${s1 - s2}s)`);
      assert.equal(initStatus(pod, 'sidecar-1')?.restartCount, 0);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );
});
