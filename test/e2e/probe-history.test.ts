/**
 * Issue 5 items 1–2 on a real node: an ordinary exec liveness probe running `podvisor check log`
 * is run in-process (the container's PATH has no podvisor, so a fork could not even find it) and
 * restarts the container with the check's reason in `Unhealthy`; the restart is in the pod's
 * podvisor.io ProbeHistory (served to kubectl and shown by `podvisor describe`), and
 * `podvisor check pod/NAME` runs a configured probe now with the kubelet's exact message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProbeHistory, ProbeRunReport } from '../../src/api/probe-history.js';
import type { Event, Pod } from '../../src/api/types.js';
import { containerStatus, markedPod, newMarker, summarizePod, uniqueName } from '../helpers/e2e-pods.js';
import { kubectl } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('probe-history');
const ORA = 'ORA-12518: TNS:listener could not hand off client connection';
/** A PATH with nothing in it: `podvisor` cannot be forked from the container's environment. */
const EMPTY_PATH = mkdtempSync(join(tmpdir(), 'podvisor-e2e-empty-path-'));
let node: PodvisorNode;

const historyPath = (name: string): string =>
  `/apis/podvisor.io/v1alpha1/namespaces/default/probehistories/${name}`;

function cdcPod(name: string): Pod {
  return markedPod(name, MARKER, {
    containers: [
      {
        name: 'worker',
        image: 'cdc-worker',
        command: [
          '/bin/sh',
          '-c',
          `echo connected; /bin/sleep 1; echo '${ORA}'; exec /bin/sleep 600`,
          MARKER,
        ],
        env: [{ name: 'PATH', value: EMPTY_PATH }],
        livenessProbe: {
          exec: {
            command: ['podvisor', 'check', 'log', '--match', 'ORA-', '--fail-on-match', '--window', '60s'],
          },
          periodSeconds: 1,
          failureThreshold: 2,
        },
      },
    ],
  });
}

/** A pod whose liveness check always fails but never acts within the test (failureThreshold 1000). */
function connPod(name: string): Pod {
  return markedPod(name, MARKER, {
    containers: [
      {
        name: 'app',
        image: 'app',
        command: ['/bin/sh', '-c', 'exec /bin/sleep 600', MARKER],
        env: [{ name: 'PATH', value: EMPTY_PATH }],
        livenessProbe: {
          exec: { command: ['podvisor', 'check', 'conn', '--remote-port', '1521'] },
          periodSeconds: 1,
          failureThreshold: 1000,
        },
        readinessProbe: {
          exec: { command: ['podvisor', 'check', 'silence', '--max', '1h'] },
          periodSeconds: 1,
        },
      },
    ],
  });
}

async function pollFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (v: T) => boolean,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms; last seen: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('probe history and in-process checks (issue 5)', { concurrency: true, timeout: 180_000 }, () => {
  before(async () => {
    node = await startNode();
  });

  after(async () => {
    await node?.stop();
    killProcessesWithMarker(MARKER);
    rmSync(EMPTY_PATH, { recursive: true, force: true });
  });

  test('an exec probe running `podvisor check log` runs in-process and restarts on the match; the history records why', async () => {
    const name = uniqueName('cdc');
    await node.createPod(cdcPod(name));
    const unhealthy: Event = await node.waitForEvent(
      `involvedObject.name=${name},reason=Unhealthy`,
      (ev) => (ev.message ?? '').includes('ORA-12518'),
      30_000,
    );
    assert.match(
      unhealthy.message ?? '',
      /^Liveness probe failed: .*ORA-12518: TNS:listener could not hand off/,
    );
    assert.doesNotMatch(unhealthy.message ?? '', /errored|not found in \$PATH/);
    const killing = await node.waitForEvent(`involvedObject.name=${name},reason=Killing`, () => true, 30_000);
    assert.equal(killing.message, 'Container worker failed liveness probe, will be restarted');
    await node.waitForPod(name, (p) => (containerStatus(p)?.restartCount ?? 0) >= 1, 30_000);

    const history = await node.request<ProbeHistory>('GET', historyPath(name));
    assert.equal(history.kind, 'ProbeHistory');
    assert.equal(history.metadata.name, name);
    const restart = history.restarts[0];
    assert.ok(restart, JSON.stringify(history));
    assert.equal(restart.message, 'Container worker failed liveness probe, will be restarted');
    assert.equal(restart.verdicts.length, 2);
    for (const v of restart.verdicts) {
      assert.equal(v.verdict, 'failure');
      assert.match(v.message, /ORA-12518/);
    }
    assert.equal(restart.verdicts[1]?.acted, 'Failure');

    const described = await node.runCli(['describe', 'pod', name]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /\nProbe History:\n {2}worker liveness: +exec \[podvisor check log/);
    assert.match(
      described.stdout,
      /\n {4}\d+s ago {2}failure {2}\d+ms {2}log .*ORA-12518.* {2}\(2\/2\) \[→ Failure\]\n/,
    );
    assert.match(
      described.stdout,
      /\n {2}Restarts caused by probes:\n {4}\d+s ago +worker liveness +Container worker failed liveness probe, will be restarted\n/,
    );
    assert.ok(described.stdout.indexOf('Probe History:') < described.stdout.indexOf('Events:'));
  });

  test('kubectl reads probehistories.podvisor.io: get -o yaml, the table, and api-resources', async () => {
    const name = uniqueName('conn');
    await node.createPod(connPod(name));
    await pollFor(
      'a counted liveness failure',
      () => node.request<ProbeHistory>('GET', historyPath(name)).catch(() => undefined),
      (h) => (h?.probes.find((p) => p.probeType === 'Liveness')?.results.length ?? 0) > 0,
      30_000,
    );
    const yaml = await kubectl(node, ['get', 'probehistories.podvisor.io', name, '-o', 'yaml']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^apiVersion: podvisor\.io\/v1alpha1\nkind: ProbeHistory\n/);
    assert.match(yaml.stdout, /handler: exec \[podvisor check conn --remote-port 1521\]/);
    const table = await kubectl(node, ['get', 'probehistories', name]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME +PROBES +LAST FAILURE +RESTARTS BY PROBES\n/);
    assert.match(
      table.stdout,
      new RegExp(`\\n${name} +readiness,liveness +\\d+s ago \\(app liveness\\) +0\\n`),
    );
    const resources = await kubectl(node, ['api-resources', '--api-group=podvisor.io']);
    assert.equal(resources.code, 0, resources.stderr);
    assert.match(resources.stdout, /\nprobehistories +podvisor\.io\/v1alpha1 +true +ProbeHistory\n/);
    const del = await kubectl(node, ['delete', 'probehistories.podvisor.io', name]);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /MethodNotAllowed/);
  });

  test('`podvisor check pod/NAME` runs the probe now and prints the exact kubelet message and when it would act', async () => {
    const name = uniqueName('check');
    await node.createPod(connPod(name));
    const ev = await node.waitForEvent(`involvedObject.name=${name},reason=Unhealthy`, () => true, 30_000);
    const human = await node.runCli(['check', `pod/${name}`]);
    assert.equal(human.code, 1, `a failing probe exits 1: ${human.stderr}`);
    assert.match(human.stdout, /\nVerdict: +failure\n/);
    assert.match(human.stdout, /\nLatency: +\d+ms\n/);
    assert.match(human.stdout, new RegExp(`\\nKubelet message: +${escapeRegExp(ev.message ?? '')}\\n`));
    assert.match(
      human.stdout,
      /\nWould act: +restart after \d+ more consecutive failures \(about \d+s at periodSeconds 1\); \d+ of 1000 so far\n/,
    );

    const json = await node.runCli([
      'check',
      `pod/${name}`,
      '-c',
      'app',
      '--probe',
      'liveness',
      '-o',
      'json',
    ]);
    const report = JSON.parse(json.stdout) as ProbeRunReport;
    assert.equal(report.kind, 'ProbeRunReport');
    assert.equal(report.kubeletMessage, ev.message, 'the same words as the worker`s Unhealthy event');
    assert.equal(report.current.result, 'Failure');

    const ready = await node.runCli(['check', `pod/${name}`, '--probe', 'readiness']);
    assert.equal(ready.code, 0, ready.stderr);
    assert.match(ready.stdout, /\nVerdict: +success\n/);
    assert.match(ready.stdout, /\nWould act: +readiness never restarts/);

    const missing = await node.runCli(['check', 'pod/no-such-pod']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NotFound.*no-such-pod/);
    const badContainer = await node.runCli(['check', `pod/${name}`, '-c', 'nope']);
    assert.equal(badContainer.code, 1);
    assert.match(badContainer.stderr, /container nope is not valid for pod .*: choose one of \[app\]/);
    const pod = await node.getPod(name);
    assert.equal(containerStatus(pod)?.restartCount, 0, summarizePod(pod));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
