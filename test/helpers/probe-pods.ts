/**
 * The pod templates of `[sig-node] Probing container` (spec e2e-probe-scenarios §A "Shared pod
 * templates") as local processes, and the time scale the ported tests run on.
 *
 * Time is compressed about 5×; each scaled number notes its upstream value. Kept as upstream:
 * thresholds, probe timeouts, termination grace periods (what A18/A19 test), A17's 30 s readiness
 * period. Local adaptations (spec §2): every app binds the pod IP (downward API) on ports the OS
 * reported free; `/tmp/x` files become files in the pod directory (the working directory of the
 * containers and of their exec probes); a busybox PID-1 shell that ignores SIGTERM becomes
 * `trap '' TERM; exec sleep …`; the agnhost liveness app is healthy for 2 s instead of 10 s.
 */
import assert from 'node:assert/strict';
import type { Container, ContainerStatus, Pod, Probe } from '../../src/api/types.js';
import { appCommand, markedPod, MARKER_ENV, POD_IP_ENV, shCommand } from './e2e-pods.js';
import {
  findProcessesWithMarker,
  killProcessesWithMarker,
  startNode,
  type PodvisorNode,
} from './podvisor-node.js';
import { runLivenessTest, type LivenessTestTiming } from './probe-scenarios.js';

export const PROBE_INITIAL_DELAY = 3; // probeTestInitialDelaySeconds = 15
export const PERIOD = 2; // periodSeconds default 10
export const HEALTHY_SECONDS = 2; // agnhost liveness: healthy for 10 s
export const OBSERVATION_MS = 30_000; // defaultObservationTimeout = 4 min
export const PER_RESTART_MS = 2_000; // RunLivenessTest adds 10 s per pre-existing restart
export const READINESS_FAIL_WINDOW_MS = 15_000; // runReadinessFailTest: 1 min
export const POD_START_MS = 60_000; // framework.PodStartTimeout = 5 min
export const EVENT_TIMEOUT_MS = 10_000; // PodEventTimeout = 2 min
export const TEST_TIMEOUT_MS = 150_000;
/** RunLivenessTest's window on the scaled clock. */
export const LIVENESS_TIMING = { timeoutMs: OBSERVATION_MS, perRestartMs: PER_RESTART_MS };

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

export function exec(...command: string[]): Pick<Probe, 'exec'> {
  return { exec: { command } };
}

/** The templates, every container carrying `marker` (env, and argv where a shell runs). */
export function probePods(marker: string) {
  return {
    /** "webserver pod": agnhost test-webserver → webserver.mjs. */
    webserverPod(name: string, port: number, probes: Partial<Container>): Pod {
      return markedPod(name, marker, {
        containers: [
          {
            name: 'test-webserver',
            image: AGNHOST,
            command: appCommand('webserver', '--port', String(port)),
            env: [POD_IP_ENV],
            ports: [{ containerPort: port }],
            ...probes,
          },
        ],
      });
    },
    /** "busybox pod" and "startup pod": a script for the host's /bin/sh. */
    busyboxPod(
      name: string,
      script: string,
      probes: Partial<Container>,
      terminationGracePeriodSeconds?: number,
    ): Pod {
      return markedPod(name, marker, {
        ...(terminationGracePeriodSeconds === undefined ? {} : { terminationGracePeriodSeconds }),
        containers: [{ name: 'busybox', image: 'busybox', command: shCommand(script, marker), ...probes }],
      });
    },
    /** "liveness pod": agnhost liveness → liveness.mjs, TGPS 0 (the kubelet's 2 s minimum applies). */
    livenessPod(name: string, port: number, probes: Partial<Container>): Pod {
      return markedPod(name, marker, {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'agnhost-container',
            image: AGNHOST,
            command: appCommand(
              'liveness',
              '--port',
              String(port),
              '--healthy-seconds',
              String(HEALTHY_SECONDS),
            ),
            env: [POD_IP_ENV],
            ports: [{ containerPort: port }],
            ...probes,
          },
        ],
      });
    },
    /** "gRPC pod": agnhost grpc-health-checking → grpc-health.mjs. */
    grpcPod(name: string, grpcPort: number, httpPort: number, probes: Partial<Container>): Pod {
      return markedPod(name, marker, {
        containers: [
          {
            name: 'agnhost',
            image: AGNHOST,
            command: appCommand('grpc-health', '--port', String(grpcPort), '--http-port', String(httpPort)),
            env: [POD_IP_ENV],
            ports: [{ containerPort: grpcPort }, { containerPort: httpPort }],
            ...probes,
          },
        ],
      });
    },
  };
}

/** The node these tests share: back-off scaled for A7 (upstream 10 s doubling to 300 s). */
export function startProbingNode(): Promise<PodvisorNode> {
  return startNode({
    flags: ['--crash-loop-backoff-initial', '1s', '--max-container-restart-period', '10s'],
  });
}

/** Stops the node with SIGTERM and asserts that nothing it ran outlived it. */
export async function stopProbingNode(node: PodvisorNode | undefined, marker: string): Promise<void> {
  if (!node) return;
  await node.stop('SIGTERM');
  const left = findProcessesWithMarker(marker);
  killProcessesWithMarker(marker);
  assert.deepEqual(left, [], 'processes of this file outlived podvisor up (SIGTERM)');
}

/**
 * The sidecar variant of a template (catalogue §B): its containers[0] becomes initContainers[0]
 * with `restartPolicy: Always`, next to a `main` container standing in for agnhost pause (a
 * process that sleeps and exits on SIGTERM).
 */
export function asSidecarPod(pod: Pod, marker: string): Pod {
  const spec = pod.spec;
  const [probed] = spec?.containers ?? [];
  if (!spec || !probed) throw new Error('asSidecarPod: the template has no container');
  return {
    ...pod,
    spec: {
      ...spec,
      initContainers: [{ ...probed, restartPolicy: 'Always' }],
      containers: [
        {
          name: 'main',
          image: 'registry.k8s.io/pause',
          command: shCommand('exec sleep 600', marker),
          env: [{ name: MARKER_ENV, value: marker }],
        },
      ],
    },
  };
}

/** The status of the probed sidecar, initContainers[0]. */
export function sidecarStatus(pod: Pod): ContainerStatus | undefined {
  return pod.status?.initContainerStatuses?.[0];
}

/**
 * RunLivenessTest for the sidecar variant (spec §0.1): as runLivenessTest in probe-scenarios.ts,
 * but the target is initContainers[0]. Waits until it leaves Waiting, takes its restartCount as
 * the baseline, then watches until baseline + expect restarts (expect > 0) or for the whole window
 * (expect == 0, no restart allowed); restartCount must never decrease. Deletes with grace 0 after.
 */
export function runSidecarLivenessTest(
  node: PodvisorNode,
  pod: Pod,
  expectNumRestarts: number,
  timing: LivenessTestTiming,
  opts: { deleteAfter?: boolean } = {},
): Promise<Pod> {
  const target = { name: pod.spec?.initContainers?.[0]?.name ?? 'sidecar', status: sidecarStatus };
  return runLivenessTest(node, pod, expectNumRestarts, timing, { ...opts, target });
}
