/**
 * Discovery and OpenAPI through the machine's real kubectl (issue 3 item 1, kubectl-surface §1.1,
 * §2.6, §2.13): `api-resources` lists pods and events with their short names, `explain` prints
 * the upstream field documentation, `create -f` works with kubectl's default validation, and
 * `--validate=strict` turns an unknown field into the apiserver's strict-decoding error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { headerColumns, tableRows } from '../helpers/cli-output.js';
import { markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const TEST_TIMEOUT_MS = 60_000;
const MARKER = newMarker('kubectl-discovery');

describe('real kubectl: discovery and OpenAPI', { timeout: 120_000 }, () => {
  let node: PodvisorNode;
  before(async () => {
    node = await startNode();
  });
  after(async () => {
    await node?.stop();
    await closeKubectlFronts();
    killProcessesWithMarker(MARKER);
  });

  test(
    'kubectl-surface §1.1: `kubectl api-resources` lists pods (po) and events (ev)',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const r = await kubectl(node, ['api-resources']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(headerColumns(r.stdout), ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      const rows = tableRows(r.stdout);
      const row = (name: string): Record<string, string> | undefined => rows.find((x) => x.NAME === name);
      assert.deepEqual(row('pods'), {
        NAME: 'pods',
        SHORTNAMES: 'po',
        APIVERSION: 'v1',
        NAMESPACED: 'true',
        KIND: 'Pod',
      });
      assert.deepEqual(row('events'), {
        NAME: 'events',
        SHORTNAMES: 'ev',
        APIVERSION: 'v1',
        NAMESPACED: 'true',
        KIND: 'Event',
      });
    },
  );

  test(
    'kubectl-surface §2.13: `kubectl explain pod.spec.containers.livenessProbe` prints upstream documentation',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const r = await kubectl(node, ['explain', 'pod.spec.containers.livenessProbe']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^KIND: {7}Pod\nVERSION: {4}v1\n\nFIELD: livenessProbe <Probe>\n/);
      assert.match(
        r.stdout,
        /DESCRIPTION:\n {4}Periodic probe of container liveness\. Container will be restarted if the\n/,
      );
      assert.match(r.stdout, /FIELDS:\n {2}exec\t<ExecAction>\n {4}Exec specifies the action to take\.\n/);
      assert.match(
        r.stdout,
        / {2}failureThreshold\t<integer>\n {4}Minimum consecutive failures for the probe to be considered failed after\n/,
      );
      assert.match(r.stdout, / {2}httpGet\t<HTTPGetAction>\n/);
    },
  );

  test(
    'kubectl-surface §2.6: `kubectl create -f` with default validation creates the pod',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('created');
      const pod = markedPod(name, MARKER, {
        containers: [{ name: 'main', command: shCommand('sleep 300', MARKER) }],
      });
      const r = await kubectl(node, ['create', '-f', '-'], { stdin: stringify(pod) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `pod/${name} created`);
      await kubectl(node, ['delete', 'pod', name, '--grace-period=0', '--wait=false']);
    },
  );

  test(
    'kubectl-surface §2.6: an unknown field under --validate=strict fails with the strict decoding error',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('unknown-field');
      const pod = markedPod(name, MARKER, {
        containers: [{ name: 'main', command: shCommand('sleep 300', MARKER) }],
      });
      const manifest = { ...pod, spec: { ...pod.spec, foo: 'bar' } };
      const r = await kubectl(node, ['create', '--validate=strict', '-f', '-'], {
        stdin: stringify(manifest),
      });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr.trim(),
        `Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"`,
      );
      const get = await kubectl(node, ['get', 'pod', name]);
      assert.equal(get.stderr.trim(), `Error from server (NotFound): pods "${name}" not found`);
    },
  );
});
