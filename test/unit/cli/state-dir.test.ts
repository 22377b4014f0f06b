import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../../src/cli/errors.js';
import {
  acquireLock,
  isPodvisorAlive,
  readApiInfo,
  removeApiInfo,
  resolveStateDir,
  writeApiInfo,
} from '../../../src/cli/state-dir.js';

test('state dir: --state-dir, else $PODVISOR_STATE_DIR, else $XDG_STATE_HOME/podvisor, else ~/.local/state/podvisor', () => {
  const env = { PODVISOR_STATE_DIR: '/srv/pv', XDG_STATE_HOME: '/xdg' };
  assert.equal(resolveStateDir('/flag', env, '/home/u'), '/flag');
  assert.equal(resolveStateDir(undefined, env, '/home/u'), '/srv/pv');
  assert.equal(resolveStateDir(undefined, { XDG_STATE_HOME: '/xdg' }, '/home/u'), '/xdg/podvisor');
  assert.equal(resolveStateDir(undefined, {}, '/home/u'), '/home/u/.local/state/podvisor');
  assert.equal(resolveStateDir('rel', {}, '/home/u'), join(process.cwd(), 'rel'), 'always absolute');
});

test('api.json: written 0600 with server, token and pid; absent or left by a dead process: a clear error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pv-state-'));
  try {
    await assert.rejects(readApiInfo(dir), (err: CliError) => {
      assert.equal(
        err.message,
        `error: no podvisor node is running for state dir ${dir}: start one with 'podvisor up' or pass --server and --token`,
      );
      return true;
    });
    await writeApiInfo(dir, { server: 'http://127.0.0.1:1234', token: 'abc', pid: process.pid });
    assert.equal((await stat(join(dir, 'api.json'))).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')), {
      server: 'http://127.0.0.1:1234',
      token: 'abc',
      pid: process.pid,
    });
    assert.deepEqual(await readApiInfo(dir), {
      server: 'http://127.0.0.1:1234',
      token: 'abc',
      pid: process.pid,
    });
    await writeApiInfo(dir, { server: 'http://127.0.0.1:1234', token: 'abc', pid: 2 ** 22 + 12345 });
    await assert.rejects(readApiInfo(dir), /left by pid \d+, which has exited/);
    await removeApiInfo(dir);
    await assert.rejects(readApiInfo(dir), /no podvisor node is running/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('lock: one node per state dir; a live holder is named, a stale lock (even with our pid) is taken over, release removes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pv-lock-'));
  // Another live node process: a child `node` that just waits.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    const lockFile = join(dir, 'podvisor.lock');
    // What the refusal below rests on: the holder is a live node process.
    assert.equal(isPodvisorAlive(other.pid ?? 0), true, `the other node process (pid ${other.pid}) runs`);
    await writeFile(lockFile, `${other.pid}\n`);
    await assert.rejects(acquireLock(dir), (err: CliError) => {
      assert.match(
        err.message,
        new RegExp(`another podvisor \\(pid ${other.pid}\\) is already running with state dir ${dir}`),
      );
      return true;
    });
    await writeFile(lockFile, `${2 ** 22 + 54321}\n`); // nobody
    let lock = await acquireLock(dir);
    assert.equal((await readFile(lockFile, 'utf8')).trim(), String(process.pid));
    await assert.rejects(
      acquireLock(dir),
      /another podvisor/,
      'a second node in this same process is refused',
    );
    await lock.release();
    await assert.rejects(stat(lockFile), { code: 'ENOENT' });
    // Our own pid in a lock we do not hold: left by an earlier run that had the same pid (containers).
    await writeFile(lockFile, `${process.pid}\n`);
    lock = await acquireLock(dir);
    await lock.release();
  } finally {
    other.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
