/**
 * The probe timeline's model (web/src/timeline-model.ts): which marks, failure runs and restart
 * markers the dashboard draws for a container, from a hand-built ProbeHistory.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeHistory, ProbeHistoryEntry, ProbeRecord } from '../../../src/api/probe-history.js';
import type { Probe } from '../../../src/api/types.js';
import { describeProbe } from '../../../src/cli/printers/probe-line.js';
import { axisTicks, buildTimeline, probeLine, thresholdRuns } from '../../../web/src/timeline-model.js';

const NOW = Date.parse('2026-01-01T12:10:00.000Z');
const MIN = 60_000;

function rec(
  secondsAgo: number,
  verdict: ProbeRecord['verdict'],
  consecutive: number,
  extra: Partial<ProbeRecord> = {},
): ProbeRecord {
  return {
    time: new Date(NOW - secondsAgo * 1000).toISOString(),
    containerID: 'c1',
    verdict,
    latencyMs: 3,
    message: verdict === 'failure' ? 'HTTP probe failed with statuscode: 500' : '',
    consecutive,
    ...extra,
  };
}

function entry(
  probeType: ProbeHistoryEntry['probeType'],
  results: ProbeRecord[],
  container = 'app',
): ProbeHistoryEntry {
  return {
    container,
    probeType,
    handler: 'http-get http://:8080/healthz',
    periodSeconds: 1,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
    results,
  };
}

function history(probes: ProbeHistoryEntry[], restarts: ProbeHistory['restarts'] = []): ProbeHistory {
  return {
    apiVersion: 'podvisor.io/v1alpha1',
    kind: 'ProbeHistory',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    probes,
    restarts,
  };
}

describe('probe timeline model', () => {
  test('one row per probe of the container, startup then liveness then readiness (§2.3); other containers left out', () => {
    const h = history([
      entry('Readiness', [rec(5, 'success', 1)]),
      entry('Liveness', [rec(5, 'success', 1)]),
      entry('Startup', [rec(50, 'success', 1)]),
      entry('Liveness', [rec(5, 'failure', 1)], 'sidecar'),
    ]);
    const m = buildTimeline(h, 'app', NOW, 5 * MIN);
    assert.deepEqual(
      m.rows.map((r) => r.probeType),
      ['Startup', 'Liveness', 'Readiness'],
    );
    assert.equal(m.start, NOW - 5 * MIN);
    assert.equal(m.end, NOW);
  });

  test('marks only inside the window, placed by time, one kind per verdict; paused marks flagged and not counted as a run', () => {
    const h = history([
      entry('Liveness', [
        rec(400, 'failure', 1), // before a 5-minute window
        rec(300, 'success', 1), // exactly at the window start
        rec(150, 'warning', 2),
        rec(60, 'error', 0),
        rec(30, 'unknown', 0),
        rec(10, 'failure', 1, { paused: true }),
        rec(0, 'failure', 1),
      ]),
    ]);
    const row = buildTimeline(h, 'app', NOW, 5 * MIN).rows[0];
    assert.ok(row);
    assert.deepEqual(
      row.marks.map((k) => [k.kind, Number(k.x.toFixed(3)), k.paused]),
      [
        ['success', 0, false],
        ['warning', 0.5, false],
        ['error', 0.8, false],
        ['unknown', 0.9, false],
        ['failure', 0.967, true],
        ['failure', 1, false],
      ],
    );
    assert.deepEqual(row.counts, { success: 1, warning: 1, failure: 2, error: 1, unknown: 1 });
  });

  test('hover text carries time, verdict, latency, consecutive count against the threshold, and the message', () => {
    const h = history([entry('Liveness', [rec(12, 'failure', 2, { latencyMs: 1234 })])]);
    const mark = buildTimeline(h, 'app', NOW, 5 * MIN).rows[0]?.marks[0];
    assert.ok(mark);
    assert.match(
      mark.title,
      /^\d\d:\d\d:\d\d\.\d{3} \(12\.0s ago\) · failure · 1\.23 s · failure 2\/3\nHTTP probe failed with statuscode: 500$/,
    );
    const paused = buildTimeline(
      history([entry('Liveness', [rec(1, 'failure', 0, { paused: true })])]),
      'app',
      NOW,
      MIN,
    ).rows[0]?.marks[0];
    assert.match(paused?.title ?? '', /paused: not counted/);
  });

  test('the failure that reaches failureThreshold is flagged, and the edge that acted is kept (§2.2)', () => {
    const h = history([
      entry('Liveness', [
        rec(4, 'failure', 1),
        rec(3, 'failure', 2),
        rec(2, 'failure', 3, { acted: 'Failure' }),
      ]),
    ]);
    const marks = buildTimeline(h, 'app', NOW, MIN).rows[0]?.marks ?? [];
    assert.deepEqual(
      marks.map((k) => [k.consecutive, k.reachedThreshold, k.acted]),
      [
        [1, false, undefined],
        [2, false, undefined],
        [3, true, 'Failure'],
      ],
    );
  });

  test('a run of consecutive failures is a threshold run only when it reached failureThreshold', () => {
    const e = entry('Liveness', [
      rec(20, 'failure', 1),
      rec(19, 'failure', 2),
      rec(18, 'success', 1), // broke the run at 2 < 3
      rec(10, 'failure', 1),
      rec(9, 'error', 0), // discarded by the kubelet (§2.6): neither counts nor breaks the run
      rec(8, 'failure', 2, { paused: false }),
      rec(7, 'failure', 1, { paused: true }), // paused: not counted
      rec(6, 'failure', 3, { acted: 'Failure' }),
    ]);
    const runs = thresholdRuns(e);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.start, NOW - 10_000);
    assert.equal(runs[0]?.end, NOW - 6_000);
    assert.equal(runs[0]?.failures, 3);
    assert.match(
      runs[0]?.title ?? '',
      /^3 consecutive failures reached failureThreshold 3 \(first to last: 4\.0s\)$/,
    );
  });

  test('a run never spans two container instances: the band starts at the new instance', () => {
    const e = entry('Liveness', [
      rec(5, 'failure', 1),
      rec(4, 'failure', 2),
      rec(3, 'failure', 3, { containerID: 'c2' }),
    ]);
    assert.deepEqual(
      thresholdRuns(e).map((r) => [r.start, r.end]),
      [[NOW - 3000, NOW - 3000]],
    );
  });

  test('a run that started before the window is clipped to the window edge', () => {
    const e = entry('Readiness', [
      rec(70, 'failure', 1),
      rec(65, 'failure', 2),
      rec(50, 'failure', 3),
      rec(40, 'failure', 4),
    ]);
    const row = buildTimeline(history([e]), 'app', NOW, MIN).rows[0];
    assert.equal(row?.runs.length, 1);
    assert.equal(row?.runs[0]?.x0, 0);
    assert.equal(Number(row?.runs[0]?.x1.toFixed(3)), Number((20 / 60).toFixed(3)));
  });

  test('restart markers come from the probe restart records of this container, inside the window', () => {
    const h = history(
      [entry('Liveness', [])],
      [
        {
          time: new Date(NOW - 30_000).toISOString(),
          container: 'app',
          probeType: 'Liveness',
          containerID: 'c1',
          message: 'Container app failed liveness probe, will be restarted',
          verdicts: [],
        },
        {
          time: new Date(NOW - 20_000).toISOString(),
          container: 'sidecar',
          probeType: 'Liveness',
          containerID: 's1',
          message: 'x',
          verdicts: [],
        },
        {
          time: new Date(NOW - 90_000).toISOString(),
          container: 'app',
          probeType: 'Startup',
          containerID: 'c0',
          message: 'old',
          verdicts: [],
        },
      ],
    );
    const m = buildTimeline(h, 'app', NOW, MIN);
    assert.deepEqual(
      m.restarts.map((r) => [r.cause, r.x]),
      [['Liveness', 0.5]],
    );
    assert.match(
      m.restarts[0]?.title ?? '',
      /restart: Container app failed liveness probe, will be restarted$/,
    );
  });

  test("the container's last exit is a restart marker too, unless it is the end of a probe kill already drawn", () => {
    const kill = {
      time: new Date(NOW - 40_000).toISOString(),
      container: 'app',
      probeType: 'Liveness' as const,
      containerID: 'c1',
      message: 'killed',
      verdicts: [],
    };
    const h = history([entry('Liveness', [])], [kill]);
    // The killed instance's termination (same container ID): one marker.
    const byId = buildTimeline(h, 'app', NOW, MIN, {
      lastTermination: {
        finishedAt: new Date(NOW - 35_000).toISOString(),
        exitCode: 137,
        reason: 'Error',
        containerID: 'c1',
      },
    });
    assert.deepEqual(
      byId.restarts.map((r) => r.cause),
      ['Liveness'],
    );
    // Without an ID: finishedAt in whole seconds may read before the kill (-40.6 s vs -40 s) and still be the same kill.
    const truncated = buildTimeline(h, 'app', NOW, MIN, {
      lastTermination: { finishedAt: new Date(NOW - 40_600).toISOString(), exitCode: 143, reason: 'Error' },
    });
    assert.deepEqual(
      truncated.restarts.map((r) => r.cause),
      ['Liveness'],
    );
    // Another instance ended after the kill (its ID differs): two markers.
    const other = buildTimeline(h, 'app', NOW, MIN, {
      lastTermination: {
        finishedAt: new Date(NOW - 35_000).toISOString(),
        exitCode: 1,
        reason: 'Error',
        containerID: 'c2',
      },
    });
    assert.deepEqual(
      other.restarts.map((r) => r.cause),
      ['Liveness', 'exit'],
    );
    // An exit the probe did not cause (the process crashed by itself): drawn as such.
    const crash = buildTimeline(history([entry('Liveness', [])]), 'app', NOW, MIN, {
      lastTermination: { finishedAt: new Date(NOW - 10_000).toISOString(), exitCode: 1, reason: 'Error' },
    });
    assert.deepEqual(
      crash.restarts.map((r) => r.cause),
      ['exit'],
    );
    assert.match(crash.restarts[0]?.title ?? '', /container ended: exit code 1 \(Error\)$/);
  });

  test('empty state: no history or no probes for the container gives no rows', () => {
    assert.deepEqual(buildTimeline(undefined, 'app', NOW, MIN).rows, []);
    assert.deepEqual(buildTimeline(history([entry('Liveness', [])], []), 'other', NOW, MIN).rows, []);
  });

  test("the probe line is the CLI's describe line (§6.1) when the pod's probe is known", () => {
    const probes: Probe[] = [
      {
        httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
        initialDelaySeconds: 2,
        timeoutSeconds: 1,
        periodSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
      {
        httpGet: { path: '/a b?x', port: 'http', host: '::1', scheme: 'HTTPS' },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      {
        tcpSocket: { port: 5432 },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      {
        exec: { command: ['podvisor', 'check', 'log'] },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      {
        grpc: { port: 2379 },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
    ];
    for (const p of probes) assert.equal(probeLine(entry('Liveness', []), p), describeProbe(p));
  });

  test('without the pod, the line comes from the history and leaves out the delay it does not know', () => {
    assert.equal(
      probeLine(entry('Liveness', [])),
      'http-get http://:8080/healthz timeout=1s period=1s #success=1 #failure=3',
    );
  });

  test('axis ticks: every minute for 5 minutes, every 15 s for 1 minute, ending at now', () => {
    assert.deepEqual(
      axisTicks(5 * MIN).map((t) => t.label),
      ['-5m', '-4m', '-3m', '-2m', '-1m', 'now'],
    );
    assert.deepEqual(
      axisTicks(MIN).map((t) => [t.label, t.x]),
      [
        ['-1m', 0],
        ['-45s', 0.25],
        ['-30s', 0.5],
        ['-15s', 0.75],
        ['now', 1],
      ],
    );
    assert.deepEqual(
      axisTicks(15 * MIN).map((t) => t.label),
      ['-15m', '-12m', '-9m', '-6m', '-3m', 'now'],
    );
  });
});
