/**
 * Issue 7 item 5: a listen address other than loopback needs an explicit flag and says why it is
 * dangerous. `podvisor up --listen 0.0.0.0:0` exits 2 naming `--allow-remote` and the danger
 * (code execution for whoever holds the token, the token unencrypted over http://); with the flag
 * it serves and prints the warning on stderr. Loopback is 127.0.0.0/8, ::1 and localhost.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isLoopbackHost } from '../../src/cli/commands/up.js';
import { BIN, REPO_ROOT, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

function runUp(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.NODE_TEST_CONTEXT;
    delete env.PODVISOR_STATE_DIR;
    execFile(
      process.execPath,
      [BIN, 'up', ...args],
      { cwd: REPO_ROOT, env, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe(
  'security: listening beyond loopback needs --allow-remote (issue 7 item 5)',
  { timeout: 90_000 },
  () => {
    const scratch = mkdtempSync(join(tmpdir(), 'podvisor-security-listen-'));
    let node: PodvisorNode | undefined;
    after(async () => {
      await node?.stop();
      rmSync(scratch, { recursive: true, force: true });
    });

    test('loopback is 127.0.0.0/8, ::1 and localhost; nothing else is', () => {
      for (const host of [
        '127.0.0.1',
        '127.5.6.7',
        '127.255.255.255',
        '::1',
        '0:0:0:0:0:0:0:1',
        'localhost',
        'LOCALHOST',
        '::ffff:127.0.0.1',
      ])
        assert.equal(isLoopbackHost(host), true, host);
      for (const host of [
        '0.0.0.0',
        '::',
        '10.0.0.1',
        '128.0.0.1',
        '126.0.0.1',
        '192.168.1.2',
        'example.com',
        '127.0.0.1.nip.io',
        'localhost.example',
        '::ffff:10.0.0.1',
        '127.0.0.256',
        '',
      ])
        assert.equal(isLoopbackHost(host), false, host);
    });

    test('--listen on every address without the flag: exit 2, naming --allow-remote and why, nothing served', async () => {
      for (const listen of ['0.0.0.0:0', '[::]:0', 'example.com:0']) {
        const stateDir = mkdtempSync(join(scratch, 'state-'));
        const res = await runUp(['--state-dir', stateDir, '--listen', listen]);
        assert.equal(res.code, 2, `${listen}: ${res.stderr}`);
        assert.match(res.stderr, /is not a loopback address/, listen);
        assert.match(res.stderr, /Pass --allow-remote to listen there anyway/, listen);
        assert.match(res.stderr, /runs any command as this user for whoever holds the token/, listen);
        assert.match(res.stderr, /sends that token unencrypted/, listen);
        assert.match(res.stderr, /--listen 127\.0\.0\.1:0/, `${listen}: the loopback alternative`);
        assert.equal(existsSync(join(stateDir, 'api.json')), false, `${listen}: nothing served`);
        assert.equal(
          existsSync(join(stateDir, 'token')),
          false,
          `${listen}: refused before any state is written`,
        );
      }
    });

    test('with --allow-remote it serves, and stderr says what that exposes', async () => {
      node = await startNode({ flags: ['--listen', '0.0.0.0:0', '--allow-remote'] });
      assert.match(
        node.stderr,
        /WARNING: --allow-remote: the API listens on 0\.0\.0\.0:\d+, reachable from other machines/,
      );
      assert.match(node.stderr, /Whoever holds the token can run any command as this user/);
      assert.match(node.stderr, /http:\/\/ sends the token unencrypted/);
      // Clients still connect over loopback, and the token gate is the same.
      assert.match(node.server, /^http:\/\/127\.0\.0\.1:\d+$/);
      const pods = await node.request<{ kind: string }>('GET', '/api/v1/namespaces/default/pods');
      assert.equal(pods.kind, 'PodList');
      const anonymous = await fetch(`${node.server}/version`);
      assert.equal(anonymous.status, 401);
    });

    test('loopback addresses need no flag and print no warning', async () => {
      const stateDir = mkdtempSync(join(scratch, 'state-'));
      const local = await startNode({ stateDir, flags: ['--listen', '127.0.0.2:0'] });
      try {
        assert.doesNotMatch(local.stderr, /WARNING/);
      } finally {
        await local.stop();
      }
    });
  },
);
