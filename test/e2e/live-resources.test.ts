/**
 * Issue 8 (live-api) on a real node with the real kubectl: `kubectl get probehistories -w` prints
 * a pod's history again as its probes run (no re-list), `kubectl get servicetraffics` prints the
 * proxy's counters per Service (zeros before any traffic), and a raw `?watch=1&resourceVersion=`
 * stream from a list's version carries the CURRENT objects: probe results that grow, connections
 * that count, the pod name of each backend, and DELETED when the pod goes.
 */
import assert from 'node:assert/strict';
import { get, request, type ClientRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ProbeHistory } from '../../src/api/probe-history.js';
import type { ServiceTraffic } from '../../src/api/service-traffic.js';
import type { Pod } from '../../src/api/types.js';
import { headerColumns, tableRows } from '../helpers/cli-output.js';
import { isPodReady, markedPod, newMarker, POD_IP_ENV, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, kubectlWatch } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('live-resources');
const NAME = uniqueName('live');
const APP_PORT = 8080;
const SERVICE_PORT = 8082;
const GROUP = '/apis/podvisor.io/v1alpha1/namespaces/default';

const APP = `
require('node:http').createServer((req, res) => res.end(process.env.POD_NAME))
  .listen(${APP_PORT}, process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));
`;

function appPod(): Pod {
  const p = markedPod(NAME, MARKER, {
    terminationGracePeriodSeconds: 2,
    containers: [
      {
        name: 'app',
        image: 'node:20',
        command: ['node', '-e', APP],
        env: [POD_IP_ENV, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        ports: [{ name: 'http', containerPort: APP_PORT }],
        readinessProbe: { httpGet: { path: '/', port: APP_PORT }, periodSeconds: 1 },
        livenessProbe: { tcpSocket: { port: APP_PORT }, periodSeconds: 1 },
      },
    ],
  });
  p.metadata = { ...p.metadata, labels: { ...p.metadata?.labels, app: NAME } };
  return p;
}

interface WatchLine<T> {
  type: string;
  object: T;
}

/** A raw watch through the node's token, as the dashboard opens it; events as they arrive. */
class RawWatch<T> {
  readonly events: WatchLine<T>[] = [];
  private readonly req: ClientRequest;
  private buffer = '';
  private wake: () => void = () => {};

  constructor(node: PodvisorNode, path: string) {
    this.req = get(`${node.server}${path}`, { headers: { Authorization: `Bearer ${node.token}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.buffer += chunk;
        let i: number;
        while ((i = this.buffer.indexOf('\n')) >= 0) {
          this.events.push(JSON.parse(this.buffer.slice(0, i)) as WatchLine<T>);
          this.buffer = this.buffer.slice(i + 1);
        }
        this.wake();
      });
    });
    this.req.on('error', () => {});
  }

  /** The first event (from index `from`) that satisfies `pred`; rejects after `ms` with what came. */
  async waitFor(pred: (e: WatchLine<T>) => boolean, ms: number, from = 0): Promise<WatchLine<T>> {
    const until = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      const left = until - Date.now();
      if (left <= 0)
        throw new Error(
          `no matching watch event in ${ms} ms; got ${JSON.stringify(this.events).slice(-2000)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.req.destroy();
  }
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

const resultCount = (h: ProbeHistory): number => h.probes.reduce((n, p) => n + p.results.length, 0);

let node: PodvisorNode;
let clusterIP = '';
let podIP = '';

describe('live resources through kubectl and raw watches (issue 8, live-api)', { timeout: 120_000 }, () => {
  before(async () => {
    node = await startNode();
    await node.createPod(appPod());
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: NAME },
      spec: { selector: { app: NAME }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
    };
    await node.request('POST', '/api/v1/namespaces/default/services', svc);
    const ready = await node.waitForPod(NAME, isPodReady, 30_000);
    podIP = ready.status?.podIP ?? '';
    const stored = await node.request<Service>('GET', `/api/v1/namespaces/default/services/${NAME}`);
    clusterIP = stored.spec?.clusterIP ?? '';
  });

  after(async () => {
    await closeKubectlFronts();
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test('kubectl get probehistories -w prints the pod again as its probes run, without a re-list', async () => {
    const watch = await kubectlWatch(node, ['get', 'probehistories', '-w']);
    try {
      const header = await watch.waitForLine(/^NAME\s+PROBES/, 15_000);
      assert.match(header, /RESTARTS BY PROBES/);
      const row = new RegExp(`^${NAME}\\s+liveness,readiness|^${NAME}\\s+readiness,liveness`);
      await watch.waitForLine(row, 15_000);
      const first = watch.lines.findIndex((l) => row.test(l));
      // Both probes run every second: the next rows are watch events, not a second list.
      await watch.waitForLine(row, 10_000, first + 1);
      await watch.waitForLine(row, 10_000, watch.lines.findIndex((l, i) => i > first && row.test(l)) + 1);
    } finally {
      const result = await watch.stop();
      assert.doesNotMatch(result.stderr, /error|forbidden|not supported/i, result.stderr);
    }
  });

  test('a raw watch from the list version: the history grows, probe by probe, as MODIFIED events', async () => {
    const list = await node.request<{ metadata: { resourceVersion: string }; items: ProbeHistory[] }>(
      'GET',
      `${GROUP}/probehistories`,
    );
    const listed = list.items.find((h) => h.metadata.name === NAME);
    assert.ok(listed, 'the pod has a history');
    const watch = new RawWatch<ProbeHistory>(
      node,
      `${GROUP}/probehistories?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
    );
    try {
      const next = await watch.waitFor((e) => e.object.metadata.name === NAME, 10_000);
      assert.equal(next.type, 'MODIFIED', 'it existed at the list version');
      assert.ok(resultCount(next.object) > resultCount(listed), 'the event carries the newer results');
      assert.ok(Number(next.object.metadata.resourceVersion) > Number(list.metadata.resourceVersion));
      const later = await watch.waitFor(
        (e) => e.object.metadata.name === NAME && resultCount(e.object) > resultCount(next.object),
        10_000,
      );
      assert.ok(Number(later.object.metadata.resourceVersion) > Number(next.object.metadata.resourceVersion));
    } finally {
      watch.close();
    }
  });

  test('kubectl get servicetraffics: zeros first, then the connections through the cluster IP, with the pod behind them', async () => {
    const before = await kubectl(node, ['get', 'servicetraffics']);
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(headerColumns(before.stdout), [
      'NAME',
      'BACKENDS',
      'CONNECTIONS',
      'ACTIVE',
      'REJECTED',
      'AGE',
    ]);
    const row = tableRows(before.stdout).find((r) => r.NAME === NAME);
    assert.deepEqual([row?.BACKENDS, row?.CONNECTIONS, row?.REJECTED], ['1', '0', '0'], before.stdout);

    const list = await node.request<{ metadata: { resourceVersion: string } }>(
      'GET',
      `${GROUP}/servicetraffics`,
    );
    const watch = new RawWatch<ServiceTraffic>(
      node,
      `${GROUP}/servicetraffics?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
    );
    try {
      for (let i = 0; i < 3; i++) assert.equal(await httpGet(clusterIP, SERVICE_PORT), NAME);
      const counted = await watch.waitFor(
        (e) => e.object.metadata.name === NAME && e.object.backends[0]?.connections === 3,
        10_000,
      );
      assert.equal(counted.type, 'MODIFIED');
      assert.deepEqual(counted.object.backends[0], {
        address: `${podIP}:${APP_PORT}`,
        port: SERVICE_PORT,
        ready: true,
        connections: 3,
        active: counted.object.backends[0]?.active,
        pod: { name: NAME, namespace: 'default' },
      });
      const after = await kubectl(node, ['get', 'servicetraffics', NAME]);
      assert.equal(after.code, 0, after.stderr);
      assert.equal(tableRows(after.stdout)[0]?.CONNECTIONS, '3', after.stdout);
    } finally {
      watch.close();
    }
  });

  test('deleting the pod: its history is DELETED on the watch', async () => {
    const list = await node.request<{ metadata: { resourceVersion: string } }>(
      'GET',
      `${GROUP}/probehistories`,
    );
    const watch = new RawWatch<ProbeHistory>(
      node,
      `${GROUP}/probehistories?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
    );
    try {
      await node.deletePod(NAME, { gracePeriodSeconds: 1 });
      const gone = await watch.waitFor((e) => e.type === 'DELETED', 20_000);
      assert.equal(gone.object.metadata.name, NAME);
    } finally {
      watch.close();
    }
  });
});
