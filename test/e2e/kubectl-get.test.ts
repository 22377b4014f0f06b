/**
 * Server-side printing through the machine's real kubectl (issue 3 item 2, kubectl-surface §1.3):
 * the STATUS values a real cluster prints (Completed, CrashLoopBackOff with `N (Xs ago)`,
 * Terminating), the one-row Table of `get pod NAME`, `get events -o wide`, `--sort-by` (rows
 * carrying whole objects) and `-A --show-labels` (rows carrying metadata). The everyday
 * `get pods` / `-o wide` / `-w` / `get events` paths are in kubectl-read.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { headerColumns, tableRows } from '../helpers/cli-output.js';
import { markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('kubectl-get');
const DONE = uniqueName('done');
const CRASH = uniqueName('crash');
const STUCK = uniqueName('stuck');

let node: PodvisorNode;

function pod(name: string, script: string, extra: Partial<Pod['spec']> = {}): Pod {
  return markedPod(name, MARKER, {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox:1.36', command: shCommand(script, MARKER) }],
    ...extra,
  });
}

function ok(r: KubectlResult, what: string): string {
  assert.equal(
    r.code,
    0,
    `kubectl ${what} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
  );
  return r.stdout;
}

async function podRow(name: string): Promise<Record<string, string>> {
  const out = ok(await kubectl(node, ['get', 'pod', name]), `get pod ${name}`);
  assert.deepEqual(headerColumns(out), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  const rows = tableRows(out);
  assert.equal(rows.length, 1, out);
  return rows[0]!;
}

describe(
  'kubectl get prints server-side Tables like a real cluster (kubectl-surface §1.3)',
  { timeout: 180_000 },
  () => {
    before(async () => {
      node = await startNode();
      await node.createPod(pod(DONE, 'echo done', { restartPolicy: 'Never' }));
      await node.createPod(pod(CRASH, 'exit 1'));
      await node.createPod(
        pod(STUCK, "trap '' TERM; while :; do sleep 1; done", { terminationGracePeriodSeconds: 60 }),
      );
      await node.waitForPod(DONE, (p) => p.status?.phase === 'Succeeded', 30_000);
      await node.waitForPod(STUCK, (p) => p.status?.phase === 'Running', 30_000);
    });

    after(async () => {
      await closeKubectlFronts();
      await node?.stop();
      killProcessesWithMarker(MARKER);
    });

    test('§6.3 get pod NAME: a one-row Table; a finished pod is 0/1 Completed 0', async () => {
      const row = await podRow(DONE);
      assert.equal(row.NAME, DONE);
      assert.equal(row.READY, '0/1');
      assert.equal(row.STATUS, 'Completed');
      assert.equal(row.RESTARTS, '0');
      assert.match(row.AGE ?? '', /^\d+s$/);
    });

    test(
      '§6.3 a crash-looping pod: CrashLoopBackOff and RESTARTS "N (Xs ago)"',
      { timeout: 60_000 },
      async () => {
        // From the second exit on, the container spends 10 s, then 20 s, … waiting in back-off (spec §8 B).
        await node.waitForPod(
          CRASH,
          (p) =>
            (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 &&
            p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
          45_000,
        );
        const row = await podRow(CRASH);
        assert.equal(row.READY, '0/1');
        assert.equal(row.STATUS, 'CrashLoopBackOff');
        assert.match(row.RESTARTS ?? '', /^[2-9] \(\d+s ago\)$/);
      },
    );

    test('§6.3 a pod being deleted shows Terminating until its grace period runs out', async () => {
      ok(await kubectl(node, ['delete', 'pod', STUCK, '--wait=false']), 'delete --wait=false');
      const row = await podRow(STUCK);
      assert.equal(row.STATUS, 'Terminating');
      await node.deletePod(STUCK, { gracePeriodSeconds: 0 });
    });

    test('§2.5 get events -o wide: the ten upstream columns, SUBOBJECT and "kubelet, NODE" source', async () => {
      const out = ok(await kubectl(node, ['get', 'events', '-o', 'wide']), 'get events -o wide');
      assert.deepEqual(headerColumns(out), [
        'LAST SEEN',
        'TYPE',
        'REASON',
        'OBJECT',
        'SUBOBJECT',
        'SOURCE',
        'MESSAGE',
        'FIRST SEEN',
        'COUNT',
        'NAME',
      ]);
      const nodeName = (await node.getPod(DONE)).spec?.nodeName ?? '';
      const started = tableRows(out).find((r) => r.OBJECT === `pod/${DONE}` && r.REASON === 'Started');
      assert.ok(started, out);
      assert.equal(started.SUBOBJECT, 'spec.containers{main}');
      assert.equal(started.SOURCE, `kubelet, ${nodeName}`);
      assert.equal(started.COUNT, '1');
      assert.match(started.NAME ?? '', new RegExp(`^${DONE}\\.[0-9a-f]+$`));
    });

    test('§1.3 --sort-by (rows carry whole objects) and -A --show-labels (rows carry metadata)', async () => {
      const sorted = ok(
        await kubectl(node, ['get', 'pods', '--sort-by=.status.phase', '-l', `e2e-run=${MARKER.slice(-12)}`]),
        'get pods --sort-by',
      );
      const names = tableRows(sorted).map((r) => r.NAME);
      assert.equal(names[names.length - 1], DONE, `Succeeded sorts after Running:\n${sorted}`);
      const all = ok(
        await kubectl(node, ['get', 'pods', '-A', '--show-labels']),
        'get pods -A --show-labels',
      );
      assert.deepEqual(headerColumns(all), [
        'NAMESPACE',
        'NAME',
        'READY',
        'STATUS',
        'RESTARTS',
        'AGE',
        'LABELS',
      ]);
      const done = tableRows(all).find((r) => r.NAME === DONE);
      assert.equal(done?.NAMESPACE, 'default');
      assert.equal(done?.LABELS, `e2e-run=${MARKER.slice(-12)}`);
    });
  },
);
