/**
 * `podvisor lint` as a user runs it (the compiled CLI, `node bin/podvisor.js lint …`, after
 * `npm run build`): the repository's examples lint without errors, the deliberately bad fixtures
 * give every rule and exit 1, their corrected twins exit 0, and -o json, standard input and usage
 * errors behave as the command-line contract says (0 / 1 / 2).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LINT_RULES, type LintReport } from '../../src/api/lint/lint.js';
import { BIN, REPO_ROOT, runPodvisor, type CliResult } from '../helpers/podvisor-node.js';

const BAD = 'test/fixtures/lint/bad';
const GOOD = 'test/fixtures/lint/good';

/** The CLI with `input` on its standard input (runPodvisor gives it none). */
function runWithStdin(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('podvisor lint (compiled CLI)', () => {
  test('examples/: exit 0, no error; the deliberate bad practice of proxy-sidecar is named', async () => {
    const r = await runPodvisor(['lint', 'examples/']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /^\s*ERROR /m);
    assert.match(r.stdout, /objects? linted: 0 errors, /);
    // proxy-sidecar.yaml demonstrates a liveness probe on the readiness endpoint (examples/README.md).
    assert.match(
      r.stdout,
      /Pod\/proxy-sidecar[\s\S]*WARNING liveness-uses-readiness-endpoint spec\.containers\[1\]\.livenessProbe \(examples\/proxy-sidecar\.yaml:\d+\)/,
    );
    assert.match(
      r.stdout,
      /liveness: +http-get :http\/ delay=0s timeout=1s period=3s #success=1 #failure=3\n +a dead app is detected within 10s \(3 \+ 2×3 \+ 1\)/,
    );
  });

  test('bad fixtures: exit 1, every rule but unreadable-path shows up, each with file:line, why and fix', async () => {
    const r = await runPodvisor(['lint', BAD]);
    assert.equal(r.code, 1, r.stderr);
    for (const rule of Object.keys(LINT_RULES).filter((id) => id !== 'unreadable-path')) {
      assert.match(r.stdout, new RegExp(`(ERROR|WARNING|INFO) ${rule}\\b`), `rule ${rule} missing`);
    }
    assert.match(
      r.stdout,
      /ERROR probe-named-port-missing spec\.template\.spec\.initContainers\[0\]\.livenessProbe\.httpGet\.port \(test\/fixtures\/lint\/bad\/named-port-missing\.yaml:23\)\n +the liveness probe uses the port name "metric"[^\n]*\n +why: [^\n]*never restarts[^\n]*\n +fix: /,
    );
    assert.match(r.stdout, /linted: 6 errors, \d+ warnings, 2 infos\./);
  });

  test('good fixtures: exit 0 with no error and no warning', async () => {
    const r = await runPodvisor(['lint', GOOD]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /linted: 0 errors, 0 warnings, 0 infos\./);
  });

  test('warnings only: exit 0; an unreadable path: exit 1 with an unreadable-path error', async () => {
    const warn = await runPodvisor(['lint', '-f', join(BAD, 'timeout-period.yaml')]);
    assert.equal(warn.code, 0);
    assert.match(warn.stdout, /WARNING probe-timeout-not-below-period/);
    const missing = await runPodvisor(['lint', join(BAD, 'no-such-file.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stdout,
      /ERROR unreadable-path .*\n +the path "test\/fixtures\/lint\/bad\/no-such-file\.yaml" does not exist/,
    );
  });

  test('-o json: one LintReport with the findings and per-probe timings, same exit code', async () => {
    const r = await runPodvisor(['lint', '-o', 'json', BAD]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as LintReport;
    assert.equal(report.kind, 'LintReport');
    assert.equal(report.summary.errors, report.findings.filter((f) => f.severity === 'error').length);
    const heavy = report.findings.find(
      (f) => f.rule === 'exec-probe-heavy' && f.file.endsWith('heavy-exec.yaml'),
    );
    assert.deepEqual(heavy && [heavy.severity, heavy.line, heavy.object, heavy.container], [
      'warning',
      13,
      'Pod/heavy-exec',
      'worker',
    ]);
    const timeout = report.containers.find((c) => c.object === 'Pod/timeout-period');
    assert.deepEqual(
      timeout?.probes.map((p) => [p.probe, p.detect.seconds]),
      [['liveness', 5 + 2 * 10 + 10]],
    );
  });

  test('standard input: `lint -` and `lint -f -` read the manifest from stdin, named <stdin>', async () => {
    const text = await readFile(join(REPO_ROOT, BAD, 'identical-probes.yaml'), 'utf8');
    for (const args of [
      ['lint', '-'],
      ['lint', '-f', '-'],
    ]) {
      const r = await runWithStdin(args, text);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /WARNING liveness-identical-to-readiness spec\.template\.spec\.containers\[0\]\.livenessProbe \(<stdin>:23\)/,
      );
    }
  });

  test('usage errors exit 2: no paths, an unknown output format', async () => {
    const none = await runPodvisor(['lint']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /must name manifests to lint/);
    const yaml = await runPodvisor(['lint', '-o', 'yaml', GOOD]);
    assert.equal(yaml.code, 2);
  });
});
