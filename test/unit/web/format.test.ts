/**
 * The dashboard's pure helpers (web/src/format.ts, web/src/route.ts): the pods table's cells are
 * the CLI's (`kubectl get pods`, spec §6.3), the CrashLoopBackOff countdown counts down from the
 * last finish plus the back-off the kubelet announced (spec §4.2), and the hash routes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerStatus, Pod } from '../../../src/api/types.js';
import { podCells } from '../../../src/api/pod-summary.js';
import {
  backOffRemainingMs,
  countdownText,
  describeState,
  podRow,
  probesPausedUntil,
  rowTone,
  statusTone,
} from '../../../web/src/format.js';
import { parseRoute } from '../../../web/src/route.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (msBeforeNow: number): string =>
  new Date(NOW - msBeforeNow).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(statuses: ContainerStatus[], extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', creationTimestamp: iso(5 * 60_000), ...extra },
    spec: { containers: statuses.map((s) => ({ name: s.name, image: 'x' })) },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: statuses.every((s) => s.ready) ? 'True' : 'False' }],
      containerStatuses: statuses,
    },
  };
}

const running = (name: string, ready: boolean, restarts = 0): ContainerStatus => ({
  name,
  ready,
  restartCount: restarts,
  image: 'x',
  imageID: '',
  state: { running: { startedAt: iso(60_000) } },
});

function crashLooping(backOff: string, finishedMsAgo: number, restarts = 3): ContainerStatus {
  return {
    name: 'app',
    ready: false,
    restartCount: restarts,
    image: 'x',
    imageID: '',
    state: {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${backOff} restarting failed container=app pod=web_shop(1234)`,
      },
    },
    lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: iso(finishedMsAgo) } },
  };
}

describe('dashboard: the pods table is kubectl get pods (§6.3)', () => {
  test('READY, STATUS, RESTARTS and AGE are the CLI printer cells for the same pod', () => {
    const cases = [
      pod([running('app', true)]),
      pod([running('app', true), running('side', false, 2)]),
      pod([crashLooping('20s', 4000, 5)]),
      pod([running('app', true)], { deletionTimestamp: iso(1000) }),
    ];
    for (const p of cases) {
      const row = podRow(p, NOW);
      const cells = podCells(p, NOW);
      assert.deepEqual(
        [row.name, row.ready, row.status, row.restarts, row.age],
        [cells.name, cells.ready, cells.status, cells.restarts, cells.age],
      );
      assert.equal(row.namespace, 'shop');
    }
  });

  test('a crash-looping pod reads CrashLoopBackOff with `5 (4s ago)` restarts', () => {
    const row = podRow(pod([crashLooping('20s', 4000, 5)]), NOW);
    assert.deepEqual(
      [row.ready, row.status, row.restarts, row.age],
      ['0/1', 'CrashLoopBackOff', '5 (4s ago)', '5m'],
    );
  });

  test('STATUS tones: Running/Completed healthy, back-offs and errors failing, the rest in progress', () => {
    for (const s of ['Running', 'Completed']) assert.equal(statusTone(s), 'ok', s);
    for (const s of [
      'CrashLoopBackOff',
      'Error',
      'ImagePullBackOff',
      'Init:Error',
      'ExitCode:3',
      'OOMKilled',
    ])
      assert.equal(statusTone(s), 'bad', s);
    for (const s of ['Pending', 'ContainerCreating', 'NotReady', 'Terminating', 'Init:0/1'])
      assert.equal(statusTone(s), 'warn', s);
  });

  test('a Running pod with unready containers is shown in progress, not healthy', () => {
    assert.equal(rowTone(podRow(pod([running('app', true)]), NOW)), 'ok');
    assert.equal(rowTone(podRow(pod([running('app', false)]), NOW)), 'warn');
    assert.equal(rowTone(podRow(pod([crashLooping('10s', 0)]), NOW)), 'bad');
  });
});

describe('dashboard: the CrashLoopBackOff countdown (§4.2)', () => {
  test('remaining = lastState.terminated.finishedAt + the announced back-off − now', () => {
    assert.equal(backOffRemainingMs(crashLooping('20s', 4000), NOW), 16_000);
    assert.equal(backOffRemainingMs(crashLooping('1m20s', 20_000), NOW), 60_000);
    assert.equal(backOffRemainingMs(crashLooping('5m0s', 0), NOW), 300_000);
  });

  test('it counts down as the local clock moves, and stops at zero (the restart is due)', () => {
    const s = crashLooping('10s', 0);
    const seen = [0, 1000, 9500, 10_000, 30_000].map((t) => backOffRemainingMs(s, NOW + t));
    assert.deepEqual(seen, [10_000, 9000, 500, 0, 0]);
  });

  test('no countdown when not in CrashLoopBackOff, or when the message or finish time is missing', () => {
    assert.equal(backOffRemainingMs(running('app', true), NOW), undefined);
    const noMessage = crashLooping('10s', 0);
    noMessage.state!.waiting!.message = 'something else';
    assert.equal(backOffRemainingMs(noMessage, NOW), undefined);
    const noLast = crashLooping('10s', 0);
    delete noLast.lastState;
    assert.equal(backOffRemainingMs(noLast, NOW), undefined);
  });

  test('the countdown text: whole seconds rounded up, minutes past 60 s', () => {
    assert.deepEqual([0, 1, 999, 1000, 16_000, 59_001, 60_000, 65_000, 300_000].map(countdownText), [
      '0s',
      '1s',
      '1s',
      '1s',
      '16s',
      '1m00s',
      '1m00s',
      '1m05s',
      '5m00s',
    ]);
  });
});

describe('dashboard: container states and the probe pause', () => {
  test('state lines: running since when, waiting reason (message), terminated exit code', () => {
    assert.equal(describeState(running('a', true).state, NOW), 'Running, started 60s ago');
    assert.equal(
      describeState({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }, NOW),
      'Waiting: CrashLoopBackOff (back-off 10s)',
    );
    assert.equal(
      describeState(
        { terminated: { exitCode: 137, reason: 'Error', signal: 9, finishedAt: iso(3000) } },
        NOW,
      ),
      'Terminated: Error, exit code 137, signal 9, 3s ago',
    );
    assert.equal(describeState(undefined, NOW), 'unknown');
  });

  test('probes paused until the annotation time, not after it', () => {
    const paused = pod([running('a', true)], {
      annotations: { 'podvisor.io/probes-paused-until': iso(-60_000) },
    });
    assert.equal(probesPausedUntil(paused, NOW), NOW + 60_000);
    assert.equal(probesPausedUntil(paused, NOW + 60_000), undefined);
    assert.equal(probesPausedUntil(pod([running('a', true)]), NOW), undefined);
  });
});

describe('dashboard: hash routes', () => {
  test('each view, the pod detail and the namespace filter', () => {
    assert.deepEqual(parseRoute(''), { view: 'pods' });
    assert.deepEqual(parseRoute('#/pods'), { view: 'pods' });
    assert.deepEqual(parseRoute('#/pods?ns=shop'), { view: 'pods', namespace: 'shop' });
    assert.deepEqual(parseRoute('#/pods/shop/web-7d9c-x2x4q'), {
      view: 'pod',
      namespace: 'shop',
      name: 'web-7d9c-x2x4q',
    });
    assert.deepEqual(parseRoute('#/services'), { view: 'services' });
    assert.deepEqual(parseRoute('#/deployments'), { view: 'deployments' });
    assert.deepEqual(parseRoute('#/nodes'), { view: 'nodes' });
    assert.deepEqual(parseRoute('#/nonsense/x'), { view: 'pods' });
  });

  test('escaped names are decoded; a malformed escape stays as typed instead of breaking the page', () => {
    assert.deepEqual(parseRoute('#/pods/a%2Db/c'), { view: 'pod', namespace: 'a-b', name: 'c' });
    assert.deepEqual(parseRoute('#/pods/ns/%E0%A4%A'), { view: 'pod', namespace: 'ns', name: '%E0%A4%A' });
  });
});
