/**
 * Issue 4 "Must show": a Deployment of 3 replicas behind a Service keeps answering through the
 * service address while (a) one pod is deleted, (b) one pod's liveness fails and it restarts,
 * (c) one pod's readiness fails (no request reaches it while unready — the pod counts them),
 * (d) a rolling update with maxUnavailable 0 runs while a client sends requests the whole time
 * and sees no failed request, (e) a rollout to a template whose readiness never passes stalls,
 * is reported as not progressing, and `kubectl rollout undo` recovers it.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { stringify as toYaml } from 'yaml';
import type { Deployment } from '../../src/controllers/deployment-util.js';
import { MARKER_ENV, newMarker, POD_IP_ENV } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('deploy-svc');
const APP_PORT = 8080;
const SERVICE_PORT = 8090;

/**
 * Answers `<version> <pod>`. /ready and /healthz follow toggles (POST /unready, /ready-again,
 * /break); GET /count is how many requests it served on `/`. On SIGTERM it shuts down as a
 * well-behaved service behind a Service does: it fails readiness and keeps serving until it is out
 * of the endpoints (3 s; the readiness period is 1 s), then stops accepting and lets open requests
 * finish. Closing the listener at once would reset connections the kernel had already accepted
 * for it while the proxy still sent it traffic (a liveness kill leaves the pod in the endpoints
 * until its readiness fails, on a cluster too).
 */
const APP = `
const http = require('node:http');
let ready = true, healthy = true, served = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/ready') { res.writeHead(ready ? 200 : 503); res.end(); return; }
  if (req.url === '/never') { res.writeHead(503); res.end(); return; }
  if (req.url === '/healthz') { res.writeHead(healthy ? 200 : 500); res.end(); return; }
  if (req.url === '/unready') { ready = false; res.end('ok'); return; }
  if (req.url === '/ready-again') { ready = true; res.end('ok'); return; }
  if (req.url === '/break') { healthy = false; res.end('ok'); return; }
  if (req.url === '/count') { res.end(String(served)); return; }
  served++;
  res.end(process.env.VERSION + ' ' + process.env.POD_NAME);
});
server.keepAliveTimeout = 0;
server.listen(${APP_PORT}, process.env.POD_IP);
process.on('SIGTERM', () => {
  ready = false;
  setTimeout(() => server.close(() => process.exit(0)), 3000);
});
`;

function deployment(version: string, readinessPath = '/ready'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      progressDeadlineSeconds: 6,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: `web:${version}`,
              command: ['node', '-e', APP],
              env: [
                POD_IP_ENV,
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'VERSION', value: version },
                { name: MARKER_ENV, value: MARKER },
              ],
              ports: [{ name: 'http', containerPort: APP_PORT }],
              readinessProbe: {
                httpGet: { path: readinessPath, port: 'http' },
                periodSeconds: 1,
                failureThreshold: 1,
              },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 1,
                failureThreshold: 2,
              },
            },
          ],
        },
      },
    },
  } as Deployment;
}

const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
};

function get(host: string, port: number, path: string, method = 'GET'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A client sending one request after another through the Service, remembering every outcome. */
class SteadyClient {
  /** `sent` is when the request left, `at` when its answer came. */
  readonly answers: { sent: number; at: number; body: string }[] = [];
  readonly failures: { at: number; error: string }[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(host: string, port: number, maxRequests = 20_000) {
    this.done = (async () => {
      for (let i = 0; this.running && i < maxRequests; i++) {
        const sent = Date.now();
        try {
          this.answers.push({ sent, at: Date.now(), body: await get(host, port, '/') });
        } catch (err) {
          this.failures.push({ at: Date.now(), error: (err as Error).message });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  }

  since(at: number): { answers: number; failures: string[] } {
    return {
      answers: this.answers.filter((a) => a.at >= at).length,
      failures: this.failures.filter((f) => f.at >= at).map((f) => f.error),
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

let node: PodvisorNode;

function ok(r: KubectlResult, what: string): string {
  assert.equal(
    r.code,
    0,
    `${what} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
  );
  return r.stdout;
}

async function webPods(): Promise<Pod[]> {
  const list = await node.request<{ items: Pod[] }>(
    'GET',
    '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
  );
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

async function readyEndpoints(): Promise<string[]> {
  const ep = await node.request<{ subsets?: { addresses?: { ip: string }[] }[] }>(
    'GET',
    '/api/v1/namespaces/default/endpoints/web',
  );
  return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
}

/** Re-checks `check` every 200 ms until it holds; fails naming `what` when the time is up. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function rolledOut(): Promise<void> {
  ok(
    await kubectl(node, ['rollout', 'status', 'deploy/web', '--timeout=90s'], { timeoutMs: 100_000 }),
    'rollout status',
  );
}

describe('a Deployment behind a Service keeps answering (issue 4 Must show)', { timeout: 300_000 }, () => {
  let client: SteadyClient;
  let clusterIP = '';

  before(async () => {
    node = await startNode();
    ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(service) }), 'apply service');
    ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(deployment('v1')) }), 'apply deployment');
    await rolledOut();
    const svc = await node.request<Service>('GET', '/api/v1/namespaces/default/services/web');
    clusterIP = svc.spec?.clusterIP ?? '';
    assert.match(clusterIP, /^127\./);
    await eventually('3 ready endpoints', async () => (await readyEndpoints()).length === 3, 30_000);
    client = new SteadyClient(clusterIP, SERVICE_PORT);
  });

  after(async () => {
    await client?.stop();
    await closeKubectlFronts();
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test('(a) one pod deleted: replaced, and no request fails', async () => {
    const from = Date.now();
    const [victim] = await webPods();
    assert.ok(victim?.metadata?.name);
    ok(await kubectl(node, ['delete', 'pod', victim.metadata.name]), 'delete pod');
    await eventually(
      'a replacement ready behind the Service',
      async () => {
        const pods = await webPods();
        return (
          pods.length === 3 &&
          !pods.some((p) => p.metadata?.name === victim.metadata?.name) &&
          (await readyEndpoints()).length === 3
        );
      },
      60_000,
    );
    // The replacement can be ready within a second: keep the client going past it, so the
    // requests checked span the whole disruption and what follows it.
    await eventually(
      'more than 20 answers since the disruption',
      async () => client.since(from).answers > 20,
      10_000,
    );
    const seen = client.since(from);
    assert.deepEqual(seen.failures, []);
  });

  test('(b) one pod fails its liveness probe: restarted, and no request fails', async () => {
    const from = Date.now();
    const [victim] = await webPods();
    const ip = victim?.status?.podIP ?? '';
    await get(ip, APP_PORT, '/break', 'POST');
    await eventually(
      'the container restarted and ready again',
      async () => {
        const p = await node.request<Pod>('GET', `/api/v1/namespaces/default/pods/${victim?.metadata?.name}`);
        const s = p.status?.containerStatuses?.[0];
        return (s?.restartCount ?? 0) >= 1 && s?.ready === true && (await readyEndpoints()).length === 3;
      },
      60_000,
    );
    // The replacement can be ready within a second: keep the client going past it, so the
    // requests checked span the whole disruption and what follows it.
    await eventually(
      'more than 20 answers since the disruption',
      async () => client.since(from).answers > 20,
      10_000,
    );
    const seen = client.since(from);
    assert.deepEqual(seen.failures, []);
  });

  test('(c) one pod unready: no request reaches it while unready, and none fails', async () => {
    const [victim] = await webPods();
    const ip = victim?.status?.podIP ?? '';
    await get(ip, APP_PORT, '/unready', 'POST');
    await eventually(
      'the pod out of the endpoints',
      async () => !(await readyEndpoints()).includes(ip),
      10_000,
    );
    // The client's request in flight at that moment may have been sent to the pod before it left
    // the rotation; count from when a request sent after it has been answered.
    const removed = Date.now();
    await eventually(
      'an answer to a request sent after the removal',
      async () => client.answers.some((a) => a.sent > removed),
      10_000,
    );
    const before = Number(await get(ip, APP_PORT, '/count'));
    const from = Date.now();
    // Let the client send a few hundred requests while the pod is out of the rotation.
    await eventually('100 answers while unready', async () => client.since(from).answers >= 100, 30_000);
    const after = Number(await get(ip, APP_PORT, '/count'));
    assert.equal(after - before, 0, 'requests reached the unready pod');
    assert.deepEqual(client.since(from).failures, []);
    await get(ip, APP_PORT, '/ready-again', 'POST');
    await eventually(
      'the pod back in the endpoints',
      async () => (await readyEndpoints()).includes(ip),
      10_000,
    );
  });

  test('(d) rolling update with maxUnavailable 0: the client sees no failed request', async () => {
    const from = Date.now();
    assert.equal(
      ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(deployment('v2')) }), 'apply v2'),
      'deployment.apps/web configured\n',
    );
    await rolledOut();
    await eventually(
      'v2 answering',
      async () => client.answers.at(-1)?.body.startsWith('v2 ') === true,
      10_000,
    );
    const seen = client.since(from);
    assert.deepEqual(seen.failures, []);
    assert.ok(seen.answers > 50, `only ${seen.answers} answers`);
    const pods = await webPods();
    assert.equal(pods.length, 3);
    for (const p of pods) assert.equal(p.spec?.containers[0]?.image, 'web:v2');
  });

  test('(e) a rollout whose readiness never passes stalls, is not progressing, and rollout undo recovers', async () => {
    const from = Date.now();
    ok(await kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(deployment('v3', '/never')) }), 'apply v3');
    const stalled = await kubectl(node, ['rollout', 'status', 'deploy/web', '--timeout=60s'], {
      timeoutMs: 70_000,
    });
    assert.equal(stalled.code, 1, stalled.stdout + stalled.stderr);
    assert.match(stalled.stderr, /error: deployment "web" exceeded its progress deadline/);
    const d = await node.request<Deployment>('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(progressing?.status, 'False');
    assert.equal(progressing?.reason, 'ProgressDeadlineExceeded');
    // The old pods kept serving all along: the stalled surge pod never got traffic.
    assert.ok(client.answers.filter((a) => a.at >= from).every((a) => a.body.startsWith('v2 ')));

    ok(await kubectl(node, ['rollout', 'undo', 'deploy/web']), 'rollout undo');
    await rolledOut();
    const pods = await webPods();
    assert.equal(pods.length, 3);
    for (const p of pods) assert.equal(p.spec?.containers[0]?.image, 'web:v2');
    const seen = client.since(from);
    assert.deepEqual(seen.failures, []);
    assert.ok(seen.answers > 50, `only ${seen.answers} answers`);
  });
});
