/**
 * The motivating example of issue 5 (examples/oracle-cdc): a CDC worker that logs ORA-12518 when
 * its database link breaks and keeps running. First the two apps on their own (the listener's
 * outage switch, the worker's bug), then both manifests on a real node: the liveness probe, an
 * ordinary exec probe running `podvisor check log` / `podvisor check conn`, restarts the worker,
 * and the restarted worker reconnects once the listener recovers.
 *
 * The manifests are applied as copies with free ports instead of 1521/1580 (so the cases and
 * other tests can run at once) and 1 s periods; everything else is as in the files.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import { loadExample } from '../helpers/example-files.js';
import {
  containerStatus,
  freePorts,
  isPodRunningReady,
  markedPod,
  MARKER_ENV,
  newMarker,
  summarizePod,
} from '../helpers/e2e-pods.js';
import {
  killProcessesWithMarker,
  REPO_ROOT,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';
import { assertEventContains, expectNoRestartsFor } from '../helpers/probe-scenarios.js';

const LISTENER_APP = `${REPO_ROOT}/examples/oracle-cdc/listener.mjs`;
const WORKER_APP = `${REPO_ROOT}/examples/oracle-cdc/worker.mjs`;
const ORA_12518 = 'ORA-12518: TNS:listener could not hand off client connection';
const ORA_12541 = 'ORA-12541: TNS:no listener';
const MARKER = newMarker('oracle-cdc');

after(() => {
  killProcessesWithMarker(MARKER);
});

/** Polls `read` until `done` holds for its value; fails after `timeoutMs` showing the last value. */
async function pollFor<T>(
  what: string,
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs: number,
  show: (value: T) => string = String,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms; last seen:\n${show(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function adminPost(adminPort: number, action: 'outage' | 'recover'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/${action}`, { method: 'POST' });
  const body = await res.text();
  assert.equal(res.status, 200, `POST /${action} on the listener's admin port: ${res.status} ${body}`);
  return body;
}

/** One of the example apps as a child process of the test, its output collected. */
class App {
  readonly child: ChildProcess;
  output = '';

  constructor(file: string, env: Record<string, string>) {
    const inherited = { ...process.env };
    delete inherited.NODE_OPTIONS; // the test runner's loader
    delete inherited.NODE_TEST_CONTEXT; // a child node would report to the runner
    this.child = spawn(process.execPath, [file, MARKER], {
      env: { ...inherited, [MARKER_ENV]: MARKER, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    this.child.stderr!.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
  }

  count(text: string): number {
    return this.output.split(text).length - 1;
  }

  waitFor(text: string, timeoutMs: number, times = 1): Promise<string> {
    return pollFor(
      `output containing ${JSON.stringify(text)} ×${times}`,
      () => this.output,
      () => this.count(text) >= times,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}

describe('oracle-cdc apps on their own', () => {
  test(
    'the worker connects, logs ORA-12518 when the listener drops it and stays up; a new worker retries with ORA-12541 until the listener recovers',
    { timeout: 30_000 },
    async () => {
      const [port, adminPort] = (await freePorts(2)) as [number, number];
      const listener = new App(LISTENER_APP, {
        HOST: '127.0.0.1',
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        CHANGE_MS: '200',
      });
      const workerEnv = { ORACLE_PORT: String(port), RETRY_MS: '200', HEARTBEAT_MS: '200' };
      const apps = [listener];
      try {
        await listener.waitFor(`oracle-listener admin: listening on 127.0.0.1:${adminPort}`, 10_000);
        const worker = new App(WORKER_APP, workerEnv);
        apps.push(worker);
        await worker.waitFor(`connected to oracle at 127.0.0.1:${port}`, 10_000);
        await worker.waitFor('applied change scn=', 10_000, 2);

        assert.match(await adminPost(adminPort, 'outage'), /dropped 1 connection/);
        await worker.waitFor(ORA_12518, 10_000);
        // The bug: no reconnect attempt, no exit, and no more changes applied.
        const applied = worker.count('applied change');
        await new Promise((r) => setTimeout(r, 1_000));
        assert.equal(worker.child.exitCode, null, `the worker should keep running:\n${worker.output}`);
        assert.equal(worker.count(ORA_12541), 0, `the broken worker should not retry:\n${worker.output}`);
        assert.equal(worker.count('applied change'), applied, 'no changes arrive without a connection');

        // A fresh worker during the outage is refused and retries.
        const fresh = new App(WORKER_APP, workerEnv);
        apps.push(fresh);
        await fresh.waitFor(ORA_12541, 10_000, 2);
        assert.equal(fresh.count('connected to oracle'), 0);

        assert.match(await adminPost(adminPort, 'recover'), /recovered: listening/);
        await fresh.waitFor(`connected to oracle at 127.0.0.1:${port}`, 10_000);
        await fresh.waitFor('applied change scn=', 10_000);
        assert.equal(worker.count('connected to oracle'), 1, 'the broken worker never reconnects');
      } finally {
        await Promise.all(apps.map((a) => a.stop()));
      }
    },
  );
});

interface HealCase {
  file: string;
  worker: string;
  /** Texts the liveness `Unhealthy` message must carry: the check's reason. */
  reasonTexts: (port: number) => string[];
}

const CASES: HealCase[] = [
  {
    file: 'examples/oracle-cdc/heal-with-log.yaml',
    worker: 'cdc-worker-log',
    reasonTexts: () => ['ORA-12518'],
  },
  {
    file: 'examples/oracle-cdc/heal-with-conn.yaml',
    worker: 'cdc-worker-conn',
    reasonTexts: (port) => ['ESTABLISHED', String(port)],
  },
];

function setEnv(c: Container, name: string, value: string): void {
  const entry = c.env?.find((e) => e.name === name);
  assert.ok(entry, `the example's container ${c.name} should set ${name}`);
  entry.value = value;
}

/** The example's pods with free ports instead of 1521/1580, 1 s periods and the test marker. */
function examplePods(file: string, port: number, adminPort: number): { listener: Pod; worker: Pod } {
  const [listener] = loadExample('examples/oracle-cdc/listener.yaml');
  const [worker] = loadExample(file);
  assert.ok(listener?.spec && worker?.spec, `${file} and listener.yaml each hold a pod`);
  const lc = listener.spec.containers[0]!;
  setEnv(lc, 'PORT', String(port));
  setEnv(lc, 'ADMIN_PORT', String(adminPort));
  lc.ports = lc.ports?.map((p) => ({ ...p, containerPort: p.name === 'admin' ? adminPort : port }));
  lc.readinessProbe!.periodSeconds = 1;
  const wc = worker.spec.containers[0]!;
  setEnv(wc, 'ORACLE_PORT', String(port));
  wc.env!.push({ name: 'RETRY_MS', value: '300' });
  for (const probe of [wc.livenessProbe, wc.startupProbe]) {
    if (!probe) continue;
    const argv = probe.exec?.command;
    assert.ok(argv?.[0] === 'podvisor' && argv[1] === 'check', `${file}: exec probes run podvisor check`);
    probe.exec!.command = argv.map((a) => (a === '1521' ? String(port) : a));
    probe.periodSeconds = 1;
    probe.timeoutSeconds = 1;
  }
  assert.ok(wc.livenessProbe, `${file}: the worker has a liveness probe`);
  const mark = (pod: Pod): Pod => ({
    ...markedPod(pod.metadata!.name!, MARKER, pod.spec!),
    metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, 'e2e-run': MARKER.slice(-12) } },
  });
  return { listener: mark(listener), worker: mark(worker) };
}

async function podLog(node: PodvisorNode, name: string, previous = false): Promise<string> {
  const res = await fetch(
    `${node.server}/api/v1/namespaces/default/pods/${name}/log${previous ? '?previous=true' : ''}`,
    { headers: { Authorization: `Bearer ${node.token}` } },
  );
  return res.status === 200 ? await res.text() : `(${res.status}) ${await res.text()}`;
}

const restarts = (pod: Pod): number => containerStatus(pod, 'worker')?.restartCount ?? 0;

describe(
  'oracle-cdc example: liveness heals the worker both ways (issue 5 item 5)',
  { concurrency: true },
  () => {
    for (const c of CASES) {
      test(
        `${c.file}: the outage restarts the worker (§3.5, §4.2) with the check's reason in Unhealthy; after recovery it reconnects and stays up`,
        { timeout: 120_000 },
        async () => {
          const [port, adminPort] = (await freePorts(2)) as [number, number];
          const { listener, worker } = examplePods(c.file, port, adminPort);
          const node = await startNode();
          try {
            await node.createPod(listener);
            await node.waitForPod('oracle-listener', isPodRunningReady, 30_000);
            await node.createPod(worker);
            const connected = `connected to oracle at 127.0.0.1:${port}`;
            await pollFor(
              `${c.worker} log: "${connected}"`,
              () => podLog(node, c.worker),
              (l) => l.includes(connected),
              30_000,
            );
            await node.waitForPod(c.worker, (p) => containerStatus(p, 'worker')?.started === true, 30_000);
            assert.equal(restarts(await node.getPod(c.worker)), 0, 'no restart before the outage');

            await adminPost(adminPort, 'outage');
            const unhealthy = await node.waitForEvent(
              `involvedObject.kind=Pod,involvedObject.name=${c.worker},involvedObject.namespace=default`,
              (ev) => ev.reason === 'Unhealthy' && (ev.message ?? '').startsWith('Liveness probe failed:'),
              20_000,
            );
            for (const text of c.reasonTexts(port)) {
              assert.ok(
                unhealthy.message?.includes(text),
                `Unhealthy should carry ${JSON.stringify(text)}: ${unhealthy.message}`,
              );
            }
            await node.waitForPod(c.worker, (p) => restarts(p) >= 1, 20_000);
            await assertEventContains(
              node,
              c.worker,
              'Killing',
              'Container worker failed liveness probe, will be restarted',
            );
            const previous = await podLog(node, c.worker, true);
            assert.ok(previous.includes(ORA_12518), `the killed instance logged ORA-12518:\n${previous}`);

            await adminPost(adminPort, 'recover');
            await pollFor(
              `restarted ${c.worker} reconnects`,
              () => podLog(node, c.worker),
              (l) => l.includes(connected),
              30_000,
            );
            const settled = await node.waitForPod(
              c.worker,
              (p) => containerStatus(p, 'worker')?.started === true,
              30_000,
            );
            const count = restarts(settled);
            // liveness period 1 s × failureThreshold 2: five periods without a restart
            const final = await expectNoRestartsFor(node, c.worker, 5_000);
            assert.equal(restarts(final), count);
            assert.ok(
              containerStatus(final, 'worker')?.state?.running,
              `still running: ${summarizePod(final)}`,
            );
          } finally {
            await node.stop();
          }
        },
      );
    }
  },
);
