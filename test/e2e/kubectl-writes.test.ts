/**
 * The write paths through the machine's real kubectl (issue 3 item 4, kubectl-surface §2.6–§2.8):
 * `apply -f` twice with a change (client-side apply: last-applied annotation, three-way strategic
 * merge patch), a forbidden pod change and kubectl's error text, `patch` of every type, `label`,
 * `annotate`, `replace` and `delete` with its wait.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import type { Pod } from '../../src/api/types.js';
import { containerStatus, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const TEST_TIMEOUT_MS = 60_000;
const MARKER = newMarker('kubectl-writes');
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const FORBIDDEN =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

let node: PodvisorNode;

function sleeper(name: string, image: string, script = 'exec sleep 600'): Pod {
  return markedPod(name, MARKER, {
    terminationGracePeriodSeconds: 2,
    containers: [{ name: 'app', image, command: shCommand(script, MARKER) }],
  });
}

function ok(r: KubectlResult, what: string): string {
  assert.equal(
    r.code,
    0,
    `kubectl ${what} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
  );
  return r.stdout;
}

const run = (args: string[], stdin?: string): Promise<KubectlResult> =>
  kubectl(node, args, stdin === undefined ? {} : { stdin });

const applyPod = (pod: Pod): Promise<KubectlResult> => run(['apply', '-f', '-'], toYaml(pod));

const running = (restarts: number) => (p: Pod) => {
  const st = containerStatus(p, 'app');
  return st?.state?.running !== undefined && st.restartCount === restarts;
};

describe('the real kubectl writes to podvisor (kubectl-surface §2.6–§2.8)', { timeout: 300_000 }, () => {
  before(async () => {
    node = await startNode();
  });

  after(async () => {
    await closeKubectlFronts();
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test(
    '§2.7 apply -f twice with a change: created, unchanged, configured; the image change restarts the container',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('applied');
      assert.equal(ok(await applyPod(sleeper(name, 'busybox:1.36')), 'apply'), `pod/${name} created\n`);
      const first = await node.waitForPod(name, running(0), 20_000);
      assert.match(first.metadata?.annotations?.[LAST_APPLIED] ?? '', /"image":"busybox:1\.36"/);
      assert.equal(
        ok(await applyPod(sleeper(name, 'busybox:1.36')), 'apply again'),
        `pod/${name} unchanged\n`,
      );

      assert.equal(
        ok(await applyPod(sleeper(name, 'busybox:1.37')), 'apply a change'),
        `pod/${name} configured\n`,
      );
      const killing = await node.waitForEvent(
        `involvedObject.name=${name}`,
        (ev) => ev.reason === 'Killing',
        20_000,
      );
      assert.equal(killing.message, 'Container app definition changed, will be restarted');
      const restarted = await node.waitForPod(name, running(1), 20_000);
      assert.equal(restarted.spec?.containers[0]?.image, 'busybox:1.37');
      assert.match(restarted.metadata?.annotations?.[LAST_APPLIED] ?? '', /"image":"busybox:1\.37"/);
      assert.equal(restarted.metadata?.uid, first.metadata?.uid);
    },
  );

  test(
    "ValidatePodUpdate through apply: a forbidden change is refused with kubectl's error text",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('immutable');
      ok(await applyPod(sleeper(name, 'busybox:1.36')), 'apply');
      const r = await applyPod(sleeper(name, 'busybox:1.36', 'exec sleep 601'));
      assert.equal(r.code, 1, r.stderr);
      assert.ok(
        r.stderr.startsWith(`The Pod "${name}" is invalid: ${FORBIDDEN}\n  core.PodSpec{\n`),
        r.stderr,
      );
      assert.match(r.stderr, /^- \t+"exec sleep 600",$/m);
      assert.match(r.stderr, /^\+ \t+"exec sleep 601",$/m);
      const pod = await node.getPod(name);
      assert.deepEqual(pod.spec?.containers[0]?.command?.[2], 'exec sleep 600');
    },
  );

  test(
    '§2.7 kubectl patch (strategic, merge, json), label and annotate are patches',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const name = uniqueName('patched');
      await node.createPod(sleeper(name, 'busybox:1.36'));
      const strategic = await run([
        'patch',
        'pod',
        name,
        '-p',
        '{"spec":{"containers":[{"name":"app","image":"busybox:1.37"}]}}',
      ]);
      assert.equal(ok(strategic, 'patch (strategic)'), `pod/${name} patched\n`);
      const merge = await run([
        'patch',
        'pod',
        name,
        '--type=merge',
        '-p',
        '{"metadata":{"labels":{"x":"1"}}}',
      ]);
      assert.equal(ok(merge, 'patch --type=merge'), `pod/${name} patched\n`);
      const json = await run([
        'patch',
        'pod',
        name,
        '--type=json',
        '-p',
        '[{"op":"test","path":"/spec/containers/0/image","value":"busybox:1.37"},' +
          '{"op":"replace","path":"/spec/containers/0/image","value":"busybox:1.38"}]',
      ]);
      assert.equal(ok(json, 'patch --type=json'), `pod/${name} patched\n`);
      const failed = await run([
        'patch',
        'pod',
        name,
        '--type=json',
        '-p',
        '[{"op":"test","path":"/spec/containers/0/image","value":"nope"}]',
      ]);
      assert.equal(failed.code, 1);
      assert.equal(
        failed.stderr.trim(),
        'The request is invalid: patch: testing value /spec/containers/0/image failed: test failed',
      );
      assert.equal(ok(await run(['label', 'pod', name, 'tier=frontend']), 'label'), `pod/${name} labeled\n`);
      assert.equal(
        ok(await run(['annotate', 'pod', name, 'note=hello']), 'annotate'),
        `pod/${name} annotated\n`,
      );
      const pod = await node.getPod(name);
      assert.equal(pod.spec?.containers[0]?.image, 'busybox:1.38');
      assert.equal(pod.metadata?.labels?.x, '1');
      assert.equal(pod.metadata?.labels?.tier, 'frontend');
      assert.equal(pod.metadata?.annotations?.note, 'hello');
      const forbidden = await run([
        'patch',
        'pod',
        name,
        '--type=merge',
        '-p',
        '{"spec":{"restartPolicy":"Never"}}',
      ]);
      assert.equal(forbidden.code, 1);
      assert.ok(
        forbidden.stderr.startsWith(`The Pod "${name}" is invalid: ${FORBIDDEN}\n`),
        forbidden.stderr,
      );
      const missing = await run(['patch', 'pod', 'no-such-pod', '-p', '{}']);
      assert.equal(missing.stderr.trim(), 'Error from server (NotFound): pods "no-such-pod" not found');
    },
  );

  test('kubectl replace -f puts the edited object back', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = uniqueName('replaced');
    await node.createPod(sleeper(name, 'busybox:1.36'));
    const current = JSON.parse(ok(await run(['get', 'pod', name, '-o', 'json']), 'get -o json')) as Pod;
    current.spec!.containers[0]!.image = 'busybox:1.37';
    current.metadata!.labels = { ...current.metadata?.labels, replaced: 'yes' };
    // Without a resourceVersion the update is unconditional (the kubelet may write status meanwhile).
    const { resourceVersion: readAt, ...unversioned } = current.metadata ?? {};
    assert.equal(
      ok(await run(['replace', '-f', '-'], JSON.stringify({ ...current, metadata: unversioned })), 'replace'),
      `pod/${name} replaced\n`,
    );
    const pod = await node.getPod(name);
    assert.equal(pod.spec?.containers[0]?.image, 'busybox:1.37');
    assert.equal(pod.metadata?.labels?.replaced, 'yes');
    // The version read earlier is stale now: replacing it with that precondition is a conflict.
    const stale = await run(
      ['replace', '-f', '-'],
      JSON.stringify({ ...current, metadata: { ...unversioned, resourceVersion: readAt } }),
    );
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      new RegExp(
        `Error from server \\(Conflict\\): error when replacing "STDIN": Operation cannot be fulfilled on pods "${name}": ` +
          'the object has been modified; please apply your changes to the latest version and try again',
      ),
    );
  });

  test('§2.8 kubectl delete pod waits until the pod is gone', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = uniqueName('deleted');
    await node.createPod(sleeper(name, 'busybox:1.36'));
    await node.waitForPod(name, running(0), 20_000);
    assert.equal(ok(await run(['delete', 'pod', name]), 'delete'), `pod "${name}" deleted\n`);
    const after = await run(['get', 'pod', name]);
    assert.equal(after.code, 1);
    assert.equal(after.stderr.trim(), `Error from server (NotFound): pods "${name}" not found`);
  });
});

describe(
  'podvisor apply/replace use the same writes (DESIGN: the CLI is a client like kubectl)',
  { timeout: 120_000 },
  () => {
    let pvNode: PodvisorNode;
    let dir: string;
    before(async () => {
      pvNode = await startNode();
      dir = mkdtempSync(join(tmpdir(), 'pv-writes-'));
    });
    after(async () => {
      await pvNode?.stop();
      rmSync(dir, { recursive: true, force: true });
      killProcessesWithMarker(MARKER);
    });

    test(
      '§2.7 podvisor apply -f: created, unchanged, configured (restart), forbidden; replace -f',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const name = uniqueName('pv-apply');
        const file = join(dir, `${name}.yaml`);
        const applyWith = async (
          pod: Pod,
          verb = 'apply',
        ): Promise<{ code: number | null; stdout: string; stderr: string }> => {
          writeFileSync(file, toYaml(pod));
          return pvNode.runCli([verb, '-f', file]);
        };
        let r = await applyWith(sleeper(name, 'busybox:1.36'));
        assert.equal(r.stdout, `pod/${name} created\n`, r.stderr);
        await pvNode.waitForPod(name, running(0), 20_000);
        r = await applyWith(sleeper(name, 'busybox:1.36'));
        assert.equal(r.stdout, `pod/${name} unchanged\n`, r.stderr);
        r = await applyWith(sleeper(name, 'busybox:1.37'));
        assert.equal(r.stdout, `pod/${name} configured\n`, r.stderr);
        await pvNode.waitForPod(name, running(1), 20_000);
        r = await applyWith(sleeper(name, 'busybox:1.37', 'exec sleep 601'));
        assert.equal(r.code, 1);
        // After podvisor's own file:line warnings, the server's refusal as kubectl prints it.
        assert.ok(r.stderr.includes(`\nThe Pod "${name}" is invalid: ${FORBIDDEN}\n`), r.stderr);
        // A bare manifest leaves out spec.nodeName, which the node set: as on a real cluster, replace refuses it.
        r = await applyWith(sleeper(name, 'busybox:1.38'), 'replace');
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^- \tNodeName: "[^"]+",$/m);
        const live = await pvNode.getPod(name);
        live.spec!.containers[0]!.image = 'busybox:1.38';
        const { resourceVersion: _unconditional, ...meta } = live.metadata ?? {};
        r = await applyWith({ ...live, metadata: meta }, 'replace');
        assert.equal(r.stdout, `pod/${name} replaced\n`, r.stderr);
        assert.equal((await pvNode.getPod(name)).spec?.containers[0]?.image, 'busybox:1.38');
      },
    );
  },
);
