/**
 * Issue 7 item 5: the state directory is 0700 and every file in it 0600, whatever the umask. A
 * real node runs under umask 000 (the most permissive there is: every mode podvisor does not set
 * itself would show), a pod writes logs, `podvisor kubeconfig --output-file` writes a kubeconfig,
 * then the whole state directory is walked: SQLite's -wal/-shm, the token, the certificate and
 * key, api.json, the lock, the instance registry, pod directories, sandbox files and container
 * logs included. A state directory of another user is refused.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureStateDir } from '../../src/cli/state-dir.js';
import { containerStatus, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('sec-modes');

/** Every directory and file under `root` (root included), with its permission bits. */
function walk(root: string): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  const visit = (path: string): void => {
    const info = lstatSync(path);
    out.push({ path, dir: info.isDirectory(), mode: info.mode & 0o7777 });
    if (info.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(root);
  return out;
}

describe(
  'security: state directory 0700, its files 0600, under umask 000 (issue 7 item 5)',
  { timeout: 120_000 },
  () => {
    let node: PodvisorNode;
    let stateDir: string;
    const scratch = mkdtempSync(join(tmpdir(), 'podvisor-security-modes-'));
    const previousUmask = process.umask(0o000);

    before(async () => {
      // A state directory that already exists, world-writable, is made private too.
      stateDir = join(scratch, 'state');
      mkdirSync(stateDir, { mode: 0o777 });
      assert.equal(statSync(stateDir).mode & 0o777, 0o777);
      // Spawned from this process, the node inherits umask 000.
      node = await startNode({ stateDir });
      const name = uniqueName('logs');
      await node.createPod(
        markedPod(name, MARKER, {
          initContainers: [{ name: 'init', image: 'busybox', command: shCommand('echo from init', MARKER) }],
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: shCommand('echo hello; echo oops >&2; exec sleep 600', MARKER),
            },
          ],
        }),
      );
      await node.waitForPod(name, (p) => containerStatus(p, 'app')?.state?.running !== undefined, 30_000);
      // The log has its line once `logs` returns it.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const logs = await node.runCli(['logs', name, '-c', 'app']);
        if (logs.stdout.includes('hello')) break;
        if (Date.now() > deadline) throw new Error(`no log line: ${JSON.stringify(logs)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const kc = await node.runCli(['kubeconfig', '--output-file', join(scratch, 'kubeconfig')]);
      assert.equal(kc.code, 0, kc.stderr);
    });
    after(async () => {
      await node?.stop();
      killProcessesWithMarker(MARKER);
      process.umask(previousUmask);
      rmSync(scratch, { recursive: true, force: true });
    });

    test('every directory is 0700 and every file 0600 (the db, -wal, -shm, token, key, logs, ...)', () => {
      const entries = walk(stateDir);
      const names = entries.map((e) => relative(stateDir, e.path));
      for (const expected of [
        'podvisor.db',
        'podvisor.db-wal',
        'podvisor.db-shm',
        'token',
        'api.json',
        'tls/serving.key',
        'tls/serving.crt',
      ])
        assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
      assert.ok(
        names.some((n) => /^pods\/[^/]+\/app\/0\.log$/.test(n)) &&
          names.some((n) => /^pods\/[^/]+\/init\/0\.log$/.test(n)),
        `container logs in ${names.join(', ')}`,
      );
      const loose = entries
        .filter((e) => e.mode !== (e.dir ? 0o700 : 0o600))
        .map((e) => `${relative(stateDir, e.path) || '.'} ${e.mode.toString(8)}`);
      assert.deepEqual(loose, [], 'entries with another mode');
    });

    test('the kubeconfig written by `podvisor kubeconfig --output-file` is 0600', () => {
      assert.equal(statSync(join(scratch, 'kubeconfig')).mode & 0o777, 0o600);
    });

    test('a restart makes loosened files private again (directory, token, database, TLS key and certificate)', async () => {
      await node.stop();
      const loosened = ['token', 'podvisor.db', 'tls/serving.key', 'tls/serving.crt'];
      chmodSync(stateDir, 0o755);
      chmodSync(join(stateDir, 'tls'), 0o755);
      for (const file of loosened) chmodSync(join(stateDir, file), 0o644);
      node = await startNode({ stateDir });
      assert.equal(statSync(stateDir).mode & 0o777, 0o700, 'the state directory');
      assert.equal(statSync(join(stateDir, 'tls')).mode & 0o777, 0o700, 'tls/');
      for (const file of loosened) assert.equal(statSync(join(stateDir, file)).mode & 0o777, 0o600, file);
    });
  },
);

describe('security: a state directory of another user is refused', () => {
  test('ensureStateDir refuses a directory owned by another uid, naming it and the fix', async () => {
    const uid = process.getuid?.() ?? 0;
    let foreign: string;
    let cleanup = (): void => {};
    if (uid === 0) {
      // As root: a directory handed to `nobody`.
      foreign = mkdtempSync(join(tmpdir(), 'podvisor-security-foreign-'));
      chownSync(foreign, 65534, 65534);
      const made = foreign;
      cleanup = () => rmSync(made, { recursive: true, force: true });
    } else {
      // Anyone else: the root directory belongs to root.
      foreign = '/';
    }
    try {
      await assert.rejects(ensureStateDir(foreign), (err: Error) => {
        assert.match(
          err.message,
          new RegExp(`state dir ${foreign.replace(/[/\\]/g, '\\$&')} belongs to uid \\d+, not to you`),
        );
        assert.match(err.message, /pass --state-dir with a directory of your own/);
        return true;
      });
    } finally {
      cleanup();
    }
  });
});
