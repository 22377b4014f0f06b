/**
 * `[sig-node] Probing container` (upstream test/e2e/common/node/container_probe.go), part 1:
 * readiness and liveness through each handler (A1–A13, A20, A21 of spec e2e-probe-scenarios.md),
 * ported to processes and run concurrently on one node. Part 2, startup probes, grace-period
 * overrides and termination, is probing-container-startup.test.ts. The time scale and the local
 * adaptations are described in test/helpers/probe-pods.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  containerStatus,
  epochSeconds,
  freePort,
  freePorts,
  isPodReady,
  isPodRunningReady,
  newMarker,
  totalRestarts,
  uniqueName,
} from '../helpers/e2e-pods.js';
import type { PodvisorNode } from '../helpers/podvisor-node.js';
import {
  EVENT_TIMEOUT_MS,
  exec,
  LIVENESS_TIMING,
  PER_RESTART_MS,
  PERIOD,
  POD_START_MS,
  PROBE_INITIAL_DELAY,
  READINESS_FAIL_WINDOW_MS,
  TEST_TIMEOUT_MS,
  probePods,
  startProbingNode,
  stopProbingNode,
} from '../helpers/probe-pods.js';
import { expectNeverReady, runLivenessTest, waitForPodEvent } from '../helpers/probe-scenarios.js';

const MARKER = newMarker('probing');
const { webserverPod, busyboxPod, livenessPod, grpcPod } = probePods(MARKER);
let node: PodvisorNode;

describe('[sig-node] Probing container', { concurrency: true, timeout: 300_000 }, () => {
  before(async () => {
    node = await startProbingNode();
  });

  after(() => stopProbingNode(node, MARKER));

  test(
    'A1 with readiness probe should not be ready before initial delay and never restart',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a1');
      const port = await freePort();
      await node.createPod(
        webserverPod(name, port, {
          readinessProbe: {
            httpGet: { path: '/', port },
            initialDelaySeconds: PROBE_INITIAL_DELAY,
            periodSeconds: PERIOD,
          },
        }),
      );
      const pod = await node.waitForPod(name, isPodRunningReady, POD_START_MS);
      assert.ok(isPodRunningReady(pod));
      const readyAt = epochSeconds(
        pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime,
      );
      const startedAt = epochSeconds(containerStatus(pod)?.state?.running?.startedAt);
      // Upstream: ≥ 15 s (probeTestInitialDelaySeconds).
      assert.ok(
        readyAt - startedAt >= PROBE_INITIAL_DELAY,
        `Ready ${readyAt - startedAt}s after start, before the initial delay`,
      );
      assert.equal(totalRestarts(pod), 0);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'A2 with readiness probe that fails should never be ready and never restart',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a2');
      const [port, closedPort] = (await freePorts(2)) as [number, number];
      // Upstream probes port 81 of a server on 80; here a port nothing listens on.
      await node.createPod(
        webserverPod(name, port, {
          readinessProbe: { httpGet: { path: '/', port: closedPort }, periodSeconds: PERIOD },
        }),
      );
      const pod = await expectNeverReady(node, name, READINESS_FAIL_WINDOW_MS);
      assert.equal(isPodRunningReady(pod), false);
      // Not Ready because the probe fails, not because the container never ran.
      assert.ok(
        containerStatus(pod)?.state?.running,
        `container should be running: ${JSON.stringify(containerStatus(pod))}`,
      );
      assert.equal(totalRestarts(pod), 0);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'A3 should be restarted with a exec "cat /tmp/health" liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Upstream: echo ok >/tmp/health; sleep 10; rm -rf /tmp/health; sleep 600.
      const pod = busyboxPod(uniqueName('a3'), 'echo ok > health; sleep 2; rm -rf health; sleep 600', {
        livenessProbe: {
          ...exec('cat', 'health'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 5,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'A4 should *not* be restarted with a exec "cat /tmp/health" liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(uniqueName('a4'), 'echo ok > health; sleep 600', {
        livenessProbe: {
          ...exec('cat', 'health'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 5,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 0, LIVENESS_TIMING);
    },
  );

  test(
    'A5 should be restarted with a /healthz http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort();
      const pod = livenessPod(uniqueName('a5'), port, {
        livenessProbe: {
          httpGet: { path: '/healthz', port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          timeoutSeconds: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'A6 should *not* be restarted with a tcp:8080 liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort(); // upstream 8080
      const pod = livenessPod(uniqueName('a6'), port, {
        livenessProbe: {
          tcpSocket: { port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 0, LIVENESS_TIMING);
    },
  );

  test('A7 should have monotonically increasing restart count', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await freePort();
    const pod = livenessPod(uniqueName('a7'), port, {
      // Upstream initialDelay 5 (period 10): the first probe after the healthy window fails.
      livenessProbe: {
        httpGet: { path: '/healthz', port },
        initialDelaySeconds: 1,
        failureThreshold: 1,
        periodSeconds: PERIOD,
      },
    });
    // Upstream window 2 min + 4 min + 4 × 2 min = 14 min for back-off 0, 10, 20, 40, 80 s; with the
    // node's 1 s initial / 10 s cap the delays are 0, 1, 2, 4, 8 s.
    await runLivenessTest(node, pod, 5, { timeoutMs: 100_000, perRestartMs: PER_RESTART_MS });
  });

  test(
    'A8 should *not* be restarted with a /healthz http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort(); // upstream 80
      const pod = webserverPod(uniqueName('a8'), port, {
        livenessProbe: {
          httpGet: { path: '/', port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 5,
          failureThreshold: 5,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 0, LIVENESS_TIMING);
    },
  );

  test(
    'A9 should be restarted with an exec liveness probe with timeout',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(uniqueName('a9'), 'sleep 600', {
        livenessProbe: {
          ...exec('/bin/sh', '-c', 'sleep 10'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 1,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'A10 should not be ready with an exec readiness probe timeout',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a10');
      await node.createPod(
        busyboxPod(name, 'sleep 600', {
          readinessProbe: {
            ...exec('/bin/sh', '-c', 'sleep 10'),
            initialDelaySeconds: PROBE_INITIAL_DELAY,
            timeoutSeconds: 1,
            failureThreshold: 1,
            periodSeconds: PERIOD,
          },
        }),
      );
      await node.waitForPod(
        name,
        (p) => p.status?.phase !== undefined && p.status.phase !== 'Pending',
        POD_START_MS,
      );
      // Upstream checks a stale object (vacuous); this is the intended check on the live status.
      const pod = await expectNeverReady(node, name, READINESS_FAIL_WINDOW_MS);
      assert.equal(isPodReady(pod), false);
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'A11 should be restarted with a failing exec liveness probe that took longer than the timeout',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(uniqueName('a11'), 'sleep 600', {
        livenessProbe: {
          ...exec('/bin/sh', '-c', 'sleep 10 & exit 1'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 1,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'A12 should be restarted with a local redirect http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort();
      const pod = livenessPod(uniqueName('a12'), port, {
        livenessProbe: {
          httpGet: { path: '/redirect?loc=' + encodeURIComponent('/healthz'), port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'A13 should *not* be restarted with a non-local redirect http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a13');
      const port = await freePort();
      const pod = livenessPod(name, port, {
        livenessProbe: {
          httpGet: { path: '/redirect?loc=' + encodeURIComponent('http://0.0.0.0/'), port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 0, LIVENESS_TIMING, { deleteAfter: false });
      try {
        await waitForPodEvent(
          node,
          name,
          'ProbeWarning',
          'Probe terminated redirects, Response body: <a href="http://0.0.0.0/">Found</a>.',
          EVENT_TIMEOUT_MS,
        );
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 });
      }
    },
  );

  test('A20 should *not* be restarted with a GRPC liveness probe', { timeout: TEST_TIMEOUT_MS }, async () => {
    const [grpcPort, httpPort] = (await freePorts(2)) as [number, number]; // upstream 5000, 8080
    const pod = grpcPod(uniqueName('a20'), grpcPort, httpPort, {
      livenessProbe: {
        grpc: { port: grpcPort },
        initialDelaySeconds: PROBE_INITIAL_DELAY,
        timeoutSeconds: 5,
        failureThreshold: 1,
        periodSeconds: PERIOD,
      },
    });
    await runLivenessTest(node, pod, 0, LIVENESS_TIMING);
  });

  test('A21 should be restarted with a GRPC liveness probe', { timeout: TEST_TIMEOUT_MS }, async () => {
    const [grpcPort, httpPort, closedPort] = (await freePorts(3)) as [number, number, number]; // closedPort: upstream 2333
    const pod = grpcPod(uniqueName('a21'), grpcPort, httpPort, {
      livenessProbe: {
        grpc: { port: closedPort },
        initialDelaySeconds: 12,
        timeoutSeconds: 5,
        failureThreshold: 1,
        periodSeconds: PERIOD,
      }, // upstream delay 60
    });
    await runLivenessTest(node, pod, 1, { timeoutMs: 40_000, perRestartMs: PER_RESTART_MS });
  });
});
