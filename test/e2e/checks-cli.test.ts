/**
 * `podvisor check KIND …` for a person: the verdict line with its latency and exit 0/1 (2 on a
 * usage error); log and silence read a pod's log through the node found by the state dir.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  freePort,
  isPodRunningReady,
  markedPod,
  newMarker,
  shCommand,
  uniqueName,
} from '../helpers/e2e-pods.js';
import {
  killProcessesWithMarker,
  runPodvisor,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

const MARKER = newMarker('checks-cli');
const TEST_TIMEOUT_MS = 60_000;

describe('podvisor check on the command line', { timeout: 180_000 }, () => {
  let server: http.Server;
  let url: string;
  before(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/down' ? 503 : 200);
      res.end(req.url === '/down' ? 'down' : 'UP');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(() => server.close());

  test(
    'check http prints the verdict with its latency, exit 0 or 1',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const up = await runPodvisor(['check', 'http', `${url}/healthz`, '--expect-body', 'UP']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /^ok: HTTP probe succeeded \(200, body matched \/UP\/\) in \d+ ms\n$/);
      const down = await runPodvisor(['check', 'http', `${url}/down`]);
      assert.equal(down.code, 1);
      assert.match(down.stdout, /^failure: HTTP probe failed with statuscode: 503 in \d+ ms\n$/);
    },
  );

  test('check tcp: a listening port and a closed one', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { port } = new URL(url);
    const open = await runPodvisor(['check', 'tcp', `127.0.0.1:${port}`]);
    assert.equal(open.code, 0);
    assert.match(
      open.stdout,
      new RegExp(`^ok: TCP probe succeeded: connected to 127\\.0\\.0\\.1:${port} in \\d+ ms\\n$`),
    );
    const closedPort = await freePort();
    const closed = await runPodvisor(['check', 'tcp', `127.0.0.1:${closedPort}`, '--timeout', '2s']);
    assert.equal(closed.code, 1);
    assert.match(
      closed.stdout,
      new RegExp(
        `^failure: dial tcp 127\\.0\\.0\\.1:${closedPort}: connect: connection refused in \\d+ ms\\n$`,
      ),
    );
  });

  test('check exec and check conn --pid run here', { timeout: TEST_TIMEOUT_MS }, async () => {
    const exec = await runPodvisor(['check', 'exec', '--', 'sh', '-c', 'echo still alive']);
    assert.deepEqual([exec.code, exec.stdout.replace(/\d+ ms/, 'N ms')], [0, 'ok: still alive in N ms\n']);

    const listener = net.createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').connect(${port},'127.0.0.1',()=>console.log('up'));setInterval(()=>{},1000)`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Another process tree (this test's own would include the holder) holds no such socket.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await once(holder.stdout, 'data');
      const held = await runPodvisor([
        'check',
        'conn',
        '--remote-port',
        String(port),
        '--pid',
        String(holder.pid),
      ]);
      assert.equal(held.code, 0, held.stdout + held.stderr);
      assert.match(held.stdout, new RegExp(`^ok: 1 ESTABLISHED connection to port ${port} in \\d+ ms\\n$`));
      const other = await runPodvisor([
        'check',
        'conn',
        '--remote-port',
        String(port),
        '--pid',
        String(bystander.pid),
      ]);
      assert.equal(other.code, 1);
      assert.match(
        other.stdout,
        /^failure: 0 ESTABLISHED connections to port \d+ \(need at least 1\) in \d+ ms\n$/,
      );
    } finally {
      holder.kill('SIGKILL');
      bystander.kill('SIGKILL');
      listener.close();
    }
  });

  test(
    "usage errors exit 2 naming the flag; -h prints the kind's flags",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const bad = await runPodvisor(['check', 'conn', '--remote-port', 'oracle']);
      assert.equal(bad.code, 2);
      assert.equal(
        bad.stderr,
        'error: check conn: --remote-port "oracle" is not a whole number from 1 to 65535\n',
      );
      const help = await runPodvisor(['check', 'log', '-h']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /usage: podvisor check log --match REGEX/);
      const noPod = await runPodvisor(['check', 'log', '--match', 'x']);
      assert.equal(noPod.code, 2);
      assert.match(noPod.stderr, /pass --pod NAME \[-c CONTAINER\] \[-n NAMESPACE\]/);
    },
  );

  describe('check log|silence --pod through the node', () => {
    let node: PodvisorNode;
    const pod = uniqueName('talker');
    before(async () => {
      node = await startNode();
      await node.createPod(
        markedPod(pod, MARKER, {
          containers: [
            {
              name: 'app',
              image: 'busybox',
              command: shCommand('echo "ERROR: lost the database"; exec sleep 600', MARKER),
            },
            { name: 'quiet', image: 'busybox', command: shCommand('exec sleep 600', MARKER) },
          ],
        }),
      );
      await node.waitForPod(pod, isPodRunningReady, 30_000);
    });
    after(async () => {
      await node?.stop();
      killProcessesWithMarker(MARKER);
    });

    test('the state dir gives the node, its token and its CA', { timeout: TEST_TIMEOUT_MS }, async () => {
      const deadline = Date.now() + 20_000;
      let run = await node.runCli(['check', 'log', '--match', '^ERROR', '--pod', pod, '-c', 'app']);
      while (run.code !== 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        run = await node.runCli(['check', 'log', '--match', '^ERROR', '--pod', pod, '-c', 'app']);
      }
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(
        run.stdout,
        /^failure: log matched \/\^ERROR\/ 1 time in the last 1m40s: "ERROR: lost the database" in \d+ ms\n$/,
      );
      const silent = await node.runCli(['check', 'silence', '--max', '1h', '--pod', pod, '-c', 'quiet']);
      assert.equal(silent.code, 0, silent.stdout + silent.stderr);
      assert.match(
        silent.stdout,
        /^ok: no output yet, \d+m?s since the container started \(max 1h\) in \d+ ms\n$/,
      );
    });

    test('a pod with two containers needs -c, naming them', { timeout: TEST_TIMEOUT_MS }, async () => {
      const run = await node.runCli(['check', 'log', '--match', 'x', '--pod', pod]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /has containers app, quiet: say which with -c NAME/);
    });
  });
});
