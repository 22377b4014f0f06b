/**
 * The official JavaScript client (`@kubernetes/client-node` 1.x) against a podvisor node, through
 * its normal API (issue 3, "Must show"): typed list/read, a Watch seeing ADDED and MODIFIED, an
 * informer, pod logs both as one read and as a followed stream (the `Log` class), and events
 * filtered with a fieldSelector. The KubeConfig is built from the node's server and token only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PassThrough } from 'node:stream';
import {
  CoreV1Api,
  KubeConfig,
  Log,
  makeInformer,
  Watch,
  type CoreV1Event,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Pod } from '../../src/api/types.js';
import {
  containerStatus,
  isPodRunningReady,
  markedPod,
  newMarker,
  shCommand,
  uniqueName,
} from '../helpers/e2e-pods.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('client-node');
const TICKER = uniqueName('ticker');
let node: PodvisorNode;
let kc: KubeConfig;
let core: CoreV1Api;

/** Prints `tick N` every 200 ms; exits 3 after `ticks` lines when given (a container that restarts). */
function tickerPod(name: string, ticks?: number): Pod {
  const loop =
    ticks === undefined
      ? 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'
      : `i=0; while [ $i -lt ${ticks} ]; do i=$((i+1)); echo "tick $i"; sleep 0.2; done; exit 3`;
  return markedPod(name, MARKER, {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image: 'busybox:1.36', command: shCommand(loop, MARKER) }],
  });
}

function kubeConfigFor(n: PodvisorNode): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'podvisor', server: n.server, skipTLSVerify: true }],
    users: [{ name: 'podvisor', token: n.token }],
    contexts: [{ name: 'podvisor', cluster: 'podvisor', user: 'podvisor', namespace: 'default' }],
    currentContext: 'podvisor',
  });
  return config;
}

/** Resolves once `predicate` holds for something `subscribe` delivers; rejects after `timeoutMs`. */
function waitFor<T>(
  subscribe: (deliver: (value: T) => void) => void,
  predicate: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not seen within ${timeoutMs} ms`)), timeoutMs);
    subscribe((value) => {
      if (predicate(value)) {
        clearTimeout(timer);
        resolve(value);
      }
    });
  });
}

/** Follows a pod's log (the `Log` class) until `text` has been written; returns all that was read. */
async function followUntil(pod: string, text: string, timeoutMs = 15_000): Promise<string> {
  const out = new PassThrough();
  let seen = '';
  const found = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`log of ${pod}: ${JSON.stringify(text)} not seen; got ${seen}`)),
      timeoutMs,
    );
    out.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
  const controller = await new Log(kc).log('default', pod, 'main', out, { follow: true });
  try {
    return await found;
  } finally {
    controller.abort();
  }
}

describe(
  '@kubernetes/client-node against podvisor (kubectl-surface §1.5, §1.6, §2.4)',
  { timeout: 120_000 },
  () => {
    before(async () => {
      node = await startNode();
      kc = kubeConfigFor(node);
      core = kc.makeApiClient(CoreV1Api);
      await node.createPod(tickerPod(TICKER));
      await node.waitForPod(TICKER, isPodRunningReady, 30_000);
    });

    after(async () => {
      await node?.stop();
      killProcessesWithMarker(MARKER);
    });

    test('CoreV1Api.listNamespacedPod and readNamespacedPod decode typed pods', async () => {
      const list = await core.listNamespacedPod({ namespace: 'default', limit: 500 });
      assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
      const listed = list.items.find((p) => p.metadata?.name === TICKER);
      assert.ok(listed, 'the pod is listed');
      assert.equal(listed.status?.phase, 'Running');
      assert.ok(listed.metadata?.creationTimestamp instanceof Date, 'timestamps are decoded to Dates');

      const pod = await core.readNamespacedPod({ name: TICKER, namespace: 'default' });
      assert.equal(pod.metadata?.uid, listed.metadata?.uid);
      assert.equal(pod.spec?.containers[0]?.name, 'main');
      assert.ok(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt instanceof Date);

      const selected = await core.listNamespacedPod({
        namespace: 'default',
        fieldSelector: `metadata.name=${TICKER}`,
      });
      assert.deepEqual(
        selected.items.map((p) => p.metadata?.name),
        [TICKER],
      );
    });

    test('§1.4 a missing pod rejects with code 404 and the NotFound Status body', async () => {
      await assert.rejects(
        core.readNamespacedPod({ name: 'nosuch', namespace: 'default' }),
        (err: unknown) => {
          const e = err as { code?: number; body?: string };
          assert.equal(e.code, 404);
          const status = JSON.parse(e.body ?? '{}') as { kind?: string; reason?: string; message?: string };
          assert.equal(status.kind, 'Status');
          assert.equal(status.reason, 'NotFound');
          assert.equal(status.message, 'pods "nosuch" not found');
          return true;
        },
      );
    });

    test('§1.5 Watch from the list resourceVersion sees ADDED, then MODIFIED as the pod starts', async () => {
      const list = await core.listNamespacedPod({ namespace: 'default' });
      const name = uniqueName('watched');
      const seen: { type: string; pod: V1Pod }[] = [];
      let deliver: (ev: { type: string; pod: V1Pod }) => void = () => undefined;
      const watch = new Watch(kc);
      let ended: unknown = 'open';
      const controller = await watch.watch(
        '/api/v1/namespaces/default/pods',
        {
          resourceVersion: list.metadata?.resourceVersion,
          allowWatchBookmarks: true,
          fieldSelector: `metadata.name=${name}`,
        },
        (type: string, obj: V1Pod) => {
          seen.push({ type, pod: obj });
          deliver({ type, pod: obj });
        },
        (err: unknown) => (ended = err),
      );
      try {
        const running = waitFor<{ type: string; pod: V1Pod }>(
          (d) => (deliver = d),
          (ev) => ev.type === 'MODIFIED' && ev.pod.status?.phase === 'Running',
          30_000,
          `MODIFIED (Running) for ${name}`,
        );
        await node.createPod(tickerPod(name));
        await running;
        assert.equal(seen[0]?.type, 'ADDED', `first event: ${seen.map((e) => e.type).join(', ')}`);
        assert.equal(seen[0]?.pod.metadata?.name, name);
        assert.ok(
          seen.every((e) => e.type !== 'BOOKMARK' || e.pod.metadata?.resourceVersion),
          'a bookmark carries a resourceVersion',
        );
        assert.equal(ended, 'open', 'the stream stays open');
      } finally {
        controller.abort();
        await node.deletePod(name, { gracePeriodSeconds: 0 });
      }
    });

    test('§1.5 an informer (list + watch) reports add and update', async () => {
      const name = uniqueName('informed');
      const informer = makeInformer(
        kc,
        '/api/v1/namespaces/default/pods',
        () => core.listNamespacedPod({ namespace: 'default' }),
        `e2e-run=${MARKER.slice(-12)}`,
      );
      let onAdd: (pod: V1Pod) => void = () => undefined;
      let onUpdate: (pod: V1Pod) => void = () => undefined;
      informer.on('add', (pod: V1Pod) => onAdd(pod));
      informer.on('update', (pod: V1Pod) => onUpdate(pod));
      const existing = waitFor<V1Pod>(
        (d) => (onAdd = d),
        (p) => p.metadata?.name === TICKER,
        15_000,
        'add of the existing pod',
      );
      await informer.start();
      try {
        await existing;
        const added = waitFor<V1Pod>(
          (d) => (onAdd = d),
          (p) => p.metadata?.name === name,
          30_000,
          `add of ${name}`,
        );
        const updated = waitFor<V1Pod>(
          (d) => (onUpdate = d),
          (p) => p.metadata?.name === name && p.status?.phase === 'Running',
          30_000,
          `update of ${name} to Running`,
        );
        await node.createPod(tickerPod(name));
        await added;
        await updated;
        assert.equal(informer.get(name, 'default')?.status?.phase, 'Running');
      } finally {
        await informer.stop();
        await node.deletePod(name, { gracePeriodSeconds: 0 });
      }
    });

    test('§2.4 readNamespacedPodLog: the container output as text, with tailLines and previous', async () => {
      await followUntil(TICKER, 'tick 4\n');
      const log = await core.readNamespacedPodLog({
        name: TICKER,
        namespace: 'default',
        container: 'main',
        tailLines: 3,
      });
      assert.match(log, /^tick \d+\ntick \d+\ntick \d+\n$/);

      const name = uniqueName('restarting');
      await node.createPod(tickerPod(name, 3));
      try {
        await node.waitForPod(name, (p) => (containerStatus(p)?.restartCount ?? 0) >= 1, 30_000);
        const previous = await core.readNamespacedPodLog({
          name,
          namespace: 'default',
          container: 'main',
          previous: true,
        });
        assert.equal(previous, 'tick 1\ntick 2\ntick 3\n');
      } finally {
        await node.deletePod(name, { gracePeriodSeconds: 0 });
      }
    });

    test('§2.4 the Log class with follow streams new lines as they are written', async () => {
      const out = new PassThrough();
      let text = '';
      let deliver: (t: string) => void = () => undefined;
      out.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        deliver(text);
      });
      const firstTick = waitFor<string>(
        (d) => (deliver = d),
        (t) => /tick (\d+)\n/.test(t),
        10_000,
        'a first line',
      );
      const controller = await new Log(kc).log('default', TICKER, 'main', out, {
        follow: true,
        tailLines: 1,
      });
      try {
        const first = Number(/tick (\d+)\n/.exec(await firstTick)?.[1]);
        // Lines written after the request was made arrive on the same open stream.
        await waitFor<string>(
          (d) => (deliver = d),
          (t) => t.includes(`tick ${first + 3}\n`),
          10_000,
          `tick ${first + 3}`,
        );
        assert.ok(text.startsWith(`tick ${first}\ntick ${first + 1}\n`), text);
      } finally {
        controller.abort();
      }
    });

    test('§1.6 listNamespacedEvent with an involvedObject fieldSelector returns only that pod’s events', async () => {
      const pod = await core.readNamespacedPod({ name: TICKER, namespace: 'default' });
      const events = await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.uid=${pod.metadata?.uid},involvedObject.name=${TICKER},involvedObject.namespace=default`,
      });
      assert.ok(events.items.length > 0);
      assert.ok(events.items.every((e: CoreV1Event) => e.involvedObject.name === TICKER));
      const started = events.items.find((e: CoreV1Event) => e.reason === 'Started');
      assert.equal(started?.message, 'Started container main');
      assert.equal(started?.type, 'Normal');
      assert.equal(started?.involvedObject.kind, 'Pod');
      assert.ok(started?.lastTimestamp instanceof Date);

      const byReason = await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.name=${TICKER},reason=Started`,
      });
      assert.deepEqual(
        byReason.items.map((e: CoreV1Event) => e.reason),
        ['Started'],
      );
    });
  },
);
