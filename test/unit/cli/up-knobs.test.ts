import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from './harness.js';

test('up --crash-loop-backoff-reset: a duration, positive (usage errors, nothing starts)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pv-up-reset-'));
  try {
    const up = (...flags: string[]) =>
      runCli(['up', '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0', ...flags]);
    let r = await up('--crash-loop-backoff-reset', 'soon');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--crash-loop-backoff-reset <duration>.*expected a duration such as 10s/);
    r = await up('--crash-loop-backoff-reset', '0s');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--crash-loop-backoff-reset must be positive, e\.g\. 10m/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('up refuses a manifest whose podvisor knob is invalid, naming the annotation and the fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pv-up-knob-'));
  try {
    await writeFile(
      join(dir, 'pod.yaml'),
      [
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: web',
        '  annotations:',
        '    podvisor.io/crashloop-backoff: "initial=1s,max=fast"',
        'spec:',
        '  containers:',
        '    - name: app',
        '      image: busybox',
        '      command: ["sleep", "1"]',
        '',
      ].join('\n'),
    );
    const r = await runCli([
      'up',
      '-f',
      join(dir, 'pod.yaml'),
      '--state-dir',
      join(dir, 'state'),
      '--listen',
      '127.0.0.1:0',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /metadata\.annotations\[podvisor\.io\/crashloop-backoff\]: Invalid value: "initial=1s,max=fast": max: "fast" is not a duration/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
