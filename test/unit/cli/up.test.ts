import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseListen, runNode } from '../../../src/cli/commands/up.js';
import { CliError } from '../../../src/cli/errors.js';
import type { CliIO } from '../../../src/cli/io.js';
import { runCli } from './harness.js';

test('--listen: HOST:PORT, :PORT (loopback), [v6]:PORT; port 0 allowed', () => {
  assert.deepEqual(parseListen('127.0.0.1:6443'), { host: '127.0.0.1', port: 6443 });
  assert.deepEqual(parseListen(':0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('[::1]:8080'), { host: '::1', port: 8080 });
  for (const bad of ['6443', 'host', '127.0.0.1:99999', '127.0.0.1:x']) {
    assert.throws(
      () => parseListen(bad),
      (e: CliError) => e.exitCode === 2,
      bad,
    );
  }
});

test('up refuses every manifest when one is invalid, naming file:line, and starts nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pv-up-bad-'));
  try {
    await writeFile(
      join(dir, 'bad.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers: []\n',
    );
    const r = await runCli([
      'up',
      '-f',
      join(dir, 'bad.yaml'),
      '--state-dir',
      join(dir, 'state'),
      '--listen',
      '127.0.0.1:0',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*bad\.yaml:1: Pod "Bad_Name" is invalid: /);
    assert.match(r.stderr, /nothing was started: fix (it|them) and run the command again\n$/);
    await assert.rejects(stat(join(dir, 'state')), { code: 'ENOENT' }, 'nothing was started');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('up: api.json (0600) once the API listens; pods from -f run; a graceful stop removes api.json and the lock', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pv-up-'));
  const stateDir = join(dir, 'state');
  const manifest = join(dir, 'sleeper.yaml');
  await writeFile(
    manifest,
    `apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
  terminationGracePeriodSeconds: 5
  containers:
    - name: main
      image: none
      command: [${JSON.stringify(process.execPath)}, "-e", "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"]
`,
  );
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from(['']),
    env: {},
    isTTY: false,
  };
  let seen = '';
  try {
    const code = await runNode(
      { io, globals: {} },
      {
        files: [manifest],
        stateDir,
        opts: { listen: '127.0.0.1:0', nodeName: 'testbox' },
        until: async (node) => {
          const info = JSON.parse(await readFile(join(stateDir, 'api.json'), 'utf8')) as {
            server: string;
            token: string;
            pid: number;
          };
          assert.equal(info.server, node.server);
          assert.match(info.token, /^[0-9a-f]{64}$/);
          assert.equal(info.pid, process.pid);
          assert.equal((await stat(join(stateDir, 'api.json'))).mode & 0o777, 0o600);
          assert.equal((await readFile(join(stateDir, 'podvisor.lock'), 'utf8')).trim(), String(process.pid));
          // A second node on the same state dir is refused, naming the holder.
          const second = await runCli(['up', '--state-dir', stateDir, '--listen', '127.0.0.1:0']);
          assert.equal(second.code, 1);
          assert.match(
            second.stderr,
            new RegExp(
              `another podvisor \\(pid ${process.pid}\\) is already running with state dir ${stateDir}`,
            ),
          );
          // A client finds the node through the state dir, and sees the pod running.
          for (let i = 0; i < 100 && !seen.includes('Running'); i++) {
            seen = (await runCli(['get', 'pods', '--state-dir', stateDir])).stdout;
            await new Promise((r) => setTimeout(r, 50));
          }
        },
      },
    );
    assert.equal(code, 0, stderr);
    assert.ok(
      seen.startsWith('NAME      READY   STATUS    RESTARTS   AGE\nsleeper   1/1     Running   0 '),
      seen,
    );
    assert.match(
      stdout,
      /^podvisor node "testbox" serving the Kubernetes API on http:\/\/127\.0\.0\.1:\d+ \(state: .*\)\n/,
    );
    assert.match(stdout, /\d\d:\d\d:\d\d {2}pod\/sleeper {2}Running {2}1\/1 {2}restarts=0\n/);
    assert.match(
      stdout,
      /Normal {2}Started {2}pod\/sleeper {2}spec\.containers\{main\} {2}Started container main\n/,
    );
    assert.match(stdout, /Stopping podvisor node "testbox"/);
    assert.match(stdout, /podvisor stopped\n$/);
    await assert.rejects(stat(join(stateDir, 'api.json')), { code: 'ENOENT' });
    await assert.rejects(stat(join(stateDir, 'podvisor.lock')), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
