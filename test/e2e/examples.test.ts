/**
 * The examples behave as examples/README.md says, on a node with default settings (real
 * CrashLoopBackOff timings). Most run unmodified through the CLI (`up -f`, `apply -f` from the
 * checkout root, which exercises the relative `workingDir`); the slow ones are applied as copies
 * with shorter sleeps and periods, noted at each place.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { cliOutput, describedContainer, httpCall, retryHttp, tableRows } from '../helpers/cli-output.js';
import {
  containerStatus,
  isPodReady,
  isPodRunningReady,
  newMarker,
  totalRestarts,
} from '../helpers/e2e-pods.js';
import {
  killProcessesWithMarker,
  runPodvisor,
  startNode,
  summarizePod,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';
import { loadExample, scaledCopy } from '../helpers/example-files.js';
import { assertEventContains, expectNoRestartsFor, waitForPodEvent } from '../helpers/probe-scenarios.js';

const TEST_TIMEOUT_MS = 150_000;
const MARKER = newMarker('examples');
let node: PodvisorNode;

const cli = (...args: string[]): Promise<string> => cliOutput(node, args);

function restartsOf(pod: Pod, container: string): number {
  return containerStatus(pod, container)?.restartCount ?? 0;
}

describe('examples', { concurrency: true, timeout: 300_000 }, () => {
  before(async () => {
    // `podvisor up -f examples/http-liveness.yaml` from the checkout root, default node settings.
    node = await startNode({ files: ['examples/http-liveness.yaml'] });
  });

  after(async () => {
    await node?.stop('SIGTERM');
    killProcessesWithMarker(MARKER);
  });

  test(
    'http-liveness.yaml: the flaky app is restarted after "HTTP probe failed with statuscode: 500"',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'http-liveness';
      // 5 good answers at period 3 s, then 3 failures: the kill comes at about 20 s.
      await waitForPodEvent(
        node,
        name,
        'Killing',
        'Container app failed liveness probe, will be restarted',
        60_000,
      );
      await assertEventContains(
        node,
        name,
        'Unhealthy',
        'Liveness probe failed: HTTP probe failed with statuscode: 500',
      );
      const unhealthy = (await node.podEvents(name, 'Unhealthy')).find((e) =>
        e.message?.includes('statuscode: 500'),
      );
      assert.ok(
        (unhealthy?.count ?? 1) >= 3,
        `failureThreshold 3: the Unhealthy event should count ≥3, got ${unhealthy?.count}`,
      );
      await node.waitForPod(
        name,
        (p) => restartsOf(p, 'app') >= 1 && containerStatus(p, 'app')?.state?.running !== undefined,
        30_000,
      );

      // flaky-http handles SIGTERM: the killed instance ended by itself, exit 0 (Completed).
      const app = describedContainer(await cli('describe', 'pod', name), 'app');
      assert.equal(app.lastState?.state, 'Terminated', app.lines.join('\n'));
      assert.equal(app.lastState?.reason, 'Completed');
      assert.equal(app.lastState?.exitCode, 0);
      assert.ok((app.restartCount ?? 0) >= 1);

      const previous = await cli('logs', name, '-p');
      assert.match(previous, /request 6 GET \/ -> 500/);
      assert.match(previous, /received SIGTERM, shutting down/);
    },
  );

  test(
    'proxy-sidecar.yaml: draining the proxy gets it killed by its liveness probe',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'proxy-sidecar';
      await cli('apply', '-f', 'examples/proxy-sidecar.yaml');
      const ready = await node.waitForPod(name, isPodRunningReady, 60_000);
      const ip = ready.status?.podIP as string;
      // Traffic flows through the proxy to the app.
      const through = await httpCall('GET', `http://${ip}:10000/`);
      assert.equal(through.status, 200);
      assert.match(through.body, /hello from/);

      const drain = await httpCall('POST', `http://${ip}:9901/healthcheck/fail`);
      assert.equal(drain.status, 200);
      // period 5 s × failureThreshold 3.
      await waitForPodEvent(
        node,
        name,
        'Killing',
        'Container proxy failed liveness probe, will be restarted',
        40_000,
      );
      await assertEventContains(
        node,
        name,
        'Unhealthy',
        'Liveness probe failed: HTTP probe failed with statuscode: 503',
      );
      const after = await node.waitForPod(
        name,
        (p) => restartsOf(p, 'proxy') === 1 && isPodRunningReady(p),
        40_000,
      );
      assert.equal(restartsOf(after, 'app'), 0, 'only the proxy restarts');
      // The new proxy instance starts healthy.
      assert.equal((await httpCall('GET', `http://${ip}:9901/ready`)).status, 200);
    },
  );

  test(
    'exec-liveness.yaml: "cat healthy" fails, the container restarts and backs off (scaled)',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const [original] = loadExample('examples/exec-liveness.yaml') as [Pod];
      // Scaled: the file lives 3 s instead of 30 s; probe delay 1 s and period 1 s instead of 5 s.
      const pod = scaledCopy(original, 'liveness-exec', MARKER, (p) => {
        const c = p.spec?.containers[0];
        assert.ok(c?.command && c.livenessProbe);
        c.command = c.command.map((s) => s.replace('sleep 30', 'sleep 3'));
        c.livenessProbe.initialDelaySeconds = 1;
        c.livenessProbe.periodSeconds = 1;
      });
      const name = pod.metadata?.name as string;
      await node.createPod(pod);
      let sawCrashLoop = false;
      const w = node.watchPod(name, (p) => {
        if (containerStatus(p)?.state?.waiting?.reason === 'CrashLoopBackOff') sawCrashLoop = true;
      });
      try {
        await waitForPodEvent(
          node,
          name,
          'Killing',
          'Container liveness failed liveness probe, will be restarted',
          30_000,
        );
        await assertEventContains(
          node,
          name,
          'Unhealthy',
          'Liveness probe failed: cat: healthy: No such file or directory',
        );
        // Instances live ~4 s; from the second kill on, the 10 s back-off is longer than that.
        await waitForPodEvent(
          node,
          name,
          'BackOff',
          `Back-off restarting failed container liveness in pod ${name}`,
          60_000,
        );
        await node.waitForPod(name, () => sawCrashLoop, 30_000);
        // sh and its sleep die of SIGTERM's default action: 128 + 15.
        const c = describedContainer(await cli('describe', 'pod', name), 'liveness');
        assert.equal(c.lastState?.state, 'Terminated', c.lines.join('\n'));
        assert.equal(c.lastState?.reason, 'Error');
        assert.equal(c.lastState?.exitCode, 143);
      } finally {
        w.stop();
        await node.deletePod(name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  );

  test(
    'exit-codes.yaml: Last State shows 0 (handled SIGTERM), 143 (SIGTERM), 137 (SIGKILL after grace)',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'exit-codes';
      await cli('apply', '-f', 'examples/exit-codes.yaml');
      await node.waitForPod(
        name,
        (p) =>
          ['graceful', 'default', 'stubborn'].every(
            (c) => containerStatus(p, c)?.lastState?.terminated !== undefined,
          ),
        60_000,
      );
      const out = await cli('describe', 'pod', name);
      const expected: Record<string, [string, number]> = {
        graceful: ['Completed', 0],
        default: ['Error', 143],
        stubborn: ['Error', 137],
      };
      for (const [container, [reason, code]] of Object.entries(expected)) {
        const c = describedContainer(out, container);
        assert.equal(c.lastState?.state, 'Terminated', `${container}:\n${c.lines.join('\n')}`);
        assert.equal(c.lastState?.reason, reason, container);
        assert.equal(c.lastState?.exitCode, code, container);
      }
    },
  );

  test(
    'restart-onfailure.yaml: three failed attempts with back-off, then Succeeded; logs -p shows the previous attempt',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'retry-task';
      await cli('apply', '-f', 'examples/restart-onfailure.yaml');
      // Back-off 0 s, 10 s, 20 s (plus the retry granularity of up to ~5 s each).
      const done = await node.waitForPod(name, (p) => p.status?.phase === 'Succeeded', 100_000);
      assert.equal(restartsOf(done, 'task'), 3);
      await assertEventContains(
        node,
        name,
        'BackOff',
        `Back-off restarting failed container task in pod ${name}`,
      );

      const c = describedContainer(await cli('describe', 'pod', name), 'task');
      assert.equal(c.state?.state, 'Terminated', c.lines.join('\n'));
      assert.equal(c.state?.reason, 'Completed');
      assert.equal(c.state?.exitCode, 0);
      assert.equal(c.lastState?.reason, 'Error');
      assert.equal(c.lastState?.exitCode, 1);
      assert.equal(c.restartCount, 3);

      assert.match(await cli('logs', name), /attempt 4 succeeded/);
      const previous = await cli('logs', name, '-p');
      assert.match(previous, /attempt 3 failed: database not reachable/);
      assert.doesNotMatch(previous, /attempt 4/);
    },
  );

  test(
    'restart-never.yaml: a failed batch step is not restarted and the pod is Failed',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'batch-once';
      await cli('apply', '-f', 'examples/restart-never.yaml');
      const failed = await node.waitForPod(name, (p) => p.status?.phase === 'Failed', 60_000);
      const st = containerStatus(failed, 'job');
      assert.equal(st?.state?.terminated?.exitCode, 3);
      assert.equal(st?.state?.terminated?.reason, 'Error');
      assert.equal(totalRestarts(failed), 0);

      const get = await node.runCli(['get', 'pods', name]);
      assert.equal(get.code, 0, get.stderr);
      const [row] = tableRows(get.stdout);
      assert.deepEqual(
        [row?.NAME, row?.READY, row?.STATUS, row?.RESTARTS],
        [name, '0/1', 'Error', '0'],
        get.stdout,
      );
      const out = await cli('logs', name);
      assert.match(out, /processing batch/);
      assert.match(out, /batch failed: input file missing/);
    },
  );

  test(
    'tcp-liveness.yaml: HTTP readiness turns the pod unready, TCP liveness never restarts it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'tcp-liveness';
      await cli('apply', '-f', 'examples/tcp-liveness.yaml');
      await node.waitForPod(name, isPodRunningReady, 60_000);
      // /healthz turns 500 after 10 s: not Ready, but the port stays open.
      await node.waitForPod(name, (p) => !isPodReady(p), 30_000);
      await assertEventContains(
        node,
        name,
        'Unhealthy',
        'Readiness probe failed: HTTP probe failed with statuscode: 500',
      );
      const p = await expectNoRestartsFor(node, name, 12_000);
      assert.equal(totalRestarts(p), 0, summarizePod(p));
      const c = describedContainer(await cli('describe', 'pod', name), 'app');
      assert.equal(c.liveness, 'tcp-socket :8080 delay=5s timeout=1s period=5s #success=1 #failure=3');
      assert.equal(
        c.readiness,
        'http-get http://:8080/healthz delay=0s timeout=1s period=2s #success=1 #failure=3',
      );
    },
  );

  test(
    'grpc-liveness.yaml: NOT_SERVING fails the gRPC liveness probe and restarts the server',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'grpc-liveness';
      await cli('apply', '-f', 'examples/grpc-liveness.yaml');
      const running = await node.waitForPod(
        name,
        (p) => containerStatus(p, 'server')?.state?.running !== undefined,
        60_000,
      );
      const ip = running.status?.podIP as string;
      // The gRPC port opens a moment after the process starts; wait until the app answers.
      const flip = await retryHttp('GET', `http://${ip}:8080/make-not-serving`, 10_000);
      assert.equal(flip.status, 200);
      await waitForPodEvent(
        node,
        name,
        'Killing',
        'Container server failed liveness probe, will be restarted',
        30_000,
      );
      await assertEventContains(
        node,
        name,
        'Unhealthy',
        'Liveness probe failed: service unhealthy (responded with "NOT_SERVING")',
      );
      await node.waitForPod(name, (p) => restartsOf(p, 'server') >= 1, 30_000);
    },
  );

  test(
    'startup-probe.yaml: the startup probe holds liveness back; without it the app is killed before it listens',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await cli('apply', '-f', 'examples/startup-probe.yaml');
      const [withProbe, without] = await Promise.all([
        node.waitForPod(
          'slow-start',
          (p) => containerStatus(p)?.started === true && isPodRunningReady(p),
          70_000,
        ),
        node.waitForPod('slow-start-no-startup-probe', (p) => restartsOf(p, 'app') >= 2, 70_000),
      ]);
      assert.equal(totalRestarts(withProbe), 0, summarizePod(withProbe));
      await assertEventContains(node, 'slow-start', 'Unhealthy', 'Startup probe failed: ');
      const startupFailures = await node.podEvents('slow-start', 'Unhealthy');
      assert.ok(
        startupFailures.some(
          (e) => e.message?.startsWith('Startup probe failed: ') && e.message.includes('connection refused'),
        ),
        JSON.stringify(startupFailures.map((e) => e.message)),
      );
      assert.ok(restartsOf(without, 'app') >= 2);
      // Each killed instance was still warming up: it never opened its port.
      const previous = await cli('logs', 'slow-start-no-startup-probe', '-p');
      assert.match(previous, /warming up for 20s/);
      assert.doesNotMatch(previous, /listening on/);
      await assertEventContains(
        node,
        'slow-start-no-startup-probe',
        'Killing',
        'Container app failed liveness probe, will be restarted',
      );
    },
  );

  test(
    'readiness-flap.yaml: readiness goes up, down and up again; never a restart',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = 'readiness-flap';
      await cli('apply', '-f', 'examples/readiness-flap.yaml');
      const seen: boolean[] = [];
      const final = await node.waitForPod(
        name,
        (p) => {
          assert.equal(totalRestarts(p), 0, `readiness must never restart: ${summarizePod(p)}`);
          const ready = isPodReady(p);
          if (seen.at(-1) !== ready) seen.push(ready);
          return seen.join(',').includes('true,false,true');
        },
        45_000,
      );
      assert.equal(totalRestarts(final), 0);
    },
  );

  test(
    'demo/: self-healing within ~40 s on default settings (restart, CrashLoopBackOff, readiness flap)',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await cli('apply', '-f', 'examples/demo');
      let flapWasReady = false;
      await Promise.all([
        node.waitForPod('demo-web', (p) => restartsOf(p, 'web') >= 1, 45_000),
        node.waitForPod(
          'demo-crasher',
          (p) => containerStatus(p, 'worker')?.state?.waiting?.reason === 'CrashLoopBackOff',
          45_000,
        ),
        node.waitForPod(
          'demo-flap',
          (p) => {
            assert.equal(totalRestarts(p), 0, summarizePod(p));
            if (isPodReady(p)) flapWasReady = true;
            return flapWasReady && !isPodReady(p);
          },
          45_000,
        ),
      ]);
      const get = await node.runCli(['get', 'pods']);
      assert.equal(get.code, 0, get.stderr);
      const rows = tableRows(get.stdout);
      for (const pod of ['demo-web', 'demo-crasher', 'demo-flap']) {
        assert.ok(
          rows.some((r) => r.NAME === pod),
          `get pods lists ${pod}:\n${get.stdout}`,
        );
      }
    },
  );
});

// After the examples node has stopped: `podvisor demo` runs its own node on examples/demo, and the
// demo pods bind fixed ports on pod IPs that another node of this file could also hand out.
describe('podvisor demo', { timeout: 150_000 }, () => {
  test(
    'podvisor demo shows a liveness restart and a CrashLoopBackOff, then stops cleanly',
    { timeout: 120_000 },
    async () => {
      const r = await runPodvisor(['demo', '--plain', '--duration', '90s'], { timeoutMs: 110_000 });
      assert.equal(r.code, 0, `demo exit code; stderr:\n${r.stderr}`);
      assert.match(r.stdout, /\$ podvisor get pods/);
      assert.doesNotMatch(
        r.stdout,
        /were up before both a liveness restart and a CrashLoopBackOff were seen/,
      );
      for (const pod of ['demo-web', 'demo-crasher', 'demo-flap'])
        assert.match(r.stdout, new RegExp(`^${pod}\\s`, 'm'));
    },
  );
});
