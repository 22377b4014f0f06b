/**
 * Issue 8 "See it heal": the web dashboard in a real browser (Debian's Chromium through
 * playwright-core) against a real `podvisor up`. The page opens with the URL `podvisor dashboard`
 * prints (token in the fragment) and, without ever reloading, follows the node through watches:
 * a liveness restart shows in RESTARTS, an unready replica leaves the Service's ready endpoints,
 * a scale from the page brings a third replica, and a pod in CrashLoopBackOff shows its back-off
 * countdown and probe timeline. No console error and no CSP violation may happen on the way.
 * Screenshots: test-artifacts/dashboard.png (the run) and docs/dashboard.png (for the README).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { MARKER_ENV, newMarker, POD_IP_ENV } from '../helpers/e2e-pods.js';
import {
  killProcessesWithMarker,
  REPO_ROOT,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

// Functions passed to page.waitForFunction/evaluate run in the browser. The root tsconfig has no
// DOM lib (the node code must not see browser globals), so the little they touch is declared here.
interface PageElement {
  textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
};
declare const window: object;

const MARKER = newMarker('dashboard');
const APP_PORT = 8080;
const CHROMIUM = '/usr/bin/chromium';

/** Answers /ready until POST /unready; logs a line per second so the logs panel has something. */
const WEB_APP = `
const http = require('node:http');
let ready = true;
http.createServer((req, res) => {
  if (req.url === '/ready') { res.writeHead(ready ? 200 : 503); res.end(); return; }
  if (req.url === '/unready') { ready = false; res.end('ok'); return; }
  res.end('hello from ' + process.env.POD_NAME);
}).listen(${APP_PORT}, process.env.POD_IP);
process.on('SIGTERM', () => process.exit(0));
`;

/** Healthy for its first 5 s, then /healthz answers 500: liveness (period 1 s, threshold 2) kills it. */
const HEAL_APP = `
const http = require('node:http');
const start = Date.now();
console.log('started; healthy for 5 s');
setInterval(() => console.log('up ' + Math.round((Date.now() - start) / 1000) + ' s'), 1000);
http.createServer((req, res) => {
  res.writeHead(Date.now() - start < 5000 ? 200 : 500);
  res.end();
}).listen(${APP_PORT}, process.env.POD_IP);
`;

const env = [
  POD_IP_ENV,
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: MARKER_ENV, value: MARKER },
];

const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'app',
            image: 'web:v1',
            command: ['node', '-e', WEB_APP],
            env,
            ports: [{ name: 'http', containerPort: APP_PORT }],
            readinessProbe: {
              httpGet: { path: '/ready', port: 'http' },
              periodSeconds: 1,
              failureThreshold: 1,
            },
          },
        ],
      },
    },
  },
};

const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 8091, targetPort: 'http' }] },
};

const healPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'heal', namespace: 'default' },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'app',
        image: 'heal:v1',
        command: ['node', '-e', HEAL_APP],
        env,
        livenessProbe: {
          httpGet: { path: '/healthz', port: APP_PORT },
          periodSeconds: 1,
          failureThreshold: 2,
        },
      },
    ],
  },
};

function post(host: string, port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'POST', agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until `selector` matches `count` elements or more (and, with `text`, their text matches). */
async function waitForCount(page: Page, selector: string, count: number, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel as string).length >= (n as number),
    [selector, count],
    { timeout: timeoutMs, polling: 100 },
  );
}

/** test-artifacts/NAME (gitignored): what the run looked like, for a human reading a CI failure. */
function artifact(name: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? '';
}

describe('the web dashboard shows the node healing, live (issue 8)', { timeout: 180_000 }, () => {
  let node: PodvisorNode;
  let browser: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const consoleErrors: string[] = [];

  before(async () => {
    node = await startNode();
    await node.request('POST', '/api/v1/namespaces/default/services', service);
    await node.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment);
    userDataDir = mkdtempSync(join(tmpdir(), 'podvisor-chromium-'));
    // A fresh profile per run (playwright takes it as the persistent context's directory).
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content[- ]Security[- ]Policy/i.test(msg.text()))
        consoleErrors.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  });

  after(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test('`podvisor dashboard` prints the URL with the token in the fragment only', async () => {
    const out = await node.runCli(['dashboard']);
    assert.equal(out.code, 0, out.stderr);
    const url = new URL(out.stdout.trim());
    assert.equal(`${url.protocol}//${url.host}`, node.server);
    assert.equal(url.pathname, '/dashboard/');
    assert.equal(url.search, '', 'no query string: the token never goes to the server');
    assert.equal(url.hash, `#token=${node.token}`);
    assert.match(out.stderr, /fragment/);

    await page.goto(out.stdout.trim());
    await page.evaluate(() => {
      Object.assign(window, { stillTheSamePage: true });
    });
    assert.ok(!page.url().includes(node.token), 'the page clears the token from the address bar');
  });

  test('the pods table lists the pods, and a liveness restart shows in RESTARTS without a reload (§4.1)', async () => {
    await waitForCount(page, '[data-testid=pod-row][data-pod^="web-"]', 2, 30_000);
    // Created now, while the page watches: it appears, then its container is killed about 5 s +
    // 2 failed probes after it starts.
    await node.request('POST', '/api/v1/namespaces/default/pods', healPod);
    await waitForCount(page, '[data-testid=pod-row][data-pod="heal"]', 1, 10_000);
    const restartsCell = '[data-testid=pod-row][data-pod="heal"] [data-testid=pod-restarts]';
    assert.equal(await textOf(page, restartsCell), '0', 'heal has not restarted yet when it first shows');
    await page.waitForFunction(
      (sel) => /^[1-9]/.test(document.querySelector(sel)?.textContent ?? ''),
      restartsCell,
      {
        timeout: 45_000,
        polling: 100,
      },
    );
    assert.match(
      await textOf(page, restartsCell),
      /^[1-9]\d* \(\d+s ago\)$/,
      'kubectl RESTARTS: `1 (3s ago)`',
    );
    assert.equal(await page.evaluate(() => 'stillTheSamePage' in window), true, 'no reload happened');
  });

  test('an unready replica leaves the Service ready endpoints on the Services view (§3.1)', async () => {
    await page.click('nav a[href="#/services"]');
    await waitForCount(page, '[data-service="web"] [data-testid=endpoint-ready]', 2, 30_000);
    await page.screenshot({ path: artifact('dashboard-services.png'), fullPage: true });
    const pods = await node.request<{ items: Pod[] }>(
      'GET',
      '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
    );
    const victim = pods.items.find((p) => p.status?.podIP)!;
    const name = victim.metadata!.name!;
    await post(victim.status!.podIP!, APP_PORT, '/unready');
    await page.waitForFunction(
      (pod) =>
        [...document.querySelectorAll('[data-service="web"] [data-testid=endpoint-notready]')].some((e) =>
          e.textContent?.includes(pod),
        ) &&
        ![...document.querySelectorAll('[data-service="web"] [data-testid=endpoint-ready]')].some((e) =>
          e.textContent?.includes(pod),
        ),
      name,
      { timeout: 20_000, polling: 100 },
    );
  });

  test('scaling the Deployment from the page (click, confirm) brings a third replica', async () => {
    await page.click('nav a[href="#/deployments"]');
    await page.waitForSelector('[data-testid="scale-input-web"]');
    await page.screenshot({ path: artifact('dashboard-deployments.png'), fullPage: true });
    await page.fill('[data-testid="scale-input-web"]', '3');
    await page.click('[data-testid="scale-web"]');
    await page.click('[role=dialog] [data-testid="confirm-yes"]');
    await page.click('nav a[href="#/pods"]');
    await waitForCount(page, '[data-testid=pod-row][data-pod^="web-"]', 3, 30_000);
    await page.screenshot({ path: artifact('dashboard-pods.png'), fullPage: true });
    const d = await node.request<Deployment>('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal(d.spec?.replicas, 3);
  });

  test('the Nodes view lists the node with its process containment', async () => {
    await page.click('nav a[href="#/nodes"]');
    await waitForCount(page, '[data-testid=node-row]', 1, 10_000);
    const row = await textOf(page, '[data-testid=node-row]');
    const nodes = await node.request<{
      items: { metadata: { name: string; annotations?: Record<string, string> } }[];
    }>('GET', '/api/v1/nodes');
    const only = nodes.items[0]!.metadata;
    const containment = only.annotations?.['podvisor.io/process-containment'];
    assert.ok(containment, 'the node announces its process containment');
    assert.ok(row.startsWith(`${only.name}Ready`), row);
    assert.ok(row.endsWith(containment), `${row} ends with ${containment}`);
    await page.click('nav a[href="#/pods"]');
    await page.waitForSelector('[data-testid=pod-row][data-pod="heal"]');
  });

  test('the pod detail shows the CrashLoopBackOff countdown and the probe timeline; screenshots', async () => {
    await page.click('[data-testid=pod-row][data-pod="heal"] a');
    await page.waitForSelector('[data-testid=pod-detail]');
    // The second liveness kill puts it in back-off (spec §4.2): the countdown counts down locally.
    await page.waitForSelector('[data-testid=backoff-countdown]', { timeout: 60_000 });
    const first = await textOf(page, '[data-testid=backoff-countdown]');
    assert.match(first, /^restarting (in \d+s|now)$/);
    assert.match(await textOf(page, '[data-testid=container-last-state]'), /^Terminated: .*exit code/);
    await page.waitForSelector('[data-testid=probe-timeline]');
    await waitForCount(page, '[data-testid=events-table] tbody tr', 3, 10_000);
    // The killed instance's log, as `logs --previous` shows it.
    await page.click('[data-testid=logs-previous]');
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid=logs]')?.textContent ?? '').includes(
          'started; healthy for 5 s',
        ),
      undefined,
      { timeout: 10_000, polling: 100 },
    );
    await page.screenshot({ path: artifact('dashboard.png'), fullPage: true });
    // docs/dashboard.png is committed: refreshed on demand only (PODVISOR_DOCS_SCREENSHOT=1).
    if (process.env.PODVISOR_DOCS_SCREENSHOT) {
      await page.click('[data-testid=probe-timeline] [aria-label="time window"] button:text-is("1m")');
      await page.screenshot({ path: join(REPO_ROOT, 'docs', 'dashboard.png'), fullPage: false });
    }
  });

  test('pause and resume probes from the pod page (confirmed), then delete the pod (confirmed)', async () => {
    const annotation = async (): Promise<string | undefined> =>
      (await node.getPod('heal')).metadata?.annotations?.['podvisor.io/probes-paused-until'];
    await page.click('[data-testid=pause-probes]');
    await page.click('[role=dialog] [data-testid="confirm-yes"]');
    // The page learns of the pause from the watch, not from its own request.
    await page.waitForSelector('[data-testid=resume-probes]', { timeout: 10_000 });
    const until = Date.parse((await annotation()) ?? '');
    assert.ok(
      until - Date.now() > 29 * 60_000 && until - Date.now() <= 30 * 60_000 + 1000,
      `paused until ${until}`,
    );
    await page.click('[data-testid=resume-probes]');
    await page.click('[role=dialog] [data-testid="confirm-yes"]');
    await page.waitForSelector('[data-testid=pause-probes]', { timeout: 10_000 });
    assert.equal(await annotation(), undefined);

    // Cancel asks nothing of the node; Confirm deletes.
    await page.click('[data-testid=delete-pod]');
    await page.click('[role=dialog] [data-testid="confirm-no"]');
    assert.equal(
      (await node.getPod('heal')).metadata?.deletionTimestamp,
      undefined,
      'cancel deleted nothing',
    );
    await page.click('[data-testid=delete-pod]');
    await page.click('[role=dialog] [data-testid="confirm-yes"]');
    await page.waitForFunction(
      () => (document.querySelector('main')?.textContent ?? '').includes('does not exist'),
      undefined,
      { timeout: 20_000, polling: 100 },
    );
  });

  test('no console error and no CSP violation on the whole way', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
