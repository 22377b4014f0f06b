/**
 * Issue 3 "must show": requests without the token get 401 with a Status body (over http:// and
 * https://), the state directory, database, token and key are private to the user, log paths
 * cannot leave their pod, and `podvisor kubeconfig` gives kubectl everything it needs (a token
 * is sent by kubectl only over TLS, so the kubeconfig points at the node's https:// side).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { containerStatus, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('security');
let node: PodvisorNode;
let podName: string;
const scratch = mkdtempSync(join(tmpdir(), 'podvisor-e2e-security-'));

interface RawResponse {
  status: number;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}, ca?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(url, { headers, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function kubectl(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = mkdtempSync(join(scratch, 'home-'));
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      [...args, `--cache-dir=${join(home, 'cache')}`],
      { env: { PATH: process.env.PATH ?? '', HOME: home, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Follows the pod's log until its first line has been written (running comes before output). */
function firstLogLine(target: PodvisorNode, pod: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = `${target.server}/api/v1/namespaces/default/pods/${pod}/log?follow=true`;
    const req = httpRequest(url, { headers: { Authorization: `Bearer ${target.token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString('utf8');
        if (body.includes('\n')) {
          req.destroy();
          resolve(body);
        }
      });
      res.on('end', () => reject(new Error(`log ended before a line: ${body}`)));
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    req.end();
  });
}

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('security (issue 3)', { timeout: 120_000 }, () => {
  before(async () => {
    node = await startNode();
    podName = uniqueName('secret');
    await node.createPod(
      markedPod(podName, MARKER, {
        containers: [
          { name: 'app', image: 'busybox', command: shCommand('echo inside; exec sleep 600', MARKER) },
        ],
      }),
    );
    await node.waitForPod(podName, (p) => containerStatus(p)?.state?.running !== undefined, 30_000);
    await firstLogLine(node, podName);
    // A file outside the pod that an escaping log path would reach.
    writeFileSync(join(node.stateDir, 'x'), 'NOT A LOG\n');
  });
  after(async () => {
    await node?.stop();
    killProcessesWithMarker(MARKER);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('401 Unauthorized with a Status body without the token or with a wrong one', async () => {
    const path = '/api/v1/namespaces/default/pods';
    const https = node.server.replace('http://', 'https://');
    const ca = readFileSync(join(node.stateDir, 'tls', 'serving.crt'), 'utf8');
    for (const [base, headers] of [
      [node.server, {}],
      [node.server, { Authorization: 'Bearer wrong' }],
      [node.server, { Authorization: `Basic ${Buffer.from(`x:${node.token}`).toString('base64')}` }],
      [https, {}],
      [https, { Authorization: 'Bearer wrong' }],
    ] as [string, Record<string, string>][]) {
      const res = await get(base + path, headers, ca);
      assert.equal(res.status, 401, `${base} ${JSON.stringify(headers)}`);
      assert.deepEqual(JSON.parse(res.body), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    const ok = await get(https + path, { Authorization: `Bearer ${node.token}` }, ca);
    assert.equal(ok.status, 200, 'the token works over https:// too');
  });

  test('the state directory, database, token and key are not readable by other users', () => {
    const dir = node.stateDir;
    assert.equal(modeOf(dir), 0o700);
    for (const file of [
      'podvisor.db',
      'podvisor.db-wal',
      'podvisor.db-shm',
      'api.json',
      'token',
      'tls/serving.key',
    ]) {
      assert.equal(
        modeOf(join(dir, file)) & 0o077,
        0,
        `${file} is private (mode ${modeOf(join(dir, file)).toString(8)})`,
      );
    }
    assert.equal(modeOf(join(dir, 'tls')), 0o700);
  });

  test('log paths cannot escape their pod: only container names of the pod are accepted', async () => {
    const auth = { Authorization: `Bearer ${node.token}` };
    const logUrl = `${node.server}/api/v1/namespaces/default/pods/${podName}/log`;
    const own = await get(`${logUrl}?container=app`, auth);
    assert.equal(own.status, 200);
    assert.equal(own.body, 'inside\n');
    for (const container of ['../../x', '../x', 'app/../../x', '/etc/passwd', '..', 'app/..', '%2e%2e%2fx']) {
      const res = await get(`${logUrl}?container=${encodeURIComponent(container)}`, auth);
      assert.equal(res.status, 400, `container=${container}`);
      const status = JSON.parse(res.body) as { kind: string; message: string };
      assert.equal(status.kind, 'Status');
      assert.equal(status.message, `container ${container} is not valid for pod ${podName}`);
      assert.doesNotMatch(res.body, /NOT A LOG|root:/);
    }
    // Pod and namespace names with path segments name no pod at all.
    for (const path of [
      `/api/v1/namespaces/default/pods/..%2F..%2Fx/log`,
      `/api/v1/namespaces/..%2F..%2F/pods/${podName}/log`,
      `/api/v1/namespaces/default/pods/${podName}%2F..%2F..%2Fx/log`,
    ]) {
      const res = await get(node.server + path, auth);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.equal((JSON.parse(res.body) as { kind: string }).kind, 'Status');
      assert.doesNotMatch(res.body, /NOT A LOG/);
    }
  });

  test('podvisor kubeconfig: kubectl --kubeconfig and KUBECONFIG work with no other flag', async () => {
    const printed = await node.runCli(['kubeconfig']);
    assert.equal(printed.code, 0, printed.stderr);
    const config = parse(printed.stdout) as {
      'current-context': string;
      clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { name: string; user: { token: string } }[];
      contexts: { name: string; context: { cluster: string; user: string } }[];
    };
    const cluster = config.clusters[0];
    assert.match(config['current-context'], /^podvisor-/);
    assert.equal(cluster?.cluster.server, node.server.replace('http://', 'https://'));
    assert.equal(config.users[0]?.user.token, node.token);
    assert.deepEqual(config.contexts[0]?.context, {
      cluster: cluster?.name,
      user: config.users[0]?.name,
      namespace: 'default',
    });

    const file = join(scratch, 'kubeconfig');
    const written = await node.runCli(['kubeconfig', '--output-file', file]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(modeOf(file), 0o600);

    const byFlag = await kubectl(['--kubeconfig', file, 'get', 'pods', '-o', 'name']);
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assert.match(byFlag.stdout, new RegExp(`^pod/${podName}$`, 'm'));
    const byEnv = await kubectl(['logs', podName], { KUBECONFIG: file });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.equal(byEnv.stdout, 'inside\n');
  });
});
