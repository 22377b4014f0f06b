/**
 * PodPresets, ConfigMaps and Secrets through the real `podvisor up` (issue 4 items 4 and 6): the
 * example examples/podpreset injects DB_PORT=6379 into a role=frontend pod, visible in `podvisor
 * describe pod` and in the process's own environment (its log); a conflicting preset leaves a pod
 * unchanged with a PodPreset event; the real kubectl creates and lists ConfigMaps and Secrets; a
 * missing ConfigMap holds a container in CreateContainerConfigError until it appears.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { tableRows } from '../helpers/cli-output.js';
import { containerStatus, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('podpreset');
let node: PodvisorNode;

function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `kubectl ${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const isRunning = (p: Pod): boolean => containerStatus(p)?.state?.running !== undefined;

/** Polls `podvisor logs` until the output satisfies `done` (the log is written as the process prints). */
async function logsUntil(name: string, done: (out: string) => boolean): Promise<string> {
  const deadline = Date.now() + 10_000;
  let out = '';
  while (Date.now() < deadline) {
    out = (await node.runCli(['logs', name])).stdout;
    if (done(out)) return out;
    await new Promise((r) => setTimeout(r, 200));
  }
  return out;
}

describe('PodPreset, ConfigMap and Secret (issue 4 items 4 and 6)', { timeout: 120_000 }, () => {
  before(async () => {
    node = await startNode({ files: ['examples/podpreset'] });
  });

  after(async () => {
    await node?.stop();
    await closeKubectlFronts();
    await killProcessesWithMarker(MARKER);
  });

  test('the example: describe pod shows DB_PORT: 6379 and the process has DB_PORT=6379', async () => {
    const pod = await node.waitForPod('frontend', isRunning, 20_000);
    assert.equal(
      pod.metadata?.annotations?.['podpreset.admission.kubernetes.io/podpreset-allow-database'] !== undefined,
      true,
    );
    const described = await node.runCli(['describe', 'pod', 'frontend']);
    assert.equal(described.code, 0, described.stderr);
    const environment = described.stdout.slice(described.stdout.indexOf('    Environment:'));
    assert.match(environment, /^ {4}Environment:\n {6}APP_NAME: +website\n {6}DB_PORT: +6379\n/);
    assert.match(
      described.stdout,
      /Environment Variables from:\n +frontend-config +ConfigMap +Optional: false/,
    );
    assert.match(described.stdout, /podpreset\.admission\.kubernetes\.io\/podpreset-allow-database: \d+/);
    const log = await logsUntil('frontend', (out) => out.includes('LOG_LEVEL='));
    const lines = log.split('\n');
    assert.ok(lines.includes('DB_PORT=6379'), log);
    assert.ok(lines.includes('DB_HOST=redis.default.svc'), log);
    // The ConfigMap key that is no variable name is skipped with the kubelet's event.
    const ev = await node.waitForEvent(
      'involvedObject.name=frontend,reason=InvalidEnvironmentVariableNames',
      () => true,
      10_000,
    );
    assert.equal(
      ev.message,
      'Keys [2fa-enabled] from the EnvFrom configMap default/frontend-config were skipped since they are considered invalid environment variable names.',
    );
  });

  test('a conflicting env value: the pod is created unchanged and a PodPreset event says why', async () => {
    const name = uniqueName('clash');
    const pod = markedPod(name, MARKER, {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'app',
          command: shCommand('exec sleep 600', MARKER),
          env: [{ name: 'DB_PORT', value: '5432' }],
        },
      ],
    });
    pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, role: 'frontend' } };
    const created = await node.createPod(pod);
    assert.equal(
      Object.keys(created.metadata?.annotations ?? {}).some((k) => k.startsWith('podpreset.admission')),
      false,
    );
    assert.deepEqual(
      created.spec?.containers[0]?.env?.map((e) => e.name),
      ['DB_PORT', 'PODVISOR_E2E_MARKER'],
    );
    assert.equal(created.spec?.containers[0]?.envFrom, undefined);
    const ev = await node.waitForEvent(`involvedObject.name=${name},reason=PodPreset`, () => true, 10_000);
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message ?? '', /^conflict occurred while applying podpresets: allow-database on pod: /);
    assert.match(ev.message ?? '', /merging env for allow-database has a conflict on DB_PORT/);
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });

  test('kubectl create configmap / secret and get cm,secrets (NAME DATA AGE, NAME TYPE DATA AGE)', async () => {
    ok(
      await kubectl(node, ['create', 'configmap', 'demo', '--from-literal=a=1', '--from-literal=b=2']),
      'create cm',
    );
    ok(
      await kubectl(node, ['create', 'secret', 'generic', 'creds', '--from-literal=password=hunter2']),
      'create secret',
    );
    const out = ok(await kubectl(node, ['get', 'cm,secrets']), 'get');
    const [cmTable = '', secretTable = ''] = out.trim().split('\n\n');
    const cms = tableRows(cmTable);
    assert.deepEqual(Object.keys(cms[0] ?? {}), ['NAME', 'DATA', 'AGE']);
    assert.equal(cms.find((r) => r.NAME === 'configmap/demo')?.DATA, '2');
    const secrets = tableRows(secretTable);
    assert.deepEqual(Object.keys(secrets[0] ?? {}), ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(
      { ...secrets.find((r) => r.NAME === 'secret/creds'), AGE: '' },
      { NAME: 'secret/creds', TYPE: 'Opaque', DATA: '1', AGE: '' },
    );
    const b64 = ok(
      await kubectl(node, ['get', 'secret', 'creds', '-o', 'jsonpath={.data.password}']),
      'get secret',
    );
    assert.equal(Buffer.from(b64, 'base64').toString(), 'hunter2');
  });

  test('a missing ConfigMap holds the container in CreateContainerConfigError until it exists', async () => {
    const name = uniqueName('needs-cm');
    const cmName = uniqueName('later');
    const pod = markedPod(name, MARKER, {
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'app',
          command: shCommand('echo "K=$K"; exec sleep 600', MARKER),
          env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: cmName, key: 'k' } } }],
        },
      ],
    });
    await node.createPod(pod);
    const waiting = await node.waitForPod(
      name,
      (p) => containerStatus(p)?.state?.waiting?.reason === 'CreateContainerConfigError',
      10_000,
    );
    assert.equal(containerStatus(waiting)?.state?.waiting?.message, `configmap "${cmName}" not found`);
    ok(await kubectl(node, ['create', 'configmap', cmName, '--from-literal=k=hello']), 'create cm');
    // The kubelet retries a failed start on its sync cadence (10 s).
    await node.waitForPod(name, isRunning, 20_000);
    const log = await logsUntil(name, (out) => out.includes('K='));
    assert.equal(log.trim(), 'K=hello');
    await node.deletePod(name, { gracePeriodSeconds: 0 });
  });
});
