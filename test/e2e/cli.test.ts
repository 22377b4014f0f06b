/**
 * The command line as a user meets it: manifest errors, a container that cannot start, the
 * kubectl-style outputs (spec §6), and a clean shutdown of `up` on SIGTERM and on SIGINT with no
 * process left behind (DESIGN principle 6).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { describedContainer, headerColumns, tableRows } from '../helpers/cli-output.js';
import {
  appCommand,
  containerStatus,
  freePort,
  isPodRunningReady,
  markedPod,
  newMarker,
  POD_IP_ENV,
  shCommand,
  uniqueName,
} from '../helpers/e2e-pods.js';
import {
  findProcessesWithMarker,
  killProcessesWithMarker,
  runPodvisor,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';
import { describeProcess } from '../helpers/processes.js';
import { waitForPodEvent } from '../helpers/probe-scenarios.js';

const TEST_TIMEOUT_MS = 120_000;
const MARKER = newMarker('cli');
let node: PodvisorNode;

/** A two-document manifest: a valid pod, then one whose liveness successThreshold is 2 (spec §1.2). */
function invalidManifest(good: string, bad: string, marker: string): { text: string; badLine: number } {
  const lines = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${good}`,
    'spec:',
    '  containers:',
    '    - name: app',
    '      image: busybox',
    `      command: ["sh", "-c", "sleep 600", "${marker}"]`,
    '---',
    'apiVersion: v1', // line 11: where the second document's content starts
    'kind: Pod',
    'metadata:',
    `  name: ${bad}`,
    'spec:',
    '  containers:',
    '    - name: app',
    '      image: busybox',
    `      command: ["sh", "-c", "sleep 600", "${marker}"]`,
    '      livenessProbe:',
    '        exec:',
    '          command: ["true"]',
    '        successThreshold: 2',
    '',
  ];
  return { text: lines.join('\n'), badLine: 11 };
}

describe('podvisor CLI', { concurrency: true, timeout: 300_000 }, () => {
  before(async () => {
    node = await startNode({
      flags: ['--crash-loop-backoff-initial', '1s', '--max-container-restart-period', '10s'],
    });
  });

  after(async () => {
    await node?.stop('SIGTERM');
    killProcessesWithMarker(MARKER);
  });

  test(
    'up -f with an invalid manifest exits 1 with file:line: Pod "x" is invalid and starts nothing',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'podvisor-e2e-manifest-'));
      const file = join(dir, 'pods.yaml');
      const good = uniqueName('good');
      const bad = uniqueName('bad');
      const marker = newMarker('invalid-up');
      const { text, badLine } = invalidManifest(good, bad, marker);
      await writeFile(file, text);
      const stateDir = await mkdtemp(join(tmpdir(), 'podvisor-e2e-state-'));
      const r = await runPodvisor(['up', '-f', file, '--state-dir', stateDir, '--listen', '127.0.0.1:0'], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 1, `exit code; stderr:\n${r.stderr}`);
      assert.ok(
        r.stderr.includes(
          `${file}:${badLine}: Pod "${bad}" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1`,
        ),
        r.stderr,
      );
      assert.doesNotMatch(r.stdout, /serving the Kubernetes API/);
      assert.deepEqual(findProcessesWithMarker(marker), [], 'no container may have been started');
      await rm(dir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  );

  test(
    'apply -f with an invalid manifest exits 1 and admits nothing, not even the valid document',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'podvisor-e2e-manifest-'));
      const file = join(dir, 'pods.yaml');
      const good = uniqueName('good');
      const bad = uniqueName('bad');
      const { text, badLine } = invalidManifest(good, bad, MARKER);
      await writeFile(file, text);
      const r = await node.runCli(['apply', '-f', file]);
      assert.equal(r.code, 1, `exit code; stderr:\n${r.stderr}`);
      assert.ok(
        r.stderr.includes(
          `${file}:${badLine}: Pod "${bad}" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1`,
        ),
        r.stderr,
      );
      for (const name of [good, bad]) {
        await assert.rejects(
          node.getPod(name),
          (err: { status?: number }) => err.status === 404,
          `${name} must not exist`,
        );
      }
      await rm(dir, { recursive: true, force: true });
    },
  );

  test(
    'a command that does not exist: RunContainerError with the OS error, then back-off; the node keeps serving',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('missing');
      const missing = `/nonexistent-${MARKER}/no-such-binary`;
      await node.createPod(
        markedPod(name, MARKER, { containers: [{ name: 'missing', image: 'busybox', command: [missing] }] }),
      );
      const failing = await node.waitForPod(
        name,
        (p) => containerStatus(p)?.state?.waiting?.reason === 'RunContainerError',
        30_000,
      );
      assert.match(containerStatus(failing)?.state?.waiting?.message ?? '', /no such file or directory/);
      await waitForPodEvent(node, name, 'Failed', 'no such file or directory', 10_000);
      // Retried with back-off like any failed container (spec §4.5).
      await waitForPodEvent(
        node,
        name,
        'BackOff',
        `Back-off restarting failed container missing in pod ${name}`,
        30_000,
      );

      // The node is unharmed: another pod starts and the API answers.
      const ok = uniqueName('alive');
      await node.createPod(
        markedPod(ok, MARKER, {
          containers: [{ name: 'app', image: 'busybox', command: shCommand('sleep 600', MARKER) }],
        }),
      );
      await node.waitForPod(ok, isPodRunningReady, 30_000);
      const get = await node.runCli(['get', 'pods', name]);
      assert.equal(get.code, 0, get.stderr);
      assert.match(
        tableRows(get.stdout)[0]?.STATUS ?? '',
        /^(RunContainerError|CrashLoopBackOff)$/,
        get.stdout,
      );
      await node.deletePod(name, { gracePeriodSeconds: 0 });
      await node.deletePod(ok, { gracePeriodSeconds: 0 });
    },
  );

  test(
    'get pods, get pods -o wide, describe pod, logs, get events',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const web = uniqueName('web');
      const crash = uniqueName('crash');
      const port = await freePort();
      await node.createPod(
        markedPod(web, MARKER, {
          containers: [
            {
              name: 'app',
              image: 'node:20-alpine',
              command: appCommand('webserver', '--port', String(port)),
              env: [POD_IP_ENV],
              ports: [{ containerPort: port }],
              readinessProbe: { httpGet: { path: '/', port }, periodSeconds: 2 },
              livenessProbe: { exec: { command: ['true'] }, periodSeconds: 5 },
            },
          ],
        }),
      );
      await node.createPod(
        markedPod(crash, MARKER, {
          containers: [
            { name: 'crash', image: 'busybox', command: shCommand('echo "crashing now"; exit 1', MARKER) },
          ],
        }),
      );
      const pod: Pod = await node.waitForPod(web, isPodRunningReady, 30_000);
      const ip = pod.status?.podIP as string;
      await node.waitForPod(crash, (p) => (containerStatus(p)?.restartCount ?? 0) >= 2, 60_000);

      const get = await node.runCli(['get', 'pods']);
      assert.equal(get.code, 0, get.stderr);
      assert.deepEqual(headerColumns(get.stdout), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const webRow = tableRows(get.stdout).find((r) => r.NAME === web);
      assert.deepEqual(
        [webRow?.READY, webRow?.STATUS, webRow?.RESTARTS],
        ['1/1', 'Running', '0'],
        get.stdout,
      );
      assert.match(webRow?.AGE ?? '', /^\d+s$/);
      const crashRow = tableRows(get.stdout).find((r) => r.NAME === crash);
      // RESTARTS counts since the previous instance finished (spec §6.3).
      assert.match(crashRow?.RESTARTS ?? '', /^[1-9]\d* \(\d+s ago\)$/, get.stdout);

      const wide = await node.runCli(['get', 'pods', web, '-o', 'wide']);
      assert.equal(wide.code, 0, wide.stderr);
      assert.deepEqual(headerColumns(wide.stdout), [
        'NAME',
        'READY',
        'STATUS',
        'RESTARTS',
        'AGE',
        'IP',
        'NODE',
        'NOMINATED NODE',
        'READINESS GATES',
      ]);
      const [wideRow] = tableRows(wide.stdout);
      assert.equal(wideRow?.IP, ip);
      assert.ok(pod.spec?.nodeName, 'the pod is bound to the node (spec.nodeName)');
      assert.equal(wideRow?.NODE, pod.spec.nodeName);
      assert.equal(wideRow?.['NOMINATED NODE'], '<none>');
      assert.equal(wideRow?.['READINESS GATES'], '<none>');

      const describe = await node.runCli(['describe', 'pod', web]);
      assert.equal(describe.code, 0, describe.stderr);
      assert.match(describe.stdout, new RegExp(`^Name:\\s+${web}$`, 'm'));
      assert.match(describe.stdout, /^Namespace:\s+default$/m);
      assert.match(describe.stdout, /^Status:\s+Running$/m);
      assert.match(describe.stdout, new RegExp(`^IP:\\s+${ip.replace(/\./g, '\\.')}$`, 'm'));
      const app = describedContainer(describe.stdout, 'app');
      assert.equal(app.state?.state, 'Running');
      assert.equal(app.ready, 'True');
      assert.equal(app.restartCount, 0);
      assert.equal(
        app.readiness,
        `http-get http://:${port}/ delay=0s timeout=1s period=2s #success=1 #failure=3`,
      );
      assert.equal(app.liveness, 'exec [true] delay=0s timeout=1s period=5s #success=1 #failure=3');
      assert.match(describe.stdout, /^Events:/m);
      assert.match(describe.stdout, /Normal\s+Started\s+.*kubelet\s+Started container app/);

      const logs = await node.runCli(['logs', web]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, new RegExp(`webserver: listening on ${ip.replace(/\./g, '\\.')}:${port}`));
      const crashLogs = await node.runCli(['logs', crash, '-c', 'crash', '-p']);
      assert.equal(crashLogs.code, 0, crashLogs.stderr);
      assert.equal(crashLogs.stdout.trim(), 'crashing now');

      const events = await node.runCli(['get', 'events']);
      assert.equal(events.code, 0, events.stderr);
      assert.deepEqual(headerColumns(events.stdout), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      assert.ok(
        tableRows(events.stdout).some(
          (r) =>
            r.OBJECT === `pod/${web}` &&
            r.TYPE === 'Normal' &&
            r.REASON === 'Started' &&
            r.MESSAGE === 'Started container app',
        ),
        events.stdout,
      );
      assert.ok(
        tableRows(events.stdout).some(
          (r) => r.OBJECT === `pod/${crash}` && r.TYPE === 'Warning' && r.REASON === 'BackOff',
        ),
        events.stdout,
      );
      await node.deletePod(web, { gracePeriodSeconds: 0 });
      await node.deletePod(crash, { gracePeriodSeconds: 0 });
    },
  );

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(
      `${signal} to up stops every process it started (children, escapees, in-flight probes) within the grace periods`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const marker = newMarker(signal.toLowerCase());
        const own = await startNode();
        try {
          const port = await freePort();
          // Each pod adds something a careless shutdown would leave behind.
          const pods: Pod[] = [
            // A plain process plus an exec probe that is still running when the node stops.
            markedPod('plain', marker, {
              containers: [
                {
                  name: 'sleep',
                  image: 'busybox',
                  command: ['sleep', '1000'],
                  readinessProbe: {
                    exec: { command: ['sh', '-c', 'sleep 30'] },
                    timeoutSeconds: 40,
                    periodSeconds: 1,
                  },
                },
              ],
            }),
            // Ignores SIGTERM: only SIGKILL at the end of the grace period ends it.
            markedPod('stubborn', marker, {
              terminationGracePeriodSeconds: 2,
              containers: [
                {
                  name: 'stubborn',
                  image: 'busybox',
                  command: shCommand("trap '' TERM; exec sleep 1000", marker),
                },
              ],
            }),
            // A shell with background children.
            markedPod('tree', marker, {
              containers: [
                {
                  name: 'tree',
                  image: 'busybox',
                  command: shCommand('sleep 1000 & sleep 1000 & wait', marker),
                },
              ],
            }),
            // A child that leaves the process group and session.
            markedPod('escaper', marker, {
              containers: [
                { name: 'escaper', image: 'busybox', command: shCommand('setsid sleep 1000 & wait', marker) },
              ],
            }),
            // An app that handles SIGTERM itself.
            markedPod('app', marker, {
              containers: [
                {
                  name: 'web',
                  image: 'node:20-alpine',
                  command: appCommand('webserver', '--port', String(port)),
                  env: [POD_IP_ENV],
                },
              ],
            }),
          ];
          for (const p of pods) await own.createPod(p);
          for (const p of pods) {
            await own.waitForPod(
              p.metadata?.name as string,
              (x) => containerStatus(x)?.state?.running !== undefined,
              30_000,
            );
          }
          // Positive control, at least: sleep, the probe's `sh -c 'sleep 30'` (1 or 2), stubborn's
          // sleep, tree's sh + 2 sleeps, escaper's sh + sleep, node: 9.
          const before = await waitForProcessCount(marker, 9, 15_000);
          assert.ok(
            before.length >= 9,
            `expected ≥9 marked processes before the stop, found ${before.map(describeProcess).join('; ')}`,
          );

          const stopStarted = Date.now();
          const exit = await own.stop(signal, 60_000);
          const stopSeconds = (Date.now() - stopStarted) / 1000;
          assert.equal(exit.code, 0, `up should exit 0 after ${signal}; stderr:\n${own.stderr}`);
          // The longest grace here is stubborn's 2 s (the others exit on SIGTERM at once); the
          // in-flight exec probe must be cancelled, not waited for (it would take 30 s).
          assert.ok(stopSeconds < 15, `up took ${stopSeconds}s to stop after ${signal}`);
          const left = findProcessesWithMarker(marker);
          assert.deepEqual(
            left,
            [],
            `processes left after ${signal}: ${left.map(describeProcess).join('; ')}`,
          );
        } finally {
          await own.stop('SIGTERM');
          killProcessesWithMarker(marker);
        }
      },
    );
  }
});

/** Waits (polling /proc, the only place this state exists) until `min` marked processes run. */
async function waitForProcessCount(marker: string, min: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = findProcessesWithMarker(marker);
    if (pids.length >= min || Date.now() > deadline) return pids;
    await new Promise((r) => setTimeout(r, 100));
  }
}
