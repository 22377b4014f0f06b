import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeHistory, ProbeRunReport } from '../../../src/api/probe-history.js';
import { parseCheckPodArgs } from '../../../src/cli/commands/check-pod.js';
import { describePod } from '../../../src/cli/printers/describe-pod.js';
import { describeProbeHistory } from '../../../src/cli/printers/probe-history-section.js';
import { formatProbeRunReport } from '../../../src/cli/printers/probe-run-report.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString();

const history: ProbeHistory = {
  apiVersion: 'podvisor.io/v1alpha1',
  kind: 'ProbeHistory',
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  probes: [
    {
      container: 'app',
      probeType: 'Liveness',
      handler: 'http-get http://:8080/healthz',
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
      results: [
        ...Array.from({ length: 12 }, (_, i) => ({
          time: ago(200 - i * 10),
          containerID: 'c1',
          verdict: 'success' as const,
          latencyMs: 3,
          message: '',
          consecutive: i + 1,
        })),
        {
          time: ago(32),
          containerID: 'c1',
          verdict: 'failure',
          latencyMs: 1000,
          message: 'HTTP probe failed with statuscode: 500',
          consecutive: 2,
        },
        {
          time: ago(22),
          containerID: 'c1',
          verdict: 'failure',
          latencyMs: 1000,
          message: 'HTTP probe failed with statuscode: 500',
          consecutive: 3,
          acted: 'Failure',
        },
        {
          time: ago(12),
          containerID: 'c2',
          verdict: 'failure',
          latencyMs: 2,
          message: 'x',
          consecutive: 0,
          paused: true,
        },
      ],
    },
  ],
  restarts: [
    {
      time: ago(21),
      container: 'app',
      probeType: 'Liveness',
      containerID: 'c1',
      message: 'Container app failed liveness probe, will be restarted',
      verdicts: [
        {
          time: ago(22),
          containerID: 'c1',
          verdict: 'failure',
          latencyMs: 1000,
          message: 'HTTP probe failed with statuscode: 500',
          consecutive: 3,
          acted: 'Failure',
        },
      ],
    },
  ],
};

describe('podvisor check pod/NAME (issue 5 item 1)', () => {
  test('arguments: pod/NAME then -c, --probe, -n, -o in any order (and --flag=value)', () => {
    assert.deepEqual(
      parseCheckPodArgs(['pod/web', '-c', 'app', '--probe', 'readiness', '-n', 'ns', '-o', 'json']),
      { pod: 'web', namespace: 'ns', request: { container: 'app', probe: 'readiness' }, output: 'json' },
    );
    assert.deepEqual(parseCheckPodArgs(['pods/web', '--container=side']), {
      pod: 'web',
      namespace: 'default',
      request: { container: 'side' },
    });
    assert.throws(
      () => parseCheckPodArgs(['pod/web', '--probe', 'live']),
      /use one of liveness, readiness, startup/,
    );
    assert.throws(() => parseCheckPodArgs(['pod/web', '-c']), /-c needs a value/);
    assert.throws(() => parseCheckPodArgs(['pod/web', '--bogus']), /unknown argument "--bogus"/);
    assert.throws(() => parseCheckPodArgs(['pod/']), /name the pod/);
  });

  test('the human report: verdict, latency, the kubelet message and when it would act', () => {
    const report: ProbeRunReport = {
      apiVersion: 'podvisor.io/v1alpha1',
      kind: 'ProbeRunReport',
      pod: 'web',
      namespace: 'default',
      container: 'app',
      containerID: 'podvisor://c1',
      probeType: 'Liveness',
      handler: 'http-get http://:8080/healthz',
      verdict: 'failure',
      latencyMs: 1002,
      output: 'HTTP probe failed with statuscode: 500',
      kubeletMessage: 'Liveness probe failed: HTTP probe failed with statuscode: 500',
      current: { result: 'Failure', count: 1 },
      wouldAct: 'restart after 2 more consecutive failures (about 20s at periodSeconds 10); 1 of 3 so far',
    };
    assert.equal(
      formatProbeRunReport(report),
      [
        'Pod:              default/web',
        'Container:        app (podvisor://c1)',
        'Probe:            liveness http-get http://:8080/healthz',
        'Verdict:          failure',
        'Latency:          1.0s',
        'Output:           HTTP probe failed with statuscode: 500',
        'Kubelet message:  Liveness probe failed: HTTP probe failed with statuscode: 500',
        "Worker's run:     Failure × 1",
        'Would act:        restart after 2 more consecutive failures (about 20s at periodSeconds 10); 1 of 3 so far',
        '',
      ].join('\n'),
    );
  });
});

describe('describe pod: Probe History (issue 5 item 2)', () => {
  test('the last 10 results per probe as compact lines, then the restarts probes caused with their verdicts', () => {
    const text = describeProbeHistory(history, NOW);
    const lines = text.split('\n');
    assert.equal(lines[0], 'Probe History:');
    assert.equal(lines[1], '  app liveness:  http-get http://:8080/healthz period=10s #failure=3');
    const results = lines.filter(
      (l) => l.startsWith('    ') && !l.startsWith('      ') && / ago {2}/.test(l),
    );
    assert.equal(results.length, 10 + 1, '10 results and one restart line');
    assert.ok(lines.includes('    32s ago  failure  1.0s  HTTP probe failed with statuscode: 500  (2/3)'));
    assert.ok(
      lines.includes('    22s ago  failure  1.0s  HTTP probe failed with statuscode: 500  (3/3) [→ Failure]'),
    );
    assert.ok(lines.includes('    12s ago  failure  2ms  x  [paused: not counted]'));
    const r = lines.indexOf('  Restarts caused by probes:');
    assert.ok(r > 0);
    assert.equal(
      lines[r + 1],
      '    21s ago  app liveness  Container app failed liveness probe, will be restarted',
    );
    assert.equal(
      lines[r + 2],
      '      22s ago  failure  1.0s  HTTP probe failed with statuscode: 500  (3/3) [→ Failure]',
    );
  });

  test('describePod puts the section after the pod body and before Events; without a history nothing changes', () => {
    const pod = { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'app' }] } };
    const plain = describePod(pod, [], NOW);
    assert.equal(describePod(pod, [], NOW, undefined), plain);
    const withHistory = describePod(pod, [], NOW, history);
    const at = withHistory.indexOf('Probe History:\n');
    assert.ok(at > withHistory.indexOf('QoS Class:'));
    assert.ok(at < withHistory.indexOf('Events:'));
    const empty: ProbeHistory = { ...history, probes: [], restarts: [] };
    assert.equal(describePod(pod, [], NOW, empty), plain, 'a pod without probes gets no section');
  });
});
