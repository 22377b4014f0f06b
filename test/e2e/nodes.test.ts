/**
 * Virtual nodes (issue 4 item 3): `up --nodes 3` with short timeouts, the scheduler spreading
 * bare pods, `podvisor node stop` killing a node as a dying machine, the node lifecycle controller
 * marking it NotReady after the grace period and evicting its pods after the eviction timeout —
 * and a bare pod that is gone with its node, never recreated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { tableRows } from '../helpers/cli-output.js';
import { markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import {
  ApiError,
  findProcessesWithMarker,
  killProcessesWithMarker,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

const MARKERS = [newMarker('nodes-a'), newMarker('nodes-b'), newMarker('nodes-c')];
const PODS = [uniqueName('bare-a'), uniqueName('bare-b'), uniqueName('bare-c')];
const NODES = ['node-1', 'node-2', 'node-3'];
const RS_MARKER = newMarker('nodes-rs');
const STURDY_MARKER = newMarker('nodes-sturdy');
const STURDY = uniqueName('sturdy');
const RS = uniqueName('web');

let node: PodvisorNode;

interface NodeObject {
  metadata: { name: string };
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `kubectl ${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function barePod(name: string, marker: string, extra: Partial<Pod['spec']> = {}): Pod {
  return markedPod(name, marker, {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox:1.36', command: shCommand('sleep 600', marker) }],
    ...extra,
  });
}

/** The Deployment's pods that are not being deleted. */
async function liveReplicas(): Promise<Pod[]> {
  const list = await node.request<{ items: Pod[] }>(
    'GET',
    `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${RS}`)}`,
  );
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function getNode(name: string): Promise<NodeObject> {
  return node.request<NodeObject>('GET', `/api/v1/nodes/${name}`);
}

/** Polls through the API until `check` holds: node status changes are not streamed by the harness. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('virtual nodes: up --nodes 3 --node-monitor-grace-period 2s --pod-eviction-timeout 3s', () => {
  before(async () => {
    node = await startNode({
      flags: ['--nodes', '3', '--node-monitor-grace-period', '2s', '--pod-eviction-timeout', '3s'],
    });
  });

  after(async () => {
    await node?.stop();
    for (const m of [...MARKERS, RS_MARKER, STURDY_MARKER]) killProcessesWithMarker(m);
    await closeKubectlFronts();
  });

  test('issue 4 item 3: kubectl get nodes lists node-1..node-3 Ready, -o wide with the node info', async () => {
    const out = ok(await kubectl(node, ['get', 'nodes', '-o', 'wide']), 'get nodes -o wide');
    const rows = tableRows(out);
    assert.deepEqual(
      rows.map((r) => r.NAME),
      NODES,
    );
    for (const row of rows) {
      assert.equal(row.STATUS, 'Ready');
      assert.equal(row.ROLES, '<none>');
      assert.equal(row.VERSION, 'v1.33.0');
      assert.equal(row['INTERNAL-IP'], '127.0.0.1');
      assert.match(row['CONTAINER-RUNTIME'] ?? '', /^podvisor:\/\//);
    }
    // podvisor's own get prints the same server-side columns (no NAMESPACE: nodes are cluster-scoped).
    const own = await node.runCli(['get', 'nodes']);
    assert.equal(own.code, 0, own.stderr);
    assert.deepEqual(
      tableRows(own.stdout).map((r) => [r.NAME, r.STATUS, r.VERSION]),
      NODES.map((n) => [n, 'Ready', 'v1.33.0']),
    );
  });

  test('scheduler: bare pods spread one per node, Scheduled from default-scheduler', async () => {
    for (let i = 0; i < PODS.length; i++)
      await node.createPod(barePod(PODS[i] as string, MARKERS[i] as string));
    const placed = new Set<string>();
    for (const name of PODS) {
      const pod = await node.waitForPod(name, (p) => p.status?.phase === 'Running', 20_000);
      placed.add(pod.spec?.nodeName ?? '');
      const ev = await node.waitForEvent(`involvedObject.name=${name},reason=Scheduled`, () => true, 10_000);
      assert.equal(ev.source?.component, 'default-scheduler');
      assert.equal(ev.message, `Successfully assigned default/${name} to ${pod.spec?.nodeName}`);
    }
    assert.deepEqual([...placed].sort(), NODES);
  });

  test('scheduler: a Deployment of 3 gets one pod per node', async () => {
    const template = markedPod('', RS_MARKER, {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'busybox:1.36', command: shCommand('sleep 600', RS_MARKER) }],
    });
    await node.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: RS },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: RS } },
        template: { metadata: { labels: { app: RS } }, spec: template.spec },
      },
    });
    const pods = await eventually(
      'three running replicas',
      async () => {
        const live = await liveReplicas();
        return live.length === 3 && live.every((p) => p.status?.phase === 'Running') ? live : undefined;
      },
      20_000,
    );
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), NODES);
  });

  test('scheduler: a nodeSelector nothing matches gets FailedScheduling and stays Pending', async () => {
    const name = uniqueName('nowhere');
    await node.createPod(barePod(name, MARKERS[0] as string, { nodeSelector: { disk: 'ssd' } }));
    const ev = await node.waitForEvent(
      `involvedObject.name=${name},reason=FailedScheduling`,
      () => true,
      10_000,
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(
      ev.message,
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    const pod = await node.getPod(name);
    assert.equal(pod.spec?.nodeName, undefined);
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.reason, 'Unschedulable');
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });

  test('node stop: containers die at once, NotReady after the grace period, Deployment pods are replaced elsewhere, the bare pod is evicted and never recreated', async () => {
    const victim = await node.getPod(PODS[1] as string);
    const victimNode = victim.spec?.nodeName ?? '';
    const victimMarker = MARKERS[1] as string;
    assert.ok(findProcessesWithMarker(victimMarker).length > 0, 'the pod runs before the stop');
    // A pod pinned to the node that tolerates its unreachability forever: it waits for the node.
    await node.createPod(
      barePod(STURDY, STURDY_MARKER, {
        nodeName: victimNode,
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }],
      }),
    );
    const sturdyBefore = await node.waitForPod(STURDY, (p) => p.status?.phase === 'Running', 20_000);

    const stop = await node.runCli(['node', 'stop', victimNode]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `node/${victimNode} stopped\n`);
    // A machine losing power: its processes are gone well before any grace period could pass.
    await eventually(
      'the container processes to die',
      async () =>
        findProcessesWithMarker(victimMarker).length + findProcessesWithMarker(STURDY_MARKER).length === 0
          ? true
          : undefined,
      5_000,
    );

    const unknown = await eventually(
      'the node to go NotReady',
      async () => {
        const n = await getNode(victimNode);
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'Unknown' ? n : undefined;
      },
      15_000,
    );
    const ready = unknown.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'NodeStatusUnknown');
    assert.equal(ready?.message, 'Kubelet stopped posting node status.');
    assert.ok(
      unknown.spec?.taints?.some(
        (t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute',
      ),
    );
    const notReady = await node.waitForEvent(
      `involvedObject.name=${victimNode},reason=NodeNotReady`,
      () => true,
      5_000,
    );
    assert.equal(notReady.source?.component, 'node-controller');
    assert.equal(notReady.message, `Node ${victimNode} status is now: NodeNotReady`);
    const row = tableRows(ok(await kubectl(node, ['get', 'nodes']), 'get nodes')).find(
      (r) => r.NAME === victimNode,
    );
    assert.equal(row?.STATUS, 'NotReady');

    // Its pod: Ready=False at once, then marked for deletion after the eviction timeout.
    const evicted = await node.waitForEvent(
      `involvedObject.name=${PODS[1]},reason=TaintManagerEviction`,
      () => true,
      20_000,
    );
    assert.equal(evicted.message, `Marking for deletion Pod default/${PODS[1]}`);
    const terminating = await node.getPod(PODS[1] as string);
    assert.ok(terminating.metadata?.deletionTimestamp, 'the evicted pod is being deleted');
    assert.equal(terminating.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

    // The Deployment (through its ReplicaSet) replaces its evicted pod on the nodes that are still Ready.
    const replaced = await eventually(
      'the Deployment to replace its pod on the other nodes',
      async () => {
        const live = await liveReplicas();
        const ok =
          live.length === 3 &&
          live.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName !== victimNode);
        return ok ? live : undefined;
      },
      20_000,
    );
    assert.equal(new Set(replaced.map((p) => p.spec?.nodeName)).size, 2, 'spread over the two live nodes');

    // The other nodes' pods are untouched.
    for (const name of [PODS[0], PODS[2]] as string[]) {
      const p = await node.getPod(name);
      assert.equal(p.metadata?.deletionTimestamp, undefined);
      assert.equal(p.status?.phase, 'Running');
    }

    // The node comes back: its kubelet finishes the deletion; nothing recreates a bare pod.
    const start = await node.runCli(['node', 'start', victimNode]);
    assert.equal(start.code, 0, start.stderr);
    await eventually(
      'the node to be Ready again',
      async () =>
        (await getNode(victimNode)).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
          ? true
          : undefined,
      10_000,
    );
    await eventually(
      'the evicted pod to be gone',
      async () => {
        try {
          await node.getPod(PODS[1] as string);
          return undefined;
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) return true;
          throw err;
        }
      },
      15_000,
    );
    // The node's new kubelet announced itself: `Starting kubelet.` once per start.
    await eventually(
      'a second Starting event for the node',
      async () => {
        const started = await node.listEvents(`involvedObject.name=${victimNode},reason=Starting`);
        return started.reduce((n, e) => n + (e.count ?? 1), 0) >= 2 ? true : undefined;
      },
      5_000,
    );
    // The lifecycle controller's next monitor pass lifts the unreachable taints.
    await eventually(
      'the unreachable taints to be removed',
      async () => ((await getNode(victimNode)).spec?.taints === undefined ? true : undefined),
      5_000,
    );
    assert.equal(findProcessesWithMarker(victimMarker).length, 0, 'the bare pod was not recreated');
    // The tolerating pod stayed bound through the outage; the node's new kubelet restarts it.
    const sturdy = await node.waitForPod(
      STURDY,
      (p) =>
        p.status?.phase === 'Running' &&
        p.status.containerStatuses?.[0]?.containerID !==
          sturdyBefore.status?.containerStatuses?.[0]?.containerID &&
        p.status.containerStatuses?.[0]?.state?.running !== undefined,
      20_000,
    );
    assert.equal(sturdy.metadata?.deletionTimestamp, undefined);
    assert.equal(sturdy.spec?.nodeName, victimNode);
    assert.ok(findProcessesWithMarker(STURDY_MARKER).length > 0, 'its container runs again');
  });
});
