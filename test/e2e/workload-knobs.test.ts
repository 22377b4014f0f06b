/**
 * Issue 5 item 3, the workload knobs, with real processes: `liveness-action: report` keeps a pod
 * up with Healthy=False then True; `crashloop-backoff` restarts a crashing pod on its own faster
 * schedule; a Deployment with `liveness-restart-budget: 1` whose 3 replicas fail liveness
 * together is restarted one pod at a time; `podvisor probes pause` holds back a failing liveness
 * probe and the pause ends by itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Container, EnvVar, Pod } from '../../src/api/types.js';
import type { Deployment } from '../../src/controllers/deployment-util.js';
import {
  containerStatus,
  markedPod,
  newMarker,
  shCommand,
  uniqueName,
  MARKER_ENV,
} from '../helpers/e2e-pods.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('knobs');
const HEALTHY = 'podvisor.io/Healthy';
let node: PodvisorNode;
let dir: string;

const POD_NAME_ENV: EnvVar = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };

/** Liveness that fails while `flag` exists (period 1 s, threshold 1). */
function flagLiveness(flag: string): Container['livenessProbe'] {
  return { exec: { command: ['sh', '-c', `test ! -e ${flag}`] }, periodSeconds: 1, failureThreshold: 1 };
}

const idle = (log: string): string[] =>
  shCommand(
    `echo "start $(date +%s%3N)" >> ${log}; trap 'echo "term $(date +%s%3N)" >> ${log}; exit 0' TERM; while true; do sleep 0.1; done`,
    MARKER,
  );

function healthy(p: Pod): { status?: string; reason?: string; message?: string } | undefined {
  return p.status?.conditions?.find((c) => c.type === HEALTHY);
}

describe('workload knobs (issue 5 item 3)', { timeout: 180_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-knobs-'));
    node = await startNode({ flags: ['--crash-loop-backoff-reset', '5m'] });
  });

  after(async () => {
    await node?.stop();
    killProcessesWithMarker(MARKER);
    await rm(dir, { recursive: true, force: true });
  });

  test('liveness-action: report — the pod stays up with Healthy=False, then True; no restart', async () => {
    const name = uniqueName('report');
    const flag = join(dir, `${name}.flag`);
    const p = markedPod(name, MARKER, {
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: idle(join(dir, `${name}.log`)),
          livenessProbe: flagLiveness(flag),
        },
      ],
    });
    p.metadata = { ...p.metadata, annotations: { 'podvisor.io/liveness-action': 'report' } };
    await node.createPod(p);
    await node.waitForPod(name, (x) => healthy(x)?.status === 'True', 20_000);
    await writeFile(flag, '');
    const sick = await node.waitForPod(name, (x) => healthy(x)?.status === 'False', 20_000);
    assert.equal(healthy(sick)?.reason, 'LivenessProbeFailed');
    assert.equal(
      healthy(sick)?.message,
      'Container app failed liveness probe; not restarted (podvisor.io/liveness-action: report)',
    );
    const ev = await node.waitForEvent(
      `involvedObject.name=${name},reason=LivenessFailureReported`,
      () => true,
      10_000,
    );
    assert.equal(ev.type, 'Warning');
    await rm(flag);
    const well = await node.waitForPod(name, (x) => healthy(x)?.status === 'True', 20_000);
    assert.equal(containerStatus(well)?.restartCount, 0);
    assert.equal(well.status?.phase, 'Running');
    assert.equal((await node.podEvents(name, 'Killing')).length, 0);
    const described = await node.runCli(['describe', 'pod', name]);
    assert.match(described.stdout, /Liveness action: +report: /);
  });

  test('crashloop-backoff: initial=1s,max=2s restarts a crashing pod every ~2 s, not 10, 20, 40 s', async () => {
    const name = uniqueName('crashy');
    const p = markedPod(name, MARKER, {
      containers: [{ name: 'app', image: 'busybox', command: shCommand('exit 1', MARKER) }],
    });
    p.metadata = { ...p.metadata, annotations: { 'podvisor.io/crashloop-backoff': 'initial=1s,max=2s' } };
    const created = await node.createPod(p);
    const t0 = Date.now();
    // The kubelet schedule (0, 10, 20 s) would reach 4 restarts after ~70 s; this one in ~5 s.
    const fourth = await node.waitForPod(name, (x) => (containerStatus(x)?.restartCount ?? 0) >= 4, 20_000);
    assert.ok(Date.now() - t0 < 15_000, `4 restarts took ${Date.now() - t0} ms`);
    assert.ok(containerStatus(fourth));
    const waiting = await node.waitForPod(
      name,
      (x) => containerStatus(x)?.state?.waiting?.reason === 'CrashLoopBackOff',
      10_000,
    );
    assert.equal(
      containerStatus(waiting)?.state?.waiting?.message,
      `back-off 2s restarting failed container=app pod=${name}_default(${created.metadata?.uid ?? ''})`,
    );
    const described = await node.runCli(['describe', 'pod', name]);
    assert.match(described.stdout, /Crash loop back-off: +initial=1s, max=2s\n/);
  });

  test('liveness-restart-budget: 1 — 3 replicas failing together are restarted one at a time', async () => {
    const flag = join(dir, 'budget.flag');
    const log = join(dir, 'budget.log');
    await writeFile(flag, '0');
    // Each instance copies the flag's generation when it starts and is Ready 2 s later (its ready
    // file goes at SIGTERM, so a new instance is never Ready early); its liveness fails while the
    // flag holds a newer generation than it saw.
    const script =
      `cp ${flag} ${dir}/seen-$POD_NAME; rm -f ${dir}/ready-$POD_NAME; echo "start $POD_NAME $(date +%s%3N)" >> ${log}; ` +
      `trap 'rm -f ${dir}/ready-$POD_NAME; echo "term $POD_NAME $(date +%s%3N)" >> ${log}; exit 0' TERM; ` +
      `sleep 2; touch ${dir}/ready-$POD_NAME; ` +
      `echo "ready $POD_NAME $(date +%s%3N)" >> ${log}; while true; do sleep 0.1; done`;
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'budget',
        namespace: 'default',
        annotations: { 'podvisor.io/liveness-restart-budget': '1' },
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'budget' } },
        template: {
          metadata: { labels: { app: 'budget' } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: 'app',
                image: 'busybox',
                command: shCommand(script, MARKER),
                env: [POD_NAME_ENV, { name: MARKER_ENV, value: MARKER }],
                livenessProbe: {
                  exec: { command: ['sh', '-c', `cmp -s ${flag} ${dir}/seen-$POD_NAME`] },
                  periodSeconds: 1,
                  failureThreshold: 1,
                  // Only the flag may fail it: on a starved machine a 1 s exec timeout killed a
                  // restarted replica a second time.
                  timeoutSeconds: 5,
                },
                readinessProbe: {
                  exec: { command: ['sh', '-c', `test -e ${dir}/ready-$POD_NAME`] },
                  periodSeconds: 1,
                },
              },
            ],
          },
        },
      },
    };
    await node.request('POST', '/apis/apps/v1/namespaces/default/deployments', d);
    const list = async (): Promise<Pod[]> =>
      (
        await node.request<{ items: Pod[] }>(
          'GET',
          '/api/v1/namespaces/default/pods?labelSelector=app%3Dbudget',
        )
      ).items;
    await waitFor(
      async () => {
        const pods = await list();
        return (
          pods.length === 3 &&
          pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        );
      },
      30_000,
      'the 3 replicas Ready',
    );
    const rs = await node.request<{ items: { metadata: { annotations?: Record<string, string> } }[] }>(
      'GET',
      '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dbudget',
    );
    assert.equal(rs.items[0]?.metadata.annotations?.['podvisor.io/liveness-restart-budget'], '1');

    await writeFile(flag, '1'); // a shared outage: every replica's liveness fails at once
    await waitFor(
      async () =>
        (await list()).every(
          (p) =>
            containerStatus(p)?.restartCount === 1 &&
            p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ),
      60_000,
      'each replica restarted once and Ready again',
    );
    // From the containers' own clocks: a pod is being restarted from its SIGTERM until its new
    // instance is ready; those windows never overlap.
    const lines = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const windows = lines
      .filter(([kind]) => kind === 'term')
      .map(([, pod, at]) => {
        const ready = lines.find(([k, p, t]) => k === 'ready' && p === pod && Number(t) > Number(at));
        assert.ok(
          ready,
          `no ready line after the restart of ${pod}:\n${lines.map((l) => l.join(' ')).join('\n')}`,
        );
        return { pod, from: Number(at), to: Number(ready[2]) };
      })
      .sort((a, b) => a.from - b.from);
    assert.equal(windows.length, 3, lines.join('\n'));
    for (let i = 1; i < windows.length; i++) {
      assert.ok(
        windows[i]!.from >= windows[i - 1]!.to,
        `two pods being restarted at once: ${JSON.stringify(windows)}`,
      );
    }
    const deferred = await node.listEvents('reason=LivenessRestartDeferred');
    assert.ok(deferred.length >= 2, `deferred events: ${deferred.length}`);
    assert.match(
      deferred[0]?.message ?? '',
      /^Liveness restart of container app deferred: 1 of 1 pods of ReplicaSet budget-[a-z0-9]+ are being restarted \(podvisor\.io\/liveness-restart-budget: 1\)$/,
    );
  });

  // 8 s, not less: a kubelet that sees the annotation only after it expired reports the pause as
  // already ended (ProbesResumed, no ProbesPaused) — right, but not what this test is about, and a
  // loaded CI machine has delayed the pod update by more than 3 s.
  test('probes pause: shown by describe; a failing liveness probe does not restart; a pause ends by itself', async () => {
    const name = uniqueName('paused');
    const flag = join(dir, `${name}.flag`);
    const log = join(dir, `${name}.log`);
    await node.createPod(
      markedPod(name, MARKER, {
        terminationGracePeriodSeconds: 2,
        containers: [
          { name: 'app', image: 'busybox', command: idle(log), livenessProbe: flagLiveness(flag) },
        ],
      }),
    );
    await node.waitForPod(name, (x) => containerStatus(x)?.state?.running !== undefined, 20_000);
    const pause = async (duration: string): Promise<{ text: string; until: number }> => {
      const paused = await node.runCli(['probes', 'pause', name, '--for', duration]);
      assert.equal(paused.code, 0, paused.stderr);
      const m = /^pod\/\S+ probes paused until (\S+) \(liveness and startup do not act\)\n$/.exec(
        paused.stdout,
      );
      assert.ok(m, paused.stdout);
      const text = m[1] ?? '';
      await node.waitForEvent(
        `involvedObject.name=${name},reason=ProbesPaused`,
        (e) => e.message === `Liveness and startup probes paused until ${text}`,
        15_000,
      );
      return { text, until: Date.parse(text) };
    };
    // A long pause first, so describe certainly sees it running (a loaded CI machine once took
    // 10 s to start the describe CLI, past a short pause).
    await pause('10m');
    const described = await node.runCli(['describe', 'pod', name]);
    assert.match(
      described.stdout,
      /Probes: +paused until \S+ \([0-9hms]+ left\): liveness and startup do not act/,
    );
    // Then a short one in its place: the kubelet has taken it (its event), and liveness fails.
    const { until } = await pause('12s');
    await writeFile(flag, '');
    const flaggedAt = Date.now();
    assert.ok(flaggedAt < until, `liveness failed only ${flaggedAt - until} ms after the pause ended`);

    await node.waitForEvent(`involvedObject.name=${name},reason=ProbesResumed`, () => true, 20_000);
    const restarted = await node.waitForPod(name, (x) => containerStatus(x)?.restartCount === 1, 15_000);
    assert.equal(restarted.metadata?.annotations?.['podvisor.io/probes-paused-until'], undefined);
    const term = (await readFile(log, 'utf8')).split('\n').find((l) => l.startsWith('term '));
    assert.ok(term);
    assert.ok(Number(term.split(' ')[1]) >= until, `killed at ${term} before the pause ended at ${until}`);
  });
});

async function waitFor(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
