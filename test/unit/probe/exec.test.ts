import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROBE_CANCELLED, probeExec, type ExecProbeRequest } from '../../../src/probe/exec.js';
import { PROBE_OUTPUT_LIMIT } from '../../../src/probe/types.js';
import { activeResources, groupMembers, isRunning, waitFor } from './helpers.js';

const PATH = process.env.PATH ?? '/usr/bin:/bin';

describe('exec probe (spec §3.3)', () => {
  let dir: string;
  const run = (argv: string[], extra: Partial<ExecProbeRequest> = {}): ReturnType<typeof probeExec> =>
    probeExec({ argv, env: { PATH }, cwd: dir, timeoutMs: 5000, ...extra });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'podvisor-exec-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('§3.3: exit 0 is Success with the output', async () => {
    assert.deepEqual(await run(['echo', 'healthy']), { result: 'success', output: 'healthy\n' });
  });

  test('§3.3: a non-zero exit is Failure with the output as is, possibly empty', async () => {
    assert.deepEqual(await run(['sh', '-c', 'echo not ready; exit 3']), {
      result: 'failure',
      output: 'not ready\n',
    });
    assert.deepEqual(await run(['sh', '-c', 'exit 1']), { result: 'failure', output: '' });
  });

  test('§3.3: a death by signal is a Failure', async () => {
    assert.deepEqual(await run(['sh', '-c', 'kill -9 $$']), { result: 'failure', output: '' });
  });

  test('§3.3: output is all of stdout, then all of stderr, never interleaved', async () => {
    const res = await run(['sh', '-c', 'echo e1 >&2; echo o1; echo e2 >&2; echo o2']);
    assert.deepEqual(res, { result: 'success', output: 'o1\no2\ne1\ne2\n' });
  });

  test('§3.3: argv runs without a shell, with the given env and working directory', async () => {
    assert.deepEqual(await run(['echo', '$HOME', '$(id)']), { result: 'success', output: '$HOME $(id)\n' });
    const res = await run(['sh', '-c', 'echo "$GREETING"; echo "$HOME"; pwd'], {
      env: { PATH, GREETING: 'hi there' },
    });
    assert.deepEqual(res, { result: 'success', output: `hi there\n\n${dir}\n` });
  });

  test('§3.3: output is capped at 10 KiB in total; stdout first, then what fits of stderr', async () => {
    const both = await run([
      'sh',
      '-c',
      'head -c 6000 /dev/zero | tr "\\0" a; head -c 6000 /dev/zero | tr "\\0" b >&2',
    ]);
    assert.equal(both.output, 'a'.repeat(6000) + 'b'.repeat(PROBE_OUTPUT_LIMIT - 6000));
    const big = await run(['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" a; echo tail >&2; exit 4']);
    assert.deepEqual(big, { result: 'failure', output: 'a'.repeat(PROBE_OUTPUT_LIMIT) });
  });

  test('§3.3: output beyond the cap is drained, so a chatty command is never blocked on its pipe', async () => {
    // 8 MiB is far beyond any pipe buffer: the command finishes only if we keep reading.
    const res = await run(
      ['sh', '-c', 'head -c 8388608 /dev/zero; head -c 8388608 /dev/zero >&2; echo done'],
      {
        timeoutMs: 10000,
      },
    );
    assert.equal(res.result, 'success');
    assert.equal(Buffer.byteLength(res.output), PROBE_OUTPUT_LIMIT);
  });

  test('§3.3: a timeout is Failure "command timed out: \\"<cmd>\\" timed out after 1s" and kills the whole group', async () => {
    const pidFile = join(dir, 'timeout.pid');
    const started = Date.now();
    const res = await run(['sh', '-c', `echo $$ > ${pidFile}; sleep 30 & sleep 30`], { timeoutMs: 1000 });
    const elapsed = Date.now() - started;
    assert.deepEqual(res, {
      result: 'failure',
      output: `command timed out: "sh -c echo $$ > ${pidFile}; sleep 30 & sleep 30" timed out after 1s`,
    });
    assert.ok(elapsed >= 990 && elapsed < 2000, `took ${elapsed} ms`);
    const pgid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pgid > 0);
    await waitFor(
      () => groupMembers(pgid).length === 0,
      2000,
      () => `group ${pgid} still has ${groupMembers(pgid)}`,
    );
  });

  test('§2.6/§2.7: aborting a running probe kills its whole group at once and yields a discarded error, not a verdict', async () => {
    const pidFile = join(dir, 'abort.pid');
    const ctl = new AbortController();
    const started = Date.now();
    const pending = run(['sh', '-c', `echo $$ > ${pidFile}; sleep 30 & sleep 30`], {
      timeoutMs: 60_000,
      signal: ctl.signal,
    });
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '',
      2000,
      'probe to start',
    );
    const pgid = Number(readFileSync(pidFile, 'utf8'));
    ctl.abort();
    assert.deepEqual(await pending, { result: 'unknown', output: '', error: PROBE_CANCELLED });
    assert.ok(Date.now() - started < 2000, 'resolved on abort, not at the 60 s timeout');
    await waitFor(
      () => groupMembers(pgid).length === 0,
      2000,
      () => `group ${pgid} still has ${groupMembers(pgid)}`,
    );
    assert.deepEqual(await run(['true'], { signal: ctl.signal }), {
      result: 'unknown',
      output: '',
      error: PROBE_CANCELLED,
    });
  });

  test("§3.3: the timeout text quotes argv like Go's %q and prints a Go duration", async () => {
    const res = await run(['sh', '-c', 'sleep 5; echo "x"'], { timeoutMs: 200 });
    assert.deepEqual(res, {
      result: 'failure',
      output: 'command timed out: "sh -c sleep 5; echo \\"x\\"" timed out after 200ms',
    });
  });

  test('§3.3 / e2e A11: a background child holding the pipes neither delays the verdict nor survives', async () => {
    const pidFile = join(dir, 'a11.pid');
    const started = Date.now();
    const res = await run(['/bin/sh', '-c', `sleep 10 & echo $! > ${pidFile}; exit 1`], { timeoutMs: 1000 });
    const elapsed = Date.now() - started;
    assert.deepEqual(res, { result: 'failure', output: '' });
    assert.ok(elapsed < 900, `verdict took ${elapsed} ms; it must follow the exit, not the pipes`);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isRunning(sleeper), 2000, `background sleep ${sleeper} survived the probe`);
  });

  test("§3.3: a command missing from PATH is a Failure with Go's text", async () => {
    assert.deepEqual(await run(['no-such-command-xyz', 'arg']), {
      result: 'failure',
      output: 'exec: "no-such-command-xyz": executable file not found in $PATH',
    });
  });

  test("§3.3: a missing binary given by path is a Failure with Go's fork/exec text", async () => {
    assert.deepEqual(await run(['/no/such/binary']), {
      result: 'failure',
      output: 'fork/exec /no/such/binary: no such file or directory',
    });
  });

  test('§3.3: a binary that is not executable is a Failure "permission denied"', async () => {
    const file = join(dir, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    assert.deepEqual(await run([file]), {
      result: 'failure',
      output: `fork/exec ${file}: permission denied`,
    });
  });

  test('§3.3: a missing working directory is a Failure naming the directory', async () => {
    assert.deepEqual(await run(['true'], { cwd: join(dir, 'gone') }), {
      result: 'failure',
      output: `chdir ${join(dir, 'gone')}: no such file or directory`,
    });
  });

  test('§3.3: an empty command is an infrastructure error (Unknown + error), not a verdict', async () => {
    assert.deepEqual(await run([]), { result: 'unknown', output: '', error: 'exec: no command' });
  });

  test('§3.3: probes leave no processes, pipes or timers behind', async () => {
    const before = activeResources();
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      runs.push(run(['true']));
      runs.push(run(['sh', '-c', 'sleep 5 & exit 0']));
      runs.push(run(['sleep', '5'], { timeoutMs: 100 }));
    }
    await Promise.all(runs);
    await waitFor(
      () => {
        const now = activeResources();
        return (
          (now.ProcessWrap ?? 0) <= (before.ProcessWrap ?? 0) &&
          (now.PipeWrap ?? 0) <= (before.PipeWrap ?? 0) &&
          now.Timeout <= before.Timeout
        );
      },
      3000,
      () => `resources left: ${JSON.stringify(activeResources())} vs before ${JSON.stringify(before)}`,
    );
  });
});
