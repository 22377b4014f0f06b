/**
 * Issue 8 item 3 on a real node: `/metrics` (token required) carries the kubelet's prober
 * counters, and they move with the probes; restarts, CrashLoopBackOff and per-container CPU and
 * memory are there too, and a deleted pod's series go with it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod, Probe } from '../../src/api/types.js';
import { markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';
import { checkExposition, parseExposition, sampleValue } from '../helpers/prometheus-text.js';

const MARKER = newMarker('metrics');
const PERIOD_S = 1;
let node: PodvisorNode;

function probedPod(name: string, liveness: Probe, script = 'exec sleep 600'): Pod {
  return markedPod(name, MARKER, {
    containers: [{ name: 'app', image: 'app', command: shCommand(script, MARKER), livenessProbe: liveness }],
  });
}

/** `token: null` sends no Authorization header at all. */
async function scrape(
  token: string | null = node.token,
): Promise<{ status: number; text: string; at: number }> {
  const res = await fetch(`${node.server}/metrics`, {
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });
  return { status: res.status, text: await res.text(), at: Date.now() };
}

const total = (pod: string, result: string, uid: string): Record<string, string> => ({
  probe_type: 'Liveness',
  result,
  container: 'app',
  pod,
  namespace: 'default',
  pod_uid: uid,
});

/** Scrapes until `ok` holds for the exposition; fails with the last one after `timeoutMs`. */
async function scrapeUntil(ok: (text: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await scrape()).text;
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(
    `timed out waiting for ${what}; last scrape:\n${last
      .split('\n')
      .filter((l) => l.includes('pod='))
      .join('\n')}`,
  );
}

describe('e2e: /metrics', { timeout: 120_000 }, () => {
  before(async () => {
    node = await startNode();
  });

  after(async () => {
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test('/metrics needs the token: 401 without it or with a wrong one, 200 and valid exposition with it', async () => {
    assert.equal((await scrape(null)).status, 401);
    assert.equal((await scrape('not-the-token')).status, 401);
    const ok = await scrape();
    assert.equal(ok.status, 200);
    checkExposition(ok.text);
    // podvisor's own process, unprefixed as the kubelet exposes its process_* metrics.
    assert.ok(parseExposition(ok.text).some((s) => s.name === 'process_cpu_seconds_total'));
  });

  test('§2.2: prober_probe_total moves with a 1 s liveness probe (successful and failed), timed for successes only', async () => {
    const good = uniqueName('metrics-ok');
    const bad = uniqueName('metrics-fail');
    const every = { periodSeconds: PERIOD_S, exec: { command: ['true'] } };
    const goodPod = await node.createPod(probedPod(good, every));
    // failureThreshold far away: the failures are counted without a restart during the test.
    const badPod = await node.createPod(
      probedPod(bad, { periodSeconds: PERIOD_S, failureThreshold: 1000, exec: { command: ['false'] } }),
    );
    const goodUid = goodPod.metadata?.uid ?? '';
    const badUid = badPod.metadata?.uid ?? '';
    const first = await scrapeUntil(
      (t) =>
        (sampleValue(t, 'prober_probe_total', total(good, 'successful', goodUid)) ?? 0) >= 1 &&
        (sampleValue(t, 'prober_probe_total', total(bad, 'failed', badUid)) ?? 0) >= 1,
      30_000,
      'the first probe results of both pods',
    );
    const a = { at: Date.now(), text: first };
    await new Promise((r) => setTimeout(r, 5_000));
    const b = await scrape();
    const elapsedS = (b.at - a.at) / 1000;
    const moved = (pod: string, result: string, uid: string): number =>
      (sampleValue(b.text, 'prober_probe_total', total(pod, result, uid)) ?? 0) -
      (sampleValue(a.text, 'prober_probe_total', total(pod, result, uid)) ?? 0);
    // One run per period: elapsed/period runs, ±1 for the phase at each end, and one more
    // below for a tick a loaded machine made late (a late tick is dropped, never queued: §2.1).
    const expected = elapsedS / PERIOD_S;
    for (const [pod, result, uid] of [
      [good, 'successful', goodUid],
      [bad, 'failed', badUid],
    ] as const) {
      const n = moved(pod, result, uid);
      assert.ok(
        n >= Math.floor(expected) - 2 && n <= Math.ceil(expected) + 1,
        `${pod} ${result}: +${n} in ${elapsedS} s`,
      );
    }
    assert.equal(sampleValue(b.text, 'prober_probe_total', total(good, 'failed', goodUid)), undefined);
    assert.equal(sampleValue(b.text, 'prober_probe_total', total(bad, 'successful', badUid)), undefined);
    // The kubelet observes ProberDuration for successful runs only.
    const timed = (pod: string): Record<string, string> => ({
      probe_type: 'Liveness',
      container: 'app',
      pod,
      namespace: 'default',
    });
    assert.equal(
      sampleValue(b.text, 'prober_probe_duration_seconds_count', timed(good)),
      sampleValue(b.text, 'prober_probe_total', total(good, 'successful', goodUid)),
    );
    assert.equal(sampleValue(b.text, 'prober_probe_duration_seconds_count', timed(bad)), undefined);
    // The running container's processes: CPU time counted, memory resident.
    const usage = { container: 'app', pod: good, namespace: 'default' };
    assert.ok((sampleValue(b.text, 'container_cpu_usage_seconds_total', usage) ?? -1) >= 0);
    assert.ok((sampleValue(b.text, 'container_memory_rss', usage) ?? 0) > 0);

    // Deleting the pods takes their series away (no label growth from pods that are gone).
    await node.deletePod(good, { gracePeriodSeconds: 0 });
    await node.deletePod(bad, { gracePeriodSeconds: 0 });
    await scrapeUntil(
      (t) => !t.includes(`pod="${good}"`) && !t.includes(`pod="${bad}"`),
      30_000,
      'the deleted pods to leave /metrics',
    );
  });

  test('§4.5: restarts, the CrashLoopBackOff waiting reason and the back-off delay per container', async () => {
    const name = uniqueName('metrics-crash');
    const pod = await node.createPod(
      probedPod(name, { periodSeconds: 10, exec: { command: ['true'] } }, 'exit 1'),
    );
    const labels = { namespace: 'default', pod: name, uid: pod.metadata?.uid ?? '', container: 'app' };
    const text = await scrapeUntil(
      (t) =>
        sampleValue(t, 'kube_pod_container_status_waiting_reason', {
          ...labels,
          reason: 'CrashLoopBackOff',
        }) === 1,
      40_000,
      'CrashLoopBackOff in /metrics',
    );
    assert.ok((sampleValue(text, 'kube_pod_container_status_restarts_total', labels) ?? 0) >= 1);
    // The node's default initial back-off is 10 s, doubling: a whole multiple of 10 s.
    const backoff = sampleValue(text, 'podvisor_container_backoff_seconds', labels) ?? 0;
    assert.ok(backoff >= 10 && backoff % 10 === 0, `back-off ${backoff} s`);
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });
});
