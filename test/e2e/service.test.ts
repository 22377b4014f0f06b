/**
 * Services through the real `podvisor up` (issue 4 item 2): three bare pods with a readiness
 * probe behind a ClusterIP Service. Requests through the cluster IP reach all three; a pod whose
 * readiness fails gets no request while unready (counted by the pod itself) and comes back when
 * it passes; a deleted pod drops out while traffic goes on; `kubectl get svc,endpoints` prints
 * the upstream columns.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { headerColumns, tableRows } from '../helpers/cli-output.js';
import { isPodReady, markedPod, newMarker, POD_IP_ENV, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('service');
const SVC = uniqueName('web');
const PODS = ['a', 'b', 'c'].map((s) => `${SVC}-${s}`);
const APP_PORT = 8080;
const SERVICE_PORT = 8081;

/** Answers its pod name; GET /ready follows a toggle (POST /toggle); GET /count: requests served on `/`. */
const APP = `
const http = require('node:http');
let ready = true;
let served = 0;
http.createServer((req, res) => {
  if (req.url === '/ready') { res.writeHead(ready ? 200 : 503); res.end(); return; }
  if (req.url === '/toggle') { ready = !ready; res.end(String(ready)); return; }
  if (req.url === '/count') { res.end(String(served)); return; }
  served++;
  res.end(process.env.POD_NAME);
}).listen(${APP_PORT}, process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));
`;

function pod(name: string): Pod {
  const p = markedPod(name, MARKER, {
    terminationGracePeriodSeconds: 2,
    containers: [
      {
        name: 'app',
        image: 'node:20',
        command: ['node', '-e', APP],
        env: [POD_IP_ENV, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        ports: [{ name: 'http', containerPort: APP_PORT }],
        readinessProbe: {
          httpGet: { path: '/ready', port: APP_PORT },
          periodSeconds: 1,
          failureThreshold: 1,
        },
      },
    ],
  });
  p.metadata = { ...p.metadata, labels: { ...p.metadata?.labels, app: SVC } };
  return p;
}

function httpGet(host: string, port: number, path: string, method = 'GET'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

let node: PodvisorNode;
let clusterIP = '';
const podIPs = new Map<string, string>();

async function endpoints(): Promise<Endpoints> {
  return node.request<Endpoints>('GET', `/api/v1/namespaces/default/endpoints/${SVC}`);
}

/** Polls the Endpoints object (written by the controller on watch events) until `cond` holds. */
async function waitForEndpoints(cond: (ep: Endpoints) => boolean, timeoutMs: number): Promise<Endpoints> {
  const until = Date.now() + timeoutMs;
  let last: Endpoints | undefined;
  while (Date.now() < until) {
    last = await endpoints().catch(() => undefined);
    if (last && cond(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`endpoints never matched; last: ${JSON.stringify(last)}`);
}

const readyIPs = (ep: Endpoints): string[] =>
  (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
const notReadyIPs = (ep: Endpoints): string[] =>
  (ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort();

/** The proxy binds a new service's ports on its watch event: the first request may come early. */
async function retryGet(host: string, port: number, path: string): Promise<string> {
  const until = Date.now() + 5_000;
  for (;;) {
    try {
      return await httpGet(host, port, path);
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function through(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await httpGet(clusterIP, SERVICE_PORT, '/'));
  return out;
}

describe('Services send traffic only to ready pods (issue 4 item 2)', { timeout: 120_000 }, () => {
  before(async () => {
    node = await startNode();
    for (const name of PODS) await node.createPod(pod(name));
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: SVC },
      spec: { selector: { app: SVC }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
    };
    const applied = await kubectl(node, ['apply', '-f', '-'], { stdin: JSON.stringify(svc) });
    assert.equal(applied.code, 0, applied.stderr);
    for (const name of PODS) {
      const p = await node.waitForPod(name, isPodReady, 30_000);
      podIPs.set(name, p.status?.podIP ?? '');
    }
    const stored = await node.request<Service>('GET', `/api/v1/namespaces/default/services/${SVC}`);
    clusterIP = stored.spec?.clusterIP ?? '';
    assert.match(clusterIP, /^127\.96\.\d+\.\d+$/);
    await waitForEndpoints((ep) => readyIPs(ep).length === 3, 10_000);
  });

  after(async () => {
    await closeKubectlFronts();
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test('requests through the cluster IP reach all three ready pods, round-robin', async () => {
    const answers = await through(9);
    for (const name of PODS) assert.equal(answers.filter((a) => a === name).length, 3, answers.join(' '));
  });

  test('an unready pod gets no request while unready, and returns when it passes again', async () => {
    const [, unready] = PODS as [string, string, string];
    const ip = podIPs.get(unready) ?? '';
    await httpGet(ip, APP_PORT, '/toggle', 'POST');
    const started = Date.now();
    await waitForEndpoints((ep) => notReadyIPs(ep).includes(ip) && !readyIPs(ep).includes(ip), 5_000);
    // periodSeconds 1, failureThreshold 1: out of the rotation within about one probe period.
    assert.ok(Date.now() - started < 3_000, `left the rotation after ${Date.now() - started} ms`);
    const before = Number(await httpGet(ip, APP_PORT, '/count'));
    const answers = await through(20);
    assert.equal(answers.filter((a) => a === unready).length, 0);
    assert.equal(Number(await httpGet(ip, APP_PORT, '/count')), before, 'the unready pod served a request');
    await httpGet(ip, APP_PORT, '/toggle', 'POST');
    await waitForEndpoints((ep) => readyIPs(ep).includes(ip), 5_000);
    assert.ok((await through(6)).includes(unready));
  });

  test('kubectl get svc,endpoints prints the upstream columns', async () => {
    const svc = await kubectl(node, ['get', 'svc', SVC]);
    assert.equal(svc.code, 0, svc.stderr);
    assert.deepEqual(headerColumns(svc.stdout), [
      'NAME',
      'TYPE',
      'CLUSTER-IP',
      'EXTERNAL-IP',
      'PORT(S)',
      'AGE',
    ]);
    const row = tableRows(svc.stdout)[0];
    assert.equal(row?.TYPE, 'ClusterIP');
    assert.equal(row?.['CLUSTER-IP'], clusterIP);
    assert.equal(row?.['EXTERNAL-IP'], '<none>');
    assert.equal(row?.['PORT(S)'], `${SERVICE_PORT}/TCP`);
    const ep = await kubectl(node, ['get', 'endpoints', SVC]);
    assert.equal(ep.code, 0, ep.stderr);
    assert.deepEqual(headerColumns(ep.stdout), ['NAME', 'ENDPOINTS', 'AGE']);
    const expected = [...podIPs.values()]
      .sort()
      .map((ip) => `${ip}:${APP_PORT}`)
      .join(',');
    assert.equal(tableRows(ep.stdout)[0]?.ENDPOINTS, expected);
    const slices = await kubectl(node, ['get', 'endpointslices', '-l', `kubernetes.io/service-name=${SVC}`]);
    assert.equal(slices.code, 0, slices.stderr);
    assert.deepEqual(headerColumns(slices.stdout), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    assert.equal(tableRows(slices.stdout)[0]?.ENDPOINTS, [...podIPs.values()].sort().join(','));
    const described = await kubectl(node, ['describe', 'svc', SVC]);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`IP:\\s+${clusterIP.replace(/\./g, '\\.')}`));
    assert.match(described.stdout, /Endpoints:\s+127\.77\./);
  });

  test('podvisor get svc,endpoints prints both tables, names prefixed with their kind', async () => {
    const r = await node.runCli(['get', 'svc,endpoints']);
    assert.equal(r.code, 0, r.stderr);
    const [svcTable, epTable] = r.stdout.split('\n\n');
    assert.deepEqual(headerColumns(svcTable ?? ''), [
      'NAME',
      'TYPE',
      'CLUSTER-IP',
      'EXTERNAL-IP',
      'PORT(S)',
      'AGE',
    ]);
    const svcRow = tableRows(svcTable ?? '').find((row) => row.NAME === `service/${SVC}`);
    assert.equal(svcRow?.['CLUSTER-IP'], clusterIP);
    assert.deepEqual(headerColumns(epTable ?? ''), ['NAME', 'ENDPOINTS', 'AGE']);
    const epRow = tableRows(epTable ?? '').find((row) => row.NAME === `endpoints/${SVC}`);
    assert.match(
      epRow?.ENDPOINTS ?? '',
      /^127\.77\.\d+\.\d+:8080,127\.77\.\d+\.\d+:8080,127\.77\.\d+\.\d+:8080$/,
    );
    const wide = await node.runCli(['get', 'svc', SVC, '-o', 'wide']);
    assert.equal(tableRows(wide.stdout)[0]?.SELECTOR, `app=${SVC}`);
    const slices = await node.runCli(['get', 'endpointslices']);
    assert.deepEqual(headerColumns(slices.stdout), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    assert.equal(tableRows(slices.stdout)[0]?.PORTS, String(APP_PORT));
  });

  test('podvisor apply -f creates a NodePort service answering on 127.0.0.1:<nodePort>', async () => {
    const file = join(node.stateDir, 'nodeport.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        `  name: ${SVC}-np`,
        'spec:',
        '  type: NodePort',
        '  sessionAffinity: ClientIP',
        `  selector: {app: ${SVC}}`,
        `  ports: [{port: ${SERVICE_PORT}, targetPort: http}]`,
        '',
      ].join('\n'),
    );
    const applied = await node.runCli(['apply', '-f', file]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.trim(), `service/${SVC}-np created`);
    const stored = await node.request<Service>('GET', `/api/v1/namespaces/default/services/${SVC}-np`);
    const nodePort = stored.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    // ClientIP affinity: every request from this client lands on the same pod.
    const answers = new Set<string>();
    for (let i = 0; i < 5; i++) answers.add(await retryGet('127.0.0.1', nodePort, '/'));
    assert.equal(answers.size, 1, [...answers].join(' '));
    assert.ok(PODS.includes([...answers][0] ?? ''));
    const again = await node.runCli(['apply', '-f', file]);
    assert.equal(again.stdout.trim(), `service/${SVC}-np unchanged`);
  });

  test('a deleted pod drops out while every request through the service still succeeds', async () => {
    const gone = PODS[2] as string;
    const ip = podIPs.get(gone) ?? '';
    await node.deletePod(gone);
    const answers: string[] = [];
    // Requests keep flowing while the pod terminates and disappears.
    const ended = waitForEndpoints(
      (ep) => !readyIPs(ep).includes(ip) && !notReadyIPs(ep).includes(ip),
      10_000,
    );
    let done = false;
    void ended.then(() => (done = true));
    while (!done) answers.push(await httpGet(clusterIP, SERVICE_PORT, '/'));
    await ended;
    const afterwards = await through(10);
    assert.equal(afterwards.filter((a) => a === gone).length, 0);
    assert.ok(answers.length > 0);
    for (const a of [...answers, ...afterwards]) assert.ok(PODS.includes(a), `unexpected answer ${a}`);
  });
});

describe('two podvisor nodes on one machine never share a cluster IP', { timeout: 60_000 }, () => {
  test('each node gives its own Service a different cluster IP, held in the machine-wide claims until it stops', async () => {
    const nodes = await Promise.all([startNode(), startNode()]);
    try {
      const name = uniqueName('shared');
      const ips = await Promise.all(
        nodes.map(async (n) => {
          const svc = await n.request<Service>('POST', '/api/v1/namespaces/default/services', {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name },
            spec: { selector: { app: name }, ports: [{ port: 8082, targetPort: 8080 }] },
          });
          return svc.spec?.clusterIP ?? '';
        }),
      );
      assert.match(ips[0] ?? '', /^127\.96\.\d+\.\d+$/);
      assert.match(ips[1] ?? '', /^127\.96\.\d+\.\d+$/);
      assert.notEqual(ips[0], ips[1]);
      const claim = join(tmpdir(), 'podvisor-pod-ips', ips[0] ?? '');
      assert.match(await readFile(claim, 'utf8'), new RegExp(`^${nodes[0]?.pid} `));
      await nodes[0]?.stop();
      // Released at shutdown: gone, or already given to another node (another suite may run).
      const after = await readFile(claim, 'utf8').catch((err: NodeJS.ErrnoException) => err.code);
      assert.doesNotMatch(after ?? '', new RegExp(`^${nodes[0]?.pid} `), 'released at shutdown');
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
});
