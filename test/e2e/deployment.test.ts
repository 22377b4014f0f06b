/**
 * Deployments end to end (issue 4 item 1 and "Must show" (e)): a Deployment of 3 rolls out,
 * `kubectl rollout status` and `podvisor rollout status` follow it, a template change rolls out
 * through a new ReplicaSet, a template whose readiness never passes stalls and is reported as
 * exceeding its progress deadline, and `kubectl rollout undo` recovers it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import type { Deployment, ReplicaSet } from '../../src/controllers/deployment-util.js';
import { newMarker, shCommand, MARKER_ENV } from '../helpers/e2e-pods.js';
import { closeKubectlFronts, kubectl, type KubectlResult } from '../helpers/kubectl.js';
import { killProcessesWithMarker, startNode, type PodvisorNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('deployment');
let node: PodvisorNode;

/** A Deployment of 3 sleepers whose readiness is `exit <readyExit>`; `version` changes the template. */
function web(version: string, readyExit = 0): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      progressDeadlineSeconds: 8,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: `web:${version}`,
              command: shCommand('exec sleep 600', MARKER),
              env: [{ name: MARKER_ENV, value: MARKER }],
              readinessProbe: { exec: { command: ['sh', '-c', `exit ${readyExit}`] }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

function ok(r: KubectlResult, what: string): string {
  assert.equal(
    r.code,
    0,
    `${what} exited ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
  );
  return r.stdout;
}

const apply = (d: Deployment): Promise<KubectlResult> =>
  kubectl(node, ['apply', '-f', '-'], { stdin: toYaml(d) });

async function replicaSets(): Promise<ReplicaSet[]> {
  return (await node.request<{ items: ReplicaSet[] }>('GET', '/apis/apps/v1/namespaces/default/replicasets'))
    .items;
}

const imageOf = (rs: ReplicaSet): string | undefined => rs.spec?.template?.spec?.containers[0]?.image;

describe('Deployment rollouts through kubectl and podvisor (issue 4 item 1)', { timeout: 240_000 }, () => {
  before(async () => {
    node = await startNode();
  });

  after(async () => {
    await closeKubectlFronts();
    await node?.stop();
    killProcessesWithMarker(MARKER);
  });

  test(
    'rollout, template change, stalled rollout past its progress deadline, undo',
    { timeout: 200_000 },
    async () => {
      assert.equal(ok(await apply(web('v1')), 'apply v1'), 'deployment.apps/web created\n');
      const first = ok(
        await kubectl(node, ['rollout', 'status', 'deploy/web', '--timeout=60s'], { timeoutMs: 70_000 }),
        'rollout status',
      );
      assert.match(first, /deployment "web" successfully rolled out\n$/);
      const own = await node.runCli(['rollout', 'status', 'deploy/web']);
      assert.equal(own.stdout, 'deployment "web" successfully rolled out\n', own.stderr);
      const [v1] = await replicaSets();
      assert.ok(v1);
      assert.match(v1.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
      const pods = (
        await node.request<{ items: { metadata: { name: string } }[] }>(
          'GET',
          '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb',
        )
      ).items;
      assert.equal(pods.length, 3);
      for (const p of pods) assert.match(p.metadata.name, new RegExp(`^${v1.metadata.name}-[a-z0-9]{5}$`));

      // A template change: a new ReplicaSet takes over, the old one is scaled to 0.
      assert.equal(ok(await apply(web('v2')), 'apply v2'), 'deployment.apps/web configured\n');
      const own2 = await node.runCli(['rollout', 'status', 'deploy/web', '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      assert.equal(own2.code, 0, own2.stderr);
      assert.match(own2.stdout, /deployment "web" successfully rolled out\n$/);
      let rss = await replicaSets();
      assert.deepEqual(
        rss
          .map((rs) => [
            imageOf(rs),
            rs.spec?.replicas,
            rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
          ])
          .sort(),
        [
          ['web:v1', 0, '1'],
          ['web:v2', 3, '2'],
        ],
      );

      // A template whose readiness never passes: one surge pod, never ready, the deadline passes.
      ok(await apply(web('broken', 1)), 'apply broken');
      const stalled = await kubectl(node, ['rollout', 'status', 'deploy/web', '--timeout=60s'], {
        timeoutMs: 70_000,
      });
      assert.equal(stalled.code, 1, stalled.stdout + stalled.stderr);
      assert.match(
        stalled.stdout,
        /Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated\.\.\./,
      );
      assert.match(stalled.stderr, /error: deployment "web" exceeded its progress deadline/);
      const ownStalled = await node.runCli(['rollout', 'status', 'deploy/web']);
      assert.equal(ownStalled.code, 1);
      assert.equal(ownStalled.stderr, 'error: deployment "web" exceeded its progress deadline\n');
      const d = await node.request<Deployment>('GET', '/apis/apps/v1/namespaces/default/deployments/web');
      const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
      assert.equal(progressing?.status, 'False');
      assert.equal(progressing?.reason, 'ProgressDeadlineExceeded');
      assert.equal(d.status?.availableReplicas, 3, 'the v2 pods kept serving');

      // kubectl rollout undo brings v2 back as revision 4; the rollout completes.
      assert.equal(
        ok(await kubectl(node, ['rollout', 'undo', 'deploy/web']), 'rollout undo'),
        'deployment.apps/web rolled back\n',
      );
      ok(
        await kubectl(node, ['rollout', 'status', 'deploy/web', '--timeout=60s'], { timeoutMs: 70_000 }),
        'rollout status after undo',
      );
      rss = await replicaSets();
      const live = rss.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
      assert.deepEqual(
        live.map((rs) => [imageOf(rs), rs.metadata.annotations?.['deployment.kubernetes.io/revision']]),
        [['web:v2', '4']],
      );
      const history = await node.runCli(['rollout', 'history', 'deploy/web']);
      assert.equal(
        history.stdout,
        'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n3         <none>\n4         <none>\n\n',
      );

      const kubectlHistory = ok(await kubectl(node, ['rollout', 'history', 'deploy/web']), 'rollout history');
      assert.equal(history.stdout, kubectlHistory, 'the same text as kubectl rollout history');

      // podvisor's own undo to an explicit revision.
      const undo = await node.runCli(['rollout', 'undo', 'deploy/web', '--to-revision', '1']);
      assert.equal(undo.stdout, 'deployment.apps/web rolled back\n', undo.stderr);
      ok(
        await kubectl(node, ['rollout', 'status', 'deploy/web', '--timeout=60s'], { timeoutMs: 70_000 }),
        'rollout status to v1',
      );
      const events = await node.listEvents('involvedObject.kind=Deployment,involvedObject.name=web');
      assert.ok(
        events.some(
          (e) =>
            e.reason === 'ScalingReplicaSet' &&
            /^Scaled down replica set web-\w+ to 0 from 1$/.test(e.message ?? ''),
        ),
        events.map((e) => e.message).join('\n'),
      );
    },
  );
});
