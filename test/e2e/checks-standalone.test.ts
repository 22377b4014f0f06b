/**
 * The bundled `podvisor-check` (dist/podvisor-check.mjs) run with plain `node`, outside podvisor,
 * as it would run inside a cluster container: `check log` reads the pod's log through a podvisor
 * node's Kubernetes API with a service-account-style directory (token, ca.crt, namespace) and the
 * KUBERNETES_SERVICE_* environment; `check conn` counts a real socket of its network namespace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startGrpcHealthServer } from '../helpers/grpc-health-server.js';
import { createSelfSignedCert } from '../../src/cli/serving-cert.js';
import { isPodRunningReady, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import {
  killProcessesWithMarker,
  REPO_ROOT,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

const BUNDLE = join(REPO_ROOT, 'dist', 'podvisor-check.mjs');
const MARKER = newMarker('checks-standalone');
const ORA = 'ORA-12518: TNS:listener could not hand off client connection';
const TEST_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/podvisor-check.mjs ...args` with only the given environment (plus PATH). */
function runBundle(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs until `done(run)` holds or the deadline passes (the pod's output reaches the log asynchronously). */
async function runUntil(
  args: string[],
  env: Record<string, string>,
  done: (r: Run) => boolean,
): Promise<Run> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await runBundle(args, env);
    if (done(run) || Date.now() > deadline) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(
  'the bundled podvisor-check with plain node, as in a cluster container',
  { timeout: 180_000 },
  () => {
    let node: PodvisorNode;
    let saDir: string;
    let env: Record<string, string>;
    const pod = uniqueName('cdc');

    before(async () => {
      node = await startNode();
      saDir = await mkdtemp(join(tmpdir(), 'podvisor-sa-'));
      // What a cluster mounts at /var/run/secrets/kubernetes.io/serviceaccount.
      await copyFile(join(node.stateDir, 'token'), join(saDir, 'token'));
      await copyFile(join(node.stateDir, 'tls', 'serving.crt'), join(saDir, 'ca.crt'));
      await writeFile(join(saDir, 'namespace'), 'default');
      const { port } = new URL(node.server);
      env = {
        PODVISOR_SERVICEACCOUNT_DIR: saDir,
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: port,
        POD_NAME: pod,
      };
      await node.createPod(
        markedPod(pod, MARKER, {
          containers: [
            {
              name: 'worker',
              image: 'busybox',
              command: shCommand(`echo connected to orcl; echo "${ORA}"; exec sleep 600`, MARKER),
            },
          ],
        }),
      );
      await node.waitForPod(pod, isPodRunningReady, 30_000);
    });

    after(async () => {
      await node?.stop();
      killProcessesWithMarker(MARKER);
      if (saDir) await rm(saDir, { recursive: true, force: true });
    });

    test(
      'check log fails on the pattern, quoting the line, through the API with the token and CA',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const args = ['log', '--match', 'ORA-125\\d\\d', '--window', '1m', '--timeout', '5s'];
        const run = await runUntil(args, env, (r) => r.code === 1);
        assert.equal(run.code, 1, `stdout: ${run.stdout} stderr: ${run.stderr}`);
        assert.equal(run.stdout, `log matched /ORA-125\\d\\d/ 1 time in the last 1m0s: "${ORA}"\n`);
        assert.equal(run.stderr, '');
      },
    );

    test(
      '--require-match succeeds on a line that is there; an absent pattern passes --fail-on-match',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const seen = await runBundle(
          ['log', '--match', '^connected to orcl$', '--require-match', '--timeout', '5s'],
          env,
        );
        assert.equal(seen.code, 0, seen.stdout);
        assert.equal(
          seen.stdout,
          'log matched /^connected to orcl$/ 1 time in the last 1m40s: "connected to orcl"\n',
        );
        const absent = await runBundle(['log', '--match', 'FATAL', '--timeout', '5s'], env);
        assert.deepEqual([absent.code, absent.stdout], [0, 'no line matched /FATAL/ in the last 1m40s\n']);
        const silence = await runBundle(['silence', '--max', '1h', '--timeout', '5s'], env);
        assert.equal(silence.code, 0, silence.stdout);
        assert.match(silence.stdout, /^last output \d+m?s ago \(max 1h\)\n$/);
      },
    );

    test(
      'a wrong token, a missing API address, a wrong CA and a usage error each say what to fix',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const badDir = await mkdtemp(join(tmpdir(), 'podvisor-sa-bad-'));
        try {
          await writeFile(join(badDir, 'token'), 'not-the-token');
          await copyFile(join(saDir, 'ca.crt'), join(badDir, 'ca.crt'));
          await writeFile(join(badDir, 'namespace'), 'default');
          const refused = await runBundle(['log', '--match', 'x', '--timeout', '5s'], {
            ...env,
            PODVISOR_SERVICEACCOUNT_DIR: badDir,
          });
          assert.equal(refused.code, 1);
          assert.match(
            refused.stdout,
            /refused the token \(401 Unauthorized\): check the token of service account dir/,
          );

          const { KUBERNETES_SERVICE_HOST: _host, ...noHost } = env;
          const nowhere = await runBundle(['silence', '--max', '1m'], noHost);
          assert.equal(nowhere.code, 1);
          assert.match(nowhere.stdout, /KUBERNETES_SERVICE_HOST is not set/);

          await writeFile(join(badDir, 'token'), 'x');
          // A CA that did not sign the node's certificate.
          await writeFile(join(badDir, 'ca.crt'), createSelfSignedCert({ ips: ['127.0.0.1'], dns: [] }).cert);
          const untrusted = await runBundle(['log', '--match', 'x', '--timeout', '5s'], {
            ...env,
            PODVISOR_SERVICEACCOUNT_DIR: badDir,
          });
          assert.equal(untrusted.code, 1);
          assert.match(
            untrusted.stdout,
            /cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: .*check the CA/,
          );

          const usage = await runBundle(['log', '--window', '1m'], env);
          assert.deepEqual(
            [usage.code, usage.stdout],
            [2, "check log: --match is required: e.g. --match 'ORA-125\\d\\d'\n"],
          );
        } finally {
          await rm(badDir, { recursive: true, force: true });
        }
      },
    );

    test(
      'check conn counts a real ESTABLISHED socket of its network namespace, and fails when there is none',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const port = (server.address() as net.AddressInfo).port;
        const client = net.connect(port, '127.0.0.1');
        await once(client, 'connect');
        try {
          const held = await runBundle(['conn', '--remote-port', String(port)], {});
          assert.deepEqual([held.code, held.stdout], [0, `1 ESTABLISHED connection to port ${port}\n`]);
          const host = await runBundle(
            ['conn', '--remote-port', String(port), '--remote-host', '127.0.0.1', '--min', '2'],
            {},
          );
          assert.deepEqual(
            [host.code, host.stdout],
            [1, `1 ESTABLISHED connection to 127.0.0.1:${port} (need at least 2)\n`],
          );
          client.destroy();
          const gone = await runUntil(['conn', '--remote-port', String(port)], {}, (r) => r.code === 1);
          assert.equal(gone.code, 1);
          assert.match(
            gone.stdout,
            new RegExp(`^0 ESTABLISHED connections to port ${port} \\(need at least 1\\)(; .*)?\\n$`),
          );
        } finally {
          client.destroy();
          server.close();
        }
      },
    );

    test(
      'http, tcp and grpc work from the one file too (gRPC loaded only then)',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const grpc = await startGrpcHealthServer({ host: '127.0.0.1', service: 'cdc', status: 'SERVING' });
        const web = http.createServer((_req, res) => res.end('{"status":"UP"}'));
        await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
        const webPort = (web.address() as net.AddressInfo).port;
        try {
          const ok = await runBundle(
            ['grpc', `127.0.0.1:${grpc.port}`, '--service', 'cdc', '--timeout', '5s'],
            {},
          );
          assert.deepEqual(
            [ok.code, ok.stdout],
            [0, `gRPC probe succeeded: 127.0.0.1:${grpc.port} (service "cdc") is SERVING\n`],
          );
          grpc.setStatus('NOT_SERVING', 'cdc');
          const down = await runBundle(
            ['grpc', `127.0.0.1:${grpc.port}`, '--service', 'cdc', '--timeout', '5s'],
            {},
          );
          assert.deepEqual(
            [down.code, down.stdout],
            [1, 'service unhealthy (responded with "NOT_SERVING")\n'],
          );
          const body = await runBundle(
            ['http', `http://127.0.0.1:${webPort}/health`, '--expect-body', 'UP'],
            {},
          );
          assert.deepEqual([body.code, body.stdout], [0, 'HTTP probe succeeded (200, body matched /UP/)\n']);
          // Copied into an image as `podvisor`, the file is called as `podvisor check KIND`.
          const tcp = await runBundle(['check', 'tcp', `127.0.0.1:${webPort}`], {});
          assert.deepEqual(
            [tcp.code, tcp.stdout],
            [0, `TCP probe succeeded: connected to 127.0.0.1:${webPort}\n`],
          );
        } finally {
          web.close();
          await grpc.close();
        }
      },
    );
  },
);
