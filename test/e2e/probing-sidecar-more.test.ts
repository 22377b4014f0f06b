/**
 * `[sig-node] Probing restartable init container` (upstream container_probe.go, catalogue §B), part
 * 2: B5–B13, B15, B17–B23, the sidecar variants of A5–A13, A15, A17–A23. Each builds the A
 * template (test/helpers/probe-pods.ts, same time scale and local adaptations) and moves its
 * container into initContainers[0] with `restartPolicy: Always` next to a pause `main` container.
 * Part 1 (B1–B4, B14, B16) is probing-sidecar.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import {
  freePort,
  freePorts,
  isPodReady,
  isPodRunningReady,
  markedPod,
  newMarker,
  uniqueName,
} from '../helpers/e2e-pods.js';
import type { PodvisorNode } from '../helpers/podvisor-node.js';
import {
  asSidecarPod,
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
  runSidecarLivenessTest,
  sidecarStatus,
  startProbingNode,
  stopProbingNode,
} from '../helpers/probe-pods.js';
import { expectNeverReady, expectNoPodEventFor, waitForPodEvent } from '../helpers/probe-scenarios.js';

const MARKER = newMarker('sidecar-more');
const templates = probePods(MARKER);
let node: PodvisorNode;

const sidecar = (pod: Pod): Pod => asSidecarPod(pod, MARKER);
const webserverPod = (name: string, port: number, probes: Partial<Container>): Pod =>
  sidecar(templates.webserverPod(name, port, probes));
const livenessPod = (name: string, port: number, probes: Partial<Container>): Pod =>
  sidecar(templates.livenessPod(name, port, probes));
const grpcPod = (name: string, grpcPort: number, httpPort: number, probes: Partial<Container>): Pod =>
  sidecar(templates.grpcPod(name, grpcPort, httpPort, probes));
const busyboxPod = (name: string, script: string, probes: Partial<Container>, tgps?: number): Pod =>
  sidecar(templates.busyboxPod(name, script, probes, tgps));

/**
 * B22/B23's pod: the sidecar runs upstream's bash script (a TERM trap that removes its files and
 * sleeps, then a "hello" loop), TGPS 30, next to a pause `main`.
 */
function terminatingSidecarPod(name: string, script: string, probes: Partial<Container>): Pod {
  return markedPod(name, MARKER, {
    terminationGracePeriodSeconds: 30,
    initContainers: [
      {
        name,
        image: 'busybox',
        restartPolicy: 'Always',
        command: ['/bin/bash', '-c', script, MARKER],
        ...probes,
      },
    ],
    containers: [
      { name: 'main', image: 'registry.k8s.io/pause', command: ['sh', '-c', 'exec sleep 600', MARKER] },
    ],
  });
}

/**
 * Readiness keeps probing during termination (spec §0.2 "Graceful deletion"): the sidecar's own
 * ready flag turns false while the pod is terminating and its TERM trap still runs. Only a probe
 * does that: with a trap that keeps `ready`, sidecar and pod stay Ready through the grace period.
 */
async function expectSidecarUnreadyWhileTerminating(name: string): Promise<void> {
  const pod = await node.waitForPod(name, (p) => sidecarStatus(p)?.ready === false, POD_START_MS);
  assert.ok(pod.metadata?.deletionTimestamp, 'the pod is terminating');
  assert.ok(
    sidecarStatus(pod)?.state?.running,
    `the sidecar still runs its TERM trap: ${JSON.stringify(sidecarStatus(pod))}`,
  );
}

before(async () => {
  node = await startProbingNode();
});

after(() => stopProbingNode(node, MARKER));

describe('[sig-node] Probing restartable init container', { concurrency: true, timeout: 300_000 }, () => {
  test(
    'B5 should be restarted with a /healthz http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort();
      const pod = livenessPod(uniqueName('b5'), port, {
        livenessProbe: {
          httpGet: { path: '/healthz', port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          timeoutSeconds: 1,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'B6 should *not* be restarted with a tcp:8080 liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort(); // upstream 8080
      const pod = livenessPod(uniqueName('b6'), port, {
        livenessProbe: {
          tcpSocket: { port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 0, LIVENESS_TIMING);
    },
  );

  test('B7 should have monotonically increasing restart count', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await freePort();
    const pod = livenessPod(uniqueName('b7'), port, {
      livenessProbe: {
        httpGet: { path: '/healthz', port },
        initialDelaySeconds: 1, // upstream 5
        failureThreshold: 1,
        periodSeconds: PERIOD,
      },
    });
    // Upstream 14 min for back-off 0, 10, 20, 40, 80 s; the node's 1 s / 10 s cap gives 0, 1, 2, 4, 8 s.
    await runSidecarLivenessTest(node, pod, 5, { timeoutMs: 100_000, perRestartMs: PER_RESTART_MS });
  });

  test(
    'B8 should *not* be restarted with a /healthz http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort(); // upstream 80
      const pod = webserverPod(uniqueName('b8'), port, {
        livenessProbe: {
          httpGet: { path: '/', port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 5,
          failureThreshold: 5,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 0, LIVENESS_TIMING);
    },
  );

  test(
    'B9 should be restarted with an exec liveness probe with timeout',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(uniqueName('b9'), 'sleep 600', {
        livenessProbe: {
          ...exec('/bin/sh', '-c', 'sleep 10'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 1,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'B10 should not be ready with an exec readiness probe timeout',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b10');
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
      try {
        await node.waitForPod(name, (p) => (p.status?.phase ?? 'Pending') !== 'Pending', POD_START_MS);
        // Upstream checks a stale object (vacuous); this is the intended check on the live status.
        const pod = await expectNeverReady(node, name, READINESS_FAIL_WINDOW_MS);
        assert.ok(sidecarStatus(pod)?.state?.running, 'the sidecar runs; only its readiness times out');
        assert.equal(sidecarStatus(pod)?.ready, false);
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  test(
    'B11 should be restarted with a failing exec liveness probe that took longer than the timeout',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(uniqueName('b11'), 'sleep 600', {
        livenessProbe: {
          ...exec('/bin/sh', '-c', 'sleep 10 & exit 1'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          timeoutSeconds: 1,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'B12 should be restarted with a local redirect http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const port = await freePort();
      const pod = livenessPod(uniqueName('b12'), port, {
        livenessProbe: {
          httpGet: { path: '/redirect?loc=' + encodeURIComponent('/healthz'), port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'B13 should *not* be restarted with a non-local redirect http liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b13');
      const port = await freePort();
      const pod = livenessPod(name, port, {
        livenessProbe: {
          httpGet: { path: '/redirect?loc=' + encodeURIComponent('http://0.0.0.0/'), port },
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
      });
      await runSidecarLivenessTest(node, pod, 0, LIVENESS_TIMING, { deleteAfter: false });
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

  test(
    'B15 should *not* be restarted by liveness probe because startup probe delays it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Startup budget 60 × 2 s = 120 s, beyond the 30 s window (upstream: 60 × 10 s vs 4 min).
      const pod = busyboxPod(uniqueName('b15'), 'sleep 600', {
        livenessProbe: {
          ...exec('/bin/false'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
        startupProbe: {
          ...exec('/bin/false'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 60,
          periodSeconds: PERIOD,
        },
      });
      const last = await runSidecarLivenessTest(node, pod, 0, LIVENESS_TIMING);
      assert.equal(sidecarStatus(last)?.started, false, 'the startup probe never succeeded');
    },
  );

  test(
    'B17 should be ready immediately after startupProbe succeeds',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b17');
      // Scaled as A17: sleep 6 (upstream 32), startup period 1 (5), readiness period 10 (30), bound
      // 5 s (25 s); the node must be past its first-probe jitter (spec §2.1), as upstream's is.
      await node.olderThan(10_000);
      await node.createPod(
        busyboxPod(name, 'echo ok > health; sleep 6; echo ok > startup; sleep 600', {
          readinessProbe: { ...exec('/bin/cat', 'health'), initialDelaySeconds: 0, periodSeconds: 10 },
          startupProbe: {
            ...exec('/bin/cat', 'startup'),
            initialDelaySeconds: 0,
            failureThreshold: 120,
            periodSeconds: 1,
          },
        }),
      );
      try {
        let startedSeenAt: number | undefined;
        let readySeenAt: number | undefined;
        const pod = await node.waitForPod(
          name,
          (p) => {
            const now = Date.now();
            if (startedSeenAt === undefined && sidecarStatus(p)?.started === true) startedSeenAt = now;
            if (startedSeenAt !== undefined && readySeenAt === undefined && isPodReady(p)) readySeenAt = now;
            return readySeenAt !== undefined;
          },
          POD_START_MS,
        );
        assert.ok(isPodRunningReady(pod), 'pod should be Running and Ready');
        const gap = ((readySeenAt as number) - (startedSeenAt as number)) / 1000;
        assert.ok(
          gap >= 0 && gap <= 5,
          `Ready ${gap}s after the sidecar started; want ≤ 5 s (upstream 25 s)`,
        );
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  test(
    'B18 should override timeoutGracePeriodSeconds when LivenessProbe field is set',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const closedPort = await freePort(); // upstream 8080, where nothing listens
      const pod = busyboxPod(
        uniqueName('b18'),
        "trap '' TERM; exec sleep 1000",
        {
          livenessProbe: {
            httpGet: { path: '/healthz', port: closedPort },
            initialDelaySeconds: 2, // upstream 10
            failureThreshold: 1,
            periodSeconds: PERIOD,
            terminationGracePeriodSeconds: 5,
          },
        },
        500,
      );
      // Upstream bound 40 s + 4 min; with the 500 s pod grace it could not pass.
      const last = await runSidecarLivenessTest(node, pod, 1, {
        timeoutMs: 30_000,
        perRestartMs: PER_RESTART_MS,
      });
      // SIGTERM was ignored, so the 5 s probe grace ended it with SIGKILL.
      assert.equal(sidecarStatus(last)?.lastState?.terminated?.exitCode, 137);
    },
  );

  test(
    'B19 should override timeoutGracePeriodSeconds when StartupProbe field is set',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(
        uniqueName('b19'),
        "trap '' TERM; exec sleep 1000",
        {
          livenessProbe: {
            ...exec('/bin/true'),
            initialDelaySeconds: PROBE_INITIAL_DELAY,
            failureThreshold: 1,
            periodSeconds: PERIOD,
          },
          startupProbe: {
            ...exec('/bin/cat', 'startup'), // never exists
            initialDelaySeconds: 2, // upstream 10
            failureThreshold: 1,
            periodSeconds: PERIOD,
            terminationGracePeriodSeconds: 5,
          },
        },
        500,
      );
      const last = await runSidecarLivenessTest(node, pod, 1, {
        timeoutMs: 30_000,
        perRestartMs: PER_RESTART_MS,
      });
      assert.equal(sidecarStatus(last)?.lastState?.terminated?.exitCode, 137);
    },
  );

  test('B20 should *not* be restarted with a GRPC liveness probe', { timeout: TEST_TIMEOUT_MS }, async () => {
    const [grpcPort, httpPort] = (await freePorts(2)) as [number, number]; // upstream 5000, 8080
    const pod = grpcPod(uniqueName('b20'), grpcPort, httpPort, {
      livenessProbe: {
        grpc: { port: grpcPort },
        initialDelaySeconds: PROBE_INITIAL_DELAY,
        timeoutSeconds: 5,
        failureThreshold: 1,
        periodSeconds: PERIOD,
      },
    });
    await runSidecarLivenessTest(node, pod, 0, LIVENESS_TIMING);
  });

  test('B21 should be restarted with a GRPC liveness probe', { timeout: TEST_TIMEOUT_MS }, async () => {
    const [grpcPort, httpPort, closedPort] = (await freePorts(3)) as [number, number, number]; // closed: upstream 2333
    const pod = grpcPod(uniqueName('b21'), grpcPort, httpPort, {
      livenessProbe: {
        grpc: { port: closedPort },
        initialDelaySeconds: 12, // upstream 60
        timeoutSeconds: 5,
        failureThreshold: 1,
        periodSeconds: PERIOD,
      },
    });
    await runSidecarLivenessTest(node, pod, 1, { timeoutMs: 40_000, perRestartMs: PER_RESTART_MS });
  });

  test(
    'B22 should mark readiness on pods to false while pod is in progress of terminating when a pod has a readiness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b22');
      const script =
        'trap "rm -f ready; sleep 30; exit 0" TERM\ntouch ready\nwhile true; do echo "hello"; sleep 10; done';
      await node.createPod(
        terminatingSidecarPod(name, script, {
          readinessProbe: {
            ...exec('cat', 'ready'),
            initialDelaySeconds: 1,
            periodSeconds: 2,
            failureThreshold: 1,
          }, // upstream delay 5
        }),
      );
      try {
        await node.waitForPod(name, isPodRunningReady, POD_START_MS);
        await node.deletePod(name);
        await node.waitForPod(name, (p) => !isPodReady(p), POD_START_MS);
        await expectSidecarUnreadyWhileTerminating(name);
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  test(
    'B23 should mark readiness on pods to false and disable liveness probes while pod is in progress of terminating',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('b23');
      const script =
        'trap "rm -f ready liveness; sleep 20; exit 0" TERM\ntouch ready liveness\nwhile true; do echo "hello"; sleep 10; done';
      await node.createPod(
        terminatingSidecarPod(name, script, {
          readinessProbe: {
            ...exec('cat', 'ready'),
            initialDelaySeconds: 1,
            periodSeconds: 2,
            failureThreshold: 1,
          },
          livenessProbe: {
            ...exec('cat', 'liveness'),
            initialDelaySeconds: 1,
            periodSeconds: 1,
            failureThreshold: 1,
          },
        }),
      );
      try {
        await node.waitForPod(name, isPodRunningReady, POD_START_MS);
        await node.deletePod(name);
        await node.waitForPod(name, (p) => !isPodReady(p), POD_START_MS);
        await expectSidecarUnreadyWhileTerminating(name);
        // Upstream: 1 min polling every 2 s; here a 15 s watch, inside the 20 s the trap takes.
        await expectNoPodEventFor(
          node,
          name,
          (ev) => (ev.message ?? '').includes('failed liveness probe'),
          15_000,
        );
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );
});
