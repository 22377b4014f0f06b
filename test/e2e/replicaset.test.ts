/**
 * ReplicaSets through the real kubectl (issue 4 item 1): a ReplicaSet of 3 keeps 3 pods when one
 * is deleted, `kubectl scale rs` goes through the /scale subresource, `kubectl get rs,pods` prints
 * the upstream columns, and `kubectl delete rs` cascades to the pods (background propagation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import type { Pod } from '../../src/api/types.js';
import { newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('replicaset');
let node: PodvisorNode;

interface PodList {
  items: Pod[];
}

function ok(r: KubectlResult, what: string): string {
  assert.equal(
    r.code,
    0,
    `kubectl ${what} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
  );
  return r.stdout;
}

/**
 * `script` defaults to a plain sleep; the foreground-deletion test passes one that ignores SIGTERM
 * so its pods take the whole grace period to stop and the pending ReplicaSet is observable.
 */
function replicaSet(name: string, replicas: number, script = 'exec sleep 600'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: 'busybox', command: shCommand(script, MARKER) }],
        },
      },
    },
  };
}

/** Live (not terminating) pods of the ReplicaSet `name`. */
async function livePods(name: string): Promise<Pod[]> {
  const list = await node.request<PodList>(
    'GET',
    `/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`,
  );
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Polls the API until `check` holds (the controllers act asynchronously); fails with the last value. */
async function eventually<T>(
  read: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!check(last)) {
    if (Date.now() > deadline)
      assert.fail(`condition not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

describe('ReplicaSets through kubectl (issue 4 item 1)', { timeout: 180_000 }, () => {
  before(async () => {
    node = await startNode();
  });

  after(async () => {
    await closeKubectlFronts();
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test('a ReplicaSet of 3 keeps 3 pods when one is deleted', { timeout: 60_000 }, async () => {
    const name = uniqueName('rs');
    assert.equal(
      ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(replicaSet(name, 3)) }), 'apply'),
      `replicaset.apps/${name} created\n`,
    );
    const first = await eventually(
      () => livePods(name),
      (p) => p.length === 3,
      20_000,
    );
    for (const p of first) assert.match(p.metadata?.name ?? '', new RegExp(`^${name}-[a-z0-9]{5}$`));
    const victim = first[0]?.metadata?.name as string;
    ok(await kubectl(node, ['delete', 'pod', victim, '--wait=false']), 'delete pod');
    const after = await eventually(
      () => livePods(name),
      (p) => p.length === 3 && !p.some((x) => x.metadata?.name === victim),
      20_000,
    );
    assert.equal(after.length, 3);
    const events = await node.listEvents(`involvedObject.name=${name},reason=SuccessfulCreate`);
    assert.ok(events.length >= 1);
    assert.equal(events[0]?.source?.component, 'replicaset-controller');
    assert.match(events[0]?.message ?? '', new RegExp(`^Created pod: ${name}-[a-z0-9]{5}$`));
  });

  test('kubectl scale rs, kubectl get rs,pods, kubectl delete rs cascades', { timeout: 90_000 }, async () => {
    const name = uniqueName('sc');
    ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(replicaSet(name, 1)) }), 'apply');
    await eventually(
      () => livePods(name),
      (p) => p.length === 1,
      20_000,
    );
    assert.equal(
      ok(await kubectl(node, ['scale', 'rs', name, '--replicas=2']), 'scale'),
      `replicaset.apps/${name} scaled\n`,
    );
    await eventually(
      () => livePods(name),
      (p) => p.length === 2,
      20_000,
    );
    const table = ok(await kubectl(node, ['get', `rs/${name}`]), 'get rs');
    const [header, row] = table.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    assert.match(row ?? '', new RegExp(`^${name}\\s+2\\s+2\\s+\\d\\s+\\S+$`));
    const wide = ok(await kubectl(node, ['get', 'rs', name, '-o', 'wide']), 'get rs -o wide');
    assert.match(wide.split('\n')[0] ?? '', /CONTAINERS\s+IMAGES\s+SELECTOR$/);
    assert.match(wide.split('\n')[1] ?? '', new RegExp(`app\\s+busybox\\s+app=${name}$`));
    const both = ok(await kubectl(node, ['get', 'rs,pods']), 'get rs,pods');
    assert.match(both, new RegExp(`replicaset\\.apps/${name}\\s+2\\s+2`));
    assert.equal((both.match(new RegExp(`pod/${name}-[a-z0-9]{5}`, 'g')) ?? []).length, 2);

    ok(await kubectl(node, ['delete', 'rs', name, '--wait=false']), 'delete rs');
    await eventually(
      () => livePods(name),
      (p) => p.length === 0,
      20_000,
    );
    const gone = await kubectl(node, ['get', 'rs', name]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
  });

  test(
    'kubectl delete rs --cascade=foreground: the ReplicaSet stays until its pods are gone',
    { timeout: 60_000 },
    async () => {
      const name = uniqueName('fg');
      // The pods ignore SIGTERM, so they stop only at the 1 s grace period's SIGKILL: the
      // ReplicaSet must be seen pending (finalizer set) in that window, not raced by a fast exit.
      const ignoreTerm = "trap '' TERM; exec sleep 600";
      ok(
        await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(replicaSet(name, 2, ignoreTerm)) }),
        'apply',
      );
      await eventually(
        () => livePods(name),
        (p) => p.length === 2,
        20_000,
      );
      ok(await kubectl(node, ['delete', 'rs', name, '--cascade=foreground', '--wait=false']), 'delete rs');
      const pending = await node.request<{ metadata: { finalizers?: string[]; deletionTimestamp?: string } }>(
        'GET',
        `/apis/apps/v1/namespaces/default/replicasets/${name}`,
      );
      assert.deepEqual(pending.metadata.finalizers, ['foregroundDeletion']);
      assert.ok(pending.metadata.deletionTimestamp);
      await eventually(
        async () => (await kubectl(node, ['get', 'rs', name])).code,
        (code) => code !== 0,
        20_000,
      );
      assert.equal((await livePods(name)).length, 0);
    },
  );

  test('podvisor get rs, scale rs, delete rs', { timeout: 60_000 }, async () => {
    const name = uniqueName('cli');
    ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(replicaSet(name, 1)) }), 'apply');
    await eventually(
      () => livePods(name),
      (p) => p.length === 1,
      20_000,
    );
    const scaled = await node.runCli(['scale', 'rs', name, '--replicas', '2']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.equal(scaled.stdout, `replicaset.apps/${name} scaled\n`);
    await eventually(
      () => livePods(name),
      (p) => p.length === 2,
      20_000,
    );
    const got = await node.runCli(['get', 'rs', name]);
    assert.equal(got.code, 0, got.stderr);
    const [header, row] = got.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    assert.match(row ?? '', new RegExp(`^${name}\\s+2\\s+2\\s+\\d\\s+\\S+$`));
    const deleted = await node.runCli(['delete', 'rs', name]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `replicaset.apps "${name}" deleted\n`);
    await eventually(
      () => livePods(name),
      (p) => p.length === 0,
      20_000,
    );
  });
});
