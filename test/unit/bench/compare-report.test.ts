import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadManifests } from '../../../src/api/manifests.js';
import {
  limitTarget,
  median,
  percentile,
  printComparison,
  ratioTarget,
} from '../../../bench/compare/report.js';
import type { ScenarioReport } from '../../../bench/compare/types.js';
import { podManifests } from '../../../bench/compare/peers/podvisor.js';
import { pm2Ecosystem } from '../../../bench/compare/peers/pm2.js';
import { supervisordConf } from '../../../bench/compare/peers/supervisord.js';
import { writeMonitConfig } from '../../../bench/compare/peers/monit.js';
import type { AppSpec } from '../../../bench/compare/peer-types.js';

const report: ScenarioReport = {
  id: 'S1',
  title: 'crash → replacement answering',
  measurements: [
    { metric: 'S1 crash', subject: 'podvisor', unit: 'ms', samples: [80, 90, 100, 110] },
    { metric: 'S1 crash', subject: 'pm2', unit: 'ms', samples: [190, 200, 210] },
    {
      metric: 'S1 crash',
      subject: 'monit',
      unit: 'ms',
      samples: [],
      skipped: 'not root: apt-get install -y monit tini needs root',
    },
    { metric: 'S1 crash', subject: 'bare-loop', unit: 'ms', samples: [70] },
  ],
  targets: [ratioTarget('S1 ≤ 0.8× PM2', [80, 90, 100, 110], [190, 200, 210], 0.8)],
  configs: [{ subject: 'pm2', text: 'module.exports = {}' }],
  notes: ['poll every 2 ms'],
  rerun: 'npm run bench -- s1',
};

describe('bench/compare/report printComparison', () => {
  const text = printComparison([report]);

  test('one row per metric with median / p90 / max and n per subject, and the single reading alone', () => {
    const row = text.split('\n').find((l) => l.startsWith('| S1 | S1 crash |'));
    assert.ok(row, text);
    assert.match(row, /\| 95\.0 ms \/ 110 \/ 110 \(n=4\) \|/);
    assert.match(row, /\| 70\.0 ms · \*\*1\.36×\*\* \|/);
  });

  test('the ratio column is podvisor ÷ peer on medians', () => {
    assert.match(text, /200 ms \/ 210 \/ 210 \(n=3\) · \*\*0\.47×\*\*/);
  });

  test('a long skip reason becomes a footnote that names the subject', () => {
    assert.match(text, /— \[1\]/);
    assert.match(text, /\[1\] monit: not root: apt-get install -y monit tini needs root/);
  });

  test('targets, notes, configurations and the rerun command follow the table', () => {
    assert.match(text, /- met: S1 ≤ 0\.8× PM2 — podvisor 95\.0 vs 200: 0\.47× \(limit 0\.8×\)/);
    assert.match(text, /- poll every 2 ms/);
    assert.match(text, /#### pm2 \(S1\)\n\n```\nmodule\.exports = \{\}\n```/);
    assert.match(text, /- `npm run bench -- s1`/);
  });

  test('a column no report measures is left out', () => {
    assert.doesNotMatch(text, /supervisord/);
  });
});

describe('bench/compare/report statistics and targets', () => {
  test('median averages the middle pair; percentile is nearest-rank', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    assert.ok(Number.isNaN(median([])));
  });

  test('a target without samples is missed and says which side is missing', () => {
    const t = ratioTarget('x', [1], [], 1.1);
    assert.equal(t.met, false);
    assert.match(t.detail, /peer has no samples/);
    assert.equal(limitTarget('y', [40, 60, 45], 50, 'ms').met, true);
    assert.equal(limitTarget('y', [55, 60, 45], 50, 'ms').met, false);
  });
});

describe('bench/compare/peers configurations', () => {
  const apps: AppSpec[] = [
    {
      name: 's2h-0',
      argv: ['/usr/bin/node', '/repo/bench/compare/apps/http-app.mjs'],
      env: { PORT: '41234', START_DELAY_MS: '5' },
      port: 41234,
      httpCheck: { path: '/healthz', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 },
    },
  ];

  test('podvisor pods load through the manifest loader: hostNetwork, Always, the httpGet liveness probe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-test-'));
    try {
      writeFileSync(
        join(dir, 'pods.yaml'),
        podManifests(apps, '/tmp/bench-podvisor-x', { terminationGracePeriodSeconds: 2 }),
      );
      const loaded = await loadManifests([join(dir, 'pods.yaml')]);
      assert.deepEqual(loaded.errors, []);
      const pod = loaded.objects[0]!.object as unknown as {
        spec: {
          hostNetwork: boolean;
          restartPolicy: string;
          containers: { livenessProbe: object; env: object[] }[];
        };
      };
      assert.equal(pod.spec.hostNetwork, true);
      assert.equal(pod.spec.restartPolicy, 'Always');
      const probe = pod.spec.containers[0]!.livenessProbe as {
        httpGet: { path: string; port: number };
        periodSeconds: number;
        timeoutSeconds: number;
        failureThreshold: number;
      };
      assert.deepEqual(
        [
          probe.httpGet.path,
          probe.httpGet.port,
          probe.periodSeconds,
          probe.timeoutSeconds,
          probe.failureThreshold,
        ],
        ['/healthz', 41234, 1, 1, 1],
      );
      assert.deepEqual(pod.spec.containers[0]!.env.at(-1), {
        name: 'BENCH_COMPARE_APP',
        value: 'bench-podvisor-x/s2h-0',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PM2 restarts at once and never gives up', () => {
    const eco = pm2Ecosystem(apps, '/tmp/w');
    assert.match(eco, /"restart_delay": 0/);
    assert.match(eco, /"autorestart": true/);
    assert.match(eco, /"max_restarts": 1000000000/);
    assert.doesNotMatch(eco, /exp_backoff_restart_delay/);
  });

  test('supervisord: autorestart, startsecs=0, the app environment quoted', () => {
    const conf = supervisordConf(apps, '/tmp/w');
    assert.match(
      conf,
      /\[program:s2h-0\]\ncommand=\/usr\/bin\/node \/repo\/bench\/compare\/apps\/http-app\.mjs\n/,
    );
    assert.match(conf, /environment=PORT="41234",START_DELAY_MS="5",BENCH_COMPARE_APP="w\/s2h-0"/);
    assert.match(conf, /startsecs=0/);
  });

  test('monit: 1 s cycle, 1 s start timeout, the HTTP check with the probe settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-monit-test-'));
    try {
      const { text } = writeMonitConfig(apps, dir);
      assert.match(text, /^set daemon 1$/m);
      assert.match(text, /start program = ".*start-s2h-0\.sh" with timeout 1 seconds/);
      assert.match(
        text,
        /if failed port 41234 protocol http request "\/healthz" with timeout 1 seconds for 1 cycles then restart/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
