/**
 * port-forward end to end (kubectl-surface §2.12): the real kubectl 1.33 (WebSocket tunnel, and the
 * plain SPDY upgrade it falls back to) and podvisor's own CLI reach an HTTP server in a pod.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { closeKubectlFronts, kubectlWatch, type KubectlWatch } from '../helpers/kubectl.js';
import { APPS_DIR, BIN, REPO_ROOT, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const APP_PORT = 8080;
const CLOSED_PORT = 8081;
const FORWARDING = /^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$/;

function webPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
          command: ['node', join(APPS_DIR, 'webserver.mjs'), '--port', String(APP_PORT)],
          ports: [{ name: 'http', containerPort: APP_PORT }],
          // The app binds $POD_IP (downward API), so port 8080 of the machine stays free.
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          // Ready = the server listens, so the tests never race its start-up.
          readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  };
}

async function localPortOf(pf: KubectlWatch, remote: number): Promise<number> {
  const line = await pf.waitForLine(
    new RegExp(`^Forwarding from 127\\.0\\.0\\.1:\\d+ -> ${remote}$`),
    20_000,
  );
  return Number(FORWARDING.exec(line)?.[1]);
}

async function fetchText(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return res.text();
}

describe('port-forward (kubectl-surface §2.12)', () => {
  let node: PodvisorNode;

  before(async () => {
    node = await startNode();
    await node.createPod(webPod('web'));
    const ready = (p: Pod): boolean =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    await node.waitForPod('web', ready, 30_000);
  });
  after(async () => {
    await closeKubectlFronts();
    await node?.stop();
  });

  test('§2.12: kubectl port-forward pod/NAME :PORT (WebSocket tunnel) reaches the server in the pod', async () => {
    const pf = await kubectlWatch(node, ['port-forward', 'pod/web', `:${APP_PORT}`]);
    try {
      const port = await localPortOf(pf, APP_PORT);
      assert.match(await fetchText(port, '/through-kubectl'), /^hello from .* \(GET \/through-kubectl\)\n$/);
      assert.match(await fetchText(port, '/again'), /\(GET \/again\)/);
      await pf.waitForLine(new RegExp(`^Handling connection for ${port}$`), 5_000);
    } finally {
      const out = await pf.stop();
      assert.doesNotMatch(out.stderr, /error/i, out.stderr);
    }
  });

  test('§2.12: kubectl falls back to the plain SPDY/3.1 upgrade and still reaches the pod', async () => {
    const saved = process.env.KUBECTL_PORT_FORWARD_WEBSOCKETS;
    process.env.KUBECTL_PORT_FORWARD_WEBSOCKETS = 'false'; // kubectl's switch for its WebSocket tunnel
    let pf: KubectlWatch;
    try {
      pf = await kubectlWatch(node, ['port-forward', 'web', ':http', '-v=6']);
    } finally {
      if (saved === undefined) delete process.env.KUBECTL_PORT_FORWARD_WEBSOCKETS;
      else process.env.KUBECTL_PORT_FORWARD_WEBSOCKETS = saved;
    }
    try {
      const port = await localPortOf(pf, APP_PORT);
      assert.match(await fetchText(port, '/over-spdy'), /\(GET \/over-spdy\)/);
    } finally {
      const out = await pf.stop();
      assert.doesNotMatch(out.stderr, /tunneling_dialer/, 'the WebSocket tunnel was not used');
    }
  });

  test('§2.12 step 6: a refused port is reported by kubectl with the node error text', async () => {
    const pf = await kubectlWatch(node, ['port-forward', 'pod/web', `:${CLOSED_PORT}`]);
    const port = await localPortOf(pf, CLOSED_PORT);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
    // kubectl 1.33 gives up the whole forward after an error on the error stream.
    const out = await Promise.race([
      pf.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000)),
    ]);
    const result = out ?? (await pf.stop());
    assert.match(
      result.stderr,
      new RegExp(
        `an error occurred forwarding ${port} -> ${CLOSED_PORT}: error forwarding port ${CLOSED_PORT} to pod web_default, uid [0-9a-f-]+: dial tcp 127\\.[0-9.]+:${CLOSED_PORT}: connect: connection refused`,
      ),
    );
  });

  test('podvisor port-forward NAME :REMOTE prints what kubectl prints and forwards until Ctrl-C', async () => {
    const pf = startCliForward(node, ['web', `:${APP_PORT}`]);
    try {
      const port = await pf.localPort(APP_PORT);
      assert.match(await fetchText(port, '/through-podvisor'), /\(GET \/through-podvisor\)/);
      await pf.waitFor(new RegExp(`^Handling connection for ${port}$`, 'm'));
    } finally {
      const { code, stderr } = await pf.interrupt();
      assert.equal(code, 0, stderr);
    }
  });

  test('podvisor port-forward pod/NAME: a refused port prints the node error text', async () => {
    const pf = startCliForward(node, ['pod/web', `:${CLOSED_PORT}`]);
    try {
      const port = await pf.localPort(CLOSED_PORT);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`));
      await pf.waitFor(
        new RegExp(
          `^an error occurred forwarding ${port} -> ${CLOSED_PORT}: error forwarding port ${CLOSED_PORT} to pod web_default, uid [0-9a-f-]+: dial tcp 127\\.[0-9.]+:${CLOSED_PORT}: connect: connection refused$`,
          'm',
        ),
      );
    } finally {
      await pf.interrupt();
    }
  });

  test('podvisor port-forward to a missing pod is NotFound, as kubectl prints it', async () => {
    const result = await node.runCli(['port-forward', 'pod/missing', '80']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), 'Error from server (NotFound): pods "missing" not found');
  });
});

interface CliForward {
  localPort(remote: number): Promise<number>;
  /** Waits until stdout + stderr match. */
  waitFor(pattern: RegExp): Promise<void>;
  interrupt(): Promise<{ code: number | null; stderr: string }>;
}

function startCliForward(node: PodvisorNode, args: string[]): CliForward {
  const child = spawn(process.execPath, [BIN, '--state-dir', node.stateDir, 'port-forward', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  const exited = once(child, 'exit') as Promise<[number | null]>;
  const waitFor = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = pattern.exec(output);
        if (!m) return false;
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => reject(new Error(`no ${String(pattern)} in:\n${output}`)), 20_000);
      if (check()) return;
      child.stdout.on('data', check);
      child.stderr.on('data', check);
    });
  // Registered first, so `output` is complete whenever a waiter checks it.
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
    stderr += c.toString();
  });
  return {
    localPort: async (remote) => {
      const m = await waitFor(new RegExp(`^Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${remote}$`, 'm'));
      return Number(m[1]);
    },
    waitFor: async (pattern) => {
      await waitFor(pattern);
    },
    interrupt: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      const [code] = await exited;
      return { code, stderr };
    },
  };
}
