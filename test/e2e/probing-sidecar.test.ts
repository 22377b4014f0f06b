/**
 * `[sig-node] Probing restartable init container` (upstream container_probe.go, catalogue §B): the
 * sidecar variants of the A scenarios that apply to processes. The probed container is
 * initContainers[0] with `restartPolicy: Always`; the pod's regular container is a pause process.
 * Time scale and local adaptations as in test/helpers/probe-pods.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Container, ContainerStatus, Pod } from '../../src/api/types.js';
import {
  epochSeconds,
  freePort,
  isPodRunningReady,
  markedPod,
  newMarker,
  POD_IP_ENV,
  appCommand,
  shCommand,
  uniqueName,
} from '../helpers/e2e-pods.js';
import type { PodvisorNode } from '../helpers/podvisor-node.js';
import {
  EVENT_TIMEOUT_MS,
  exec,
  OBSERVATION_MS,
  PERIOD,
  POD_START_MS,
  PROBE_INITIAL_DELAY,
  READINESS_FAIL_WINDOW_MS,
  TEST_TIMEOUT_MS,
  startProbingNode,
  stopProbingNode,
} from '../helpers/probe-pods.js';
import { expectNeverReady, expectNoRestartsFor, waitForPodEvent } from '../helpers/probe-scenarios.js';

const MARKER = newMarker('sidecar');
let node: PodvisorNode;

/** A pod whose sidecar (initContainers[0]) is the probed container; `main` is a pause process. */
function sidecarPod(name: string, sidecar: Omit<Container, 'name'>): Pod {
  return markedPod(name, MARKER, {
    initContainers: [{ name: 'sidecar', image: 'busybox', restartPolicy: 'Always', ...sidecar }],
    containers: [{ name: 'main', image: 'pause', command: shCommand('exec sleep 600', MARKER) }],
  });
}

const sidecarStatus = (p: Pod): ContainerStatus | undefined => p.status?.initContainerStatuses?.[0];
const sidecarRestarts = (p: Pod): number => sidecarStatus(p)?.restartCount ?? 0;

/** RunSidecarLivenessTest: the sidecar restarts at least `n` times within the window. */
async function expectSidecarRestarts(name: string, n: number): Promise<Pod> {
  return node.waitForPod(name, (p) => sidecarRestarts(p) >= n, OBSERVATION_MS);
}

before(async () => {
  node = await startProbingNode();
});

after(() => stopProbingNode(node, MARKER));

describe('[sig-node] Probing restartable init container', { concurrency: true, timeout: 300_000 }, () => {
  test(
    'B1 with readiness probe should not be ready before initial delay and never restart',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b1');
      const port = await freePort();
      await node.createPod(
        sidecarPod(name, {
          command: appCommand('webserver', '--port', String(port)),
          env: [POD_IP_ENV],
          readinessProbe: {
            httpGet: { path: '/', port },
            initialDelaySeconds: PROBE_INITIAL_DELAY,
            periodSeconds: PERIOD,
          },
        }),
      );
      const pod = await node.waitForPod(name, isPodRunningReady, POD_START_MS);
      const readyAt = epochSeconds(
        pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime,
      );
      const startedAt = epochSeconds(sidecarStatus(pod)?.state?.running?.startedAt);
      assert.ok(readyAt - startedAt >= PROBE_INITIAL_DELAY, `Ready ${readyAt - startedAt}s after start`);
      assert.equal(sidecarRestarts(pod), 0);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'B2 with readiness probe that fails should never be ready and never restart',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b2');
      const [port, closed] = [await freePort(), await freePort()];
      await node.createPod(
        sidecarPod(name, {
          command: appCommand('webserver', '--port', String(port)),
          env: [POD_IP_ENV],
          readinessProbe: { httpGet: { path: '/', port: closed }, periodSeconds: PERIOD },
        }),
      );
      const pod = await expectNeverReady(node, name, READINESS_FAIL_WINDOW_MS);
      assert.equal(sidecarRestarts(pod), 0);
      assert.equal(
        pod.status?.phase,
        'Running',
        'a started sidecar without readiness does not block the app',
      );
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'B3 should be restarted with a exec "cat /tmp/health" liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b3');
      await node.createPod(
        sidecarPod(name, {
          command: shCommand('echo ok > health; sleep 2; rm -f health; exec sleep 600', MARKER),
          livenessProbe: {
            ...exec('cat', 'health'),
            initialDelaySeconds: 2,
            periodSeconds: PERIOD,
            failureThreshold: 1,
          },
        }),
      );
      await expectSidecarRestarts(name, 1);
      await waitForPodEvent(
        node,
        name,
        'Killing',
        'Init container sidecar failed liveness probe',
        EVENT_TIMEOUT_MS,
      );
      const killing = await node.podEvents(name, 'Killing');
      assert.ok(
        killing.every((e) => !(e.message ?? '').includes('will be restarted')),
        'a sidecar kill message has no ", will be restarted"',
      );
      assert.equal(killing[0]?.involvedObject?.fieldPath, 'spec.initContainers{sidecar}');
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'B4 should *not* be restarted with a exec "cat /tmp/health" liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b4');
      await node.createPod(
        sidecarPod(name, {
          command: shCommand('echo ok > health; exec sleep 600', MARKER),
          livenessProbe: {
            ...exec('cat', 'health'),
            initialDelaySeconds: 2,
            periodSeconds: PERIOD,
            failureThreshold: 1,
          },
        }),
      );
      await node.waitForPod(name, isPodRunningReady, POD_START_MS);
      const pod = await expectNoRestartsFor(node, name, OBSERVATION_MS / 2);
      assert.equal(sidecarRestarts(pod), 0);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test('B14 should be restarted startup probe fails', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = uniqueName('b14');
    await node.createPod(
      sidecarPod(name, {
        command: shCommand('exec sleep 600', MARKER),
        startupProbe: { ...exec('cat', 'startup'), periodSeconds: PERIOD, failureThreshold: 3 },
      }),
    );
    const pod = await expectSidecarRestarts(name, 1);
    assert.equal(pod.status?.phase, 'Pending', 'the sidecar never started, so the app never ran');
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    await waitForPodEvent(
      node,
      name,
      'Killing',
      'Init container sidecar failed startup probe',
      EVENT_TIMEOUT_MS,
    );
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });

  test(
    'B16 should be restarted by liveness probe after startup probe enables it; the app starts once it started',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b16');
      await node.createPod(
        sidecarPod(name, {
          command: shCommand('sleep 2; echo ok > startup; exec sleep 600', MARKER),
          startupProbe: { ...exec('cat', 'startup'), periodSeconds: 1, failureThreshold: 60 },
          livenessProbe: { ...exec('false'), periodSeconds: PERIOD, failureThreshold: 1 },
        }),
      );
      const started = await node.waitForPod(
        name,
        (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined,
        POD_START_MS,
      );
      assert.equal(sidecarStatus(started)?.started, true, 'the app started only after the sidecar started');
      await expectSidecarRestarts(name, 1);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );
});
