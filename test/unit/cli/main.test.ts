import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './harness.js';

test('exit 2 for usage errors, with a message naming the problem and where to find usage', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['get'], /missing required argument 'resource'/],
    [['get', 'pods', '--bogus'], /unknown option '--bogus'/],
    [
      ['get', 'pods', '-o', 'table'],
      /argument 'table' is invalid\. Allowed choices are wide, json, yaml, name/,
    ],
    [
      ['logs', 'web', '--since', 'soon'],
      /--since <duration>' argument 'soon' is invalid\. expected a duration/,
    ],
    [['up', '--crash-loop-backoff-initial', '10'], /expected a duration such as 10s/],
    [['delete', 'pod', 'web', '--wait=maybe'], /expected true or false/],
    [[], /Usage: podvisor/],
  ];
  for (const [argv, message] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(' '));
  }
  const r = await runCli(['get', 'pods', '--bogus']);
  assert.match(r.stderr, /run 'podvisor get --help' for usage/);
});

test('exit 2: --token without --server, and a malformed --listen', async () => {
  const r = await runCli(['--token', 't', 'get', 'pods']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--token needs --server/);
  const up = await runCli(['up', '--listen', 'nowhere']);
  assert.equal(up.code, 2);
  assert.match(up.stderr, /--listen "nowhere" is not HOST:PORT: pass e\.g\. 127\.0\.0\.1:6443/);
});

test('exit 0 for --help and --version', async () => {
  const help = await runCli(['get', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: podvisor get/);
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('exit 2 for an unknown check kind; exit 1: unknown and unsupported resource types, no node running', async () => {
  const check = await runCli(['check', 'deploy', 'web', '--replicas', '3']);
  assert.equal(check.code, 2);
  assert.match(check.stderr, /deploy/);
  const dir = await mkdtemp(join(tmpdir(), 'pv-main-'));
  try {
    const env = { PODVISOR_STATE_DIR: dir };
    const unknown = await runCli(['get', 'foo'], { env });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: the server doesn\'t have a resource type "foo"\n');
    const later = await runCli(['get', 'namespaces'], { env });
    assert.equal(later.code, 1);
    assert.match(later.stderr, /does not support "namespaces" for this command yet/);
    const none = await runCli(['get', 'pods'], { env });
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      `error: no podvisor node is running for state dir ${dir}: start one with 'podvisor up' or pass --server and --token\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exit 1: a --server nobody listens on is named, with what to do', async () => {
  const r = await runCli(['--server', 'http://127.0.0.1:1', '--token', 't', 'get', 'pods']);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /cannot reach the podvisor node at http:\/\/127\.0\.0\.1:1 \(--server\): ECONNREFUSED: is 'podvisor up' still running\?/,
  );
});
