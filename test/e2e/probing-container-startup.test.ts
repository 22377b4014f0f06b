/**
 * `[sig-node] Probing container` (upstream test/e2e/common/node/container_probe.go), part 2:
 * startup probes, probe-level termination grace periods and readiness during termination (A14–A19,
 * A22, A23 of spec e2e-probe-scenarios.md), run concurrently on one node. Part 1 is
 * probing-container.test.ts; the time scale and local adaptations are in test/helpers/probe-pods.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  containerStatus,
  freePort,
  isPodReady,
  isPodRunningReady,
  markedPod,
  newMarker,
  uniqueName,
} from '../helpers/e2e-pods.js';
import type { PodvisorNode } from '../helpers/podvisor-node.js';
import {
  exec,
  LIVENESS_TIMING,
  PER_RESTART_MS,
  PERIOD,
  POD_START_MS,
  PROBE_INITIAL_DELAY,
  TEST_TIMEOUT_MS,
  probePods,
  startProbingNode,
  stopProbingNode,
} from '../helpers/probe-pods.js';
import { expectNoPodEventFor, runLivenessTest } from '../helpers/probe-scenarios.js';

const MARKER = newMarker('startup');
const { busyboxPod } = probePods(MARKER);
let node: PodvisorNode;

describe('[sig-node] Probing container', { concurrency: true, timeout: 300_000 }, () => {
  before(async () => {
    node = await startProbingNode();
  });

  after(() => stopProbingNode(node, MARKER));

  test('A14 should be restarted startup probe fails', { timeout: TEST_TIMEOUT_MS }, async () => {
    const pod = busyboxPod(uniqueName('a14'), 'sleep 600', {
      livenessProbe: {
        ...exec('/bin/true'),
        initialDelaySeconds: PROBE_INITIAL_DELAY,
        failureThreshold: 1,
        periodSeconds: PERIOD,
      },
      startupProbe: {
        ...exec('/bin/false'),
        initialDelaySeconds: PROBE_INITIAL_DELAY,
        failureThreshold: 3,
        periodSeconds: PERIOD,
      },
    });
    await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
  });

  test(
    'A15 should *not* be restarted by liveness probe because startup probe delays it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Startup budget 60 × 2 s = 120 s, beyond the 30 s window (upstream: 60 × 10 s vs 4 min).
      const pod = busyboxPod(uniqueName('a15'), 'sleep 600', {
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
      await runLivenessTest(node, pod, 0, LIVENESS_TIMING);
    },
  );

  test(
    'A16 should be restarted by liveness probe after startup probe enables it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Upstream: sleep 10; echo ok >/tmp/startup; sleep 600.
      const pod = busyboxPod(uniqueName('a16'), 'sleep 2; echo ok > startup; sleep 600', {
        livenessProbe: {
          ...exec('/bin/false'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 1,
          periodSeconds: PERIOD,
        },
        startupProbe: {
          ...exec('cat', 'startup'),
          initialDelaySeconds: PROBE_INITIAL_DELAY,
          failureThreshold: 60,
          periodSeconds: PERIOD,
        },
      });
      await runLivenessTest(node, pod, 1, LIVENESS_TIMING);
    },
  );

  test(
    'A17 should be ready immediately after startupProbe succeeds',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a17');
      // Upstream: sleep 32, startup period 5, readiness period 30, bound 25 s. Scaled: sleep 6,
      // startup period 1, readiness period 10, bound 5 s: shorter than the readiness period, so
      // only the immediate readiness run after startup success can meet it. Upstream's kubelet
      // has long been running; a node younger than one period would still be in its first-probe
      // jitter, which holds the manual trigger back (spec §2.1), so wait that out first.
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
      let startedSeenAt: number | undefined;
      let readySeenAt: number | undefined;
      const pod = await node.waitForPod(
        name,
        (p) => {
          const now = Date.now();
          if (startedSeenAt === undefined && containerStatus(p)?.started === true) startedSeenAt = now;
          if (startedSeenAt !== undefined && readySeenAt === undefined && isPodReady(p)) readySeenAt = now;
          return readySeenAt !== undefined;
        },
        POD_START_MS,
      );
      assert.ok(isPodRunningReady(pod), 'pod should be Running and Ready');
      const gap = ((readySeenAt as number) - (startedSeenAt as number)) / 1000;
      assert.ok(
        gap >= 0 && gap <= 5,
        `Ready ${gap}s after started; want ≤ 5 s (upstream 25 s with a 30 s readiness period; here 10 s)`,
      );
      await node.deletePod(name, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'A18 should override timeoutGracePeriodSeconds when LivenessProbe field is set',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const closedPort = await freePort(); // upstream 8080, where nothing listens
      // A container's PID-1 shell ignores SIGTERM; locally that takes `trap '' TERM; exec`.
      const pod = busyboxPod(
        uniqueName('a18'),
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
      const last = await runLivenessTest(node, pod, 1, { timeoutMs: 30_000, perRestartMs: PER_RESTART_MS });
      // Proof that SIGTERM was ignored and the 5 s probe grace ended it with SIGKILL.
      assert.equal(containerStatus(last)?.lastState?.terminated?.exitCode, 137);
    },
  );

  test(
    'A19 should override timeoutGracePeriodSeconds when StartupProbe field is set',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pod = busyboxPod(
        uniqueName('a19'),
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
      const last = await runLivenessTest(node, pod, 1, { timeoutMs: 30_000, perRestartMs: PER_RESTART_MS });
      assert.equal(containerStatus(last)?.lastState?.terminated?.exitCode, 137);
    },
  );

  test(
    'A22 should mark readiness on pods to false while pod is in progress of terminating when a pod has a readiness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a22');
      const script =
        'trap "rm -f ready; sleep 30; exit 0" TERM\ntouch ready\nwhile true; do echo "hello"; sleep 10; done';
      await node.createPod(
        markedPod(name, MARKER, {
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name,
              image: 'busybox',
              command: ['/bin/bash', '-c', script, MARKER],
              readinessProbe: {
                ...exec('cat', 'ready'),
                initialDelaySeconds: 1,
                periodSeconds: 2,
                failureThreshold: 1,
              }, // upstream delay 5
            },
          ],
        }),
      );
      try {
        await node.waitForPod(name, isPodRunningReady, POD_START_MS);
        await node.deletePod(name);
        // Readiness keeps probing during termination (spec §0.2 "Graceful deletion").
        await node.waitForPod(name, (p) => !isPodReady(p), POD_START_MS);
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  test(
    'A23 should mark readiness on pods to false and disable liveness probes while pod is in progress of terminating',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('a23');
      const script =
        'trap "rm -f ready liveness; sleep 20; exit 0" TERM\ntouch ready liveness\nwhile true; do echo "hello"; sleep 10; done';
      await node.createPod(
        markedPod(name, MARKER, {
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name,
              image: 'busybox',
              command: ['/bin/bash', '-c', script, MARKER],
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
            },
          ],
        }),
      );
      try {
        await node.waitForPod(name, isPodRunningReady, POD_START_MS);
        await node.deletePod(name);
        await node.waitForPod(name, (p) => !isPodReady(p), POD_START_MS);
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
