import { describe, test } from 'node:test';
import type { DeploymentSpec } from 'kubernetes-types/apps/v1.js';
import assert from 'node:assert/strict';
import {
  computeHash,
  equalIgnoreHash,
  resolveFenceposts,
  type Deployment,
  type ReplicaSet,
} from '../../../src/controllers/deployment-util.js';
import { planRollback, rolloutHistory, rolloutStatus } from '../../../src/controllers/deployment-rollback.js';
import { DeploymentHarness, condition, template } from './deployment-harness.js';

const rolling = (maxSurge: number | string, maxUnavailable: number | string): DeploymentSpec => ({
  selector: { matchLabels: { app: 'web' } },
  template: template('v1'),
  replicas: 3,
  strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } },
  progressDeadlineSeconds: 600,
  revisionHistoryLimit: 10,
});

function byRevision(h: DeploymentHarness): Map<string, ReplicaSet> {
  return new Map(
    h.replicaSets().map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '', rs]),
  );
}

describe('deployment helpers (deployment_util.go)', () => {
  test('pod-template hash: safe alphabet, stable, changed by collisionCount', () => {
    const h = computeHash(template('v1'));
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(computeHash(template('v1')), h);
    assert.notEqual(computeHash(template('v2')), h);
    assert.notEqual(computeHash(template('v1'), 1), h);
  });

  test('EqualIgnoreHash: the hash label and empty values (resources: {}) do not count', () => {
    const a = template('v1');
    const b = structuredClone(a);
    b.metadata!.labels!['pod-template-hash'] = 'abc';
    b.spec!.containers[0]!.resources = {};
    assert.equal(equalIgnoreHash(a, b), true);
    assert.equal(computeHash(a), computeHash({ ...b, metadata: a.metadata }));
    assert.equal(equalIgnoreHash(a, template('v2')), false);
  });

  test('fenceposts: surge rounds up, unavailable down, 0/0 becomes 0/1', () => {
    const d = (surge: number | string, unavail: number | string, replicas: number): Deployment => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { ...rolling(surge, unavail), replicas } as Deployment['spec'],
    });
    assert.deepEqual(resolveFenceposts(d('25%', '25%', 10)), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts(d('0%', '0%', 10)), { surge: 0, unavailable: 1 });
    assert.deepEqual(resolveFenceposts(d(1, 0, 3)), { surge: 1, unavailable: 0 });
  });
});

describe('Deployment controller', () => {
  test('a new Deployment gets ReplicaSet <name>-<hash> with revision 1 and completes', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', rolling('25%', '25%'));
    await h.converge();
    const [rs] = h.replicaSets();
    assert.ok(rs);
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.equal(rs.spec?.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.equal(rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
    assert.equal(rs.metadata.ownerReferences?.[0]?.controller, true);
    assert.deepEqual(
      {
        revision: rs.metadata.annotations?.['deployment.kubernetes.io/revision'],
        desired: rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'],
        max: rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'],
      },
      { revision: '1', desired: '3', max: '4' },
    );
    assert.ok(
      h.events.some(
        (e) =>
          e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set ${rs.metadata.name} to 3`,
      ),
    );
    const d = h.deployment('web');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(
      { ...d.status, conditions: undefined },
      {
        observedGeneration: 1,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: undefined,
      },
    );
    assert.deepEqual(condition(d, 'Available'), {
      ...condition(d, 'Available'),
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'Deployment has minimum availability.',
    });
    assert.equal(condition(d, 'Progressing').reason, 'NewReplicaSetAvailable');
    assert.equal(
      condition(d, 'Progressing').message,
      `ReplicaSet "${rs.metadata.name}" has successfully progressed.`,
    );
    assert.deepEqual(rolloutStatus(d), { message: 'deployment "web" successfully rolled out', done: true });
    h.stop();
  });

  test('RollingUpdate maxSurge 1 / maxUnavailable 0: one surge pod at a time, never below 3 available', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', rolling(1, 0));
    await h.converge();
    const oldName = h.replicaSets()[0]?.metadata.name ?? '';
    h.updateDeployment('web', (d) => {
      d.spec!.template = template('v2');
    });
    const steps: string[] = [];
    await h.converge(() => {
      const rss = h.replicaSets();
      const total = rss.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      const available = rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
      assert.ok(total <= 4, `at most replicas+maxSurge pods: ${JSON.stringify(h.sizes())}`);
      assert.ok(available >= 3, `never fewer than 3 available: ${available}`);
      const s = JSON.stringify(h.sizes());
      if (steps[steps.length - 1] !== s) steps.push(s);
    });
    const newRs = h.replicaSets().find((rs) => rs.metadata.name !== oldName);
    assert.ok(newRs);
    const n = newRs.metadata.name;
    assert.deepEqual(
      h.events
        .filter((e) => e.reason === 'ScalingReplicaSet')
        .map((e) => e.message)
        .slice(1),
      [
        `Scaled up replica set ${n} to 1`,
        `Scaled down replica set ${oldName} to 2 from 3`,
        `Scaled up replica set ${n} to 2 from 1`,
        `Scaled down replica set ${oldName} to 1 from 2`,
        `Scaled up replica set ${n} to 3 from 2`,
        `Scaled down replica set ${oldName} to 0 from 1`,
      ],
    );
    const d = h.deployment('web');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(newRs.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(condition(d, 'Progressing').reason, 'NewReplicaSetAvailable');
    assert.equal(d.status?.updatedReplicas, 3);
    h.stop();
  });

  test('Recreate: old ReplicaSet goes to 0 and its pods are gone before the new one scales up', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', { ...rolling(1, 0), strategy: { type: 'Recreate' } });
    await h.converge();
    h.updateDeployment('web', (d) => {
      d.spec!.template = template('v2');
    });
    await h.converge(() => {
      const rss = h.replicaSets();
      const oldRunning = rss.some(
        (rs) => rs.spec?.template?.spec?.containers[0]?.image === 'v1' && (rs.status?.replicas ?? 0) > 0,
      );
      const newWanted = rss.some(
        (rs) => rs.spec?.template?.spec?.containers[0]?.image === 'v2' && (rs.spec?.replicas ?? 0) > 0,
      );
      assert.ok(!(oldRunning && newWanted), 'old and new pods never run together');
    });
    const messages = h.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    assert.match(messages[1] ?? '', /^Scaled down replica set web-\w+ to 0 from 3$/);
    assert.match(messages[2] ?? '', /^Scaled up replica set web-\w+ to 3$/);
    assert.equal(h.deployment('web').status?.updatedReplicas, 3);
    h.stop();
  });

  test('progressDeadlineSeconds: a rollout that never becomes ready reports ProgressDeadlineExceeded', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', { ...rolling(1, 0), progressDeadlineSeconds: 10 });
    await h.converge();
    h.neverReady.add('broken');
    h.updateDeployment('web', (d) => {
      d.spec!.template = template('broken');
    });
    await h.converge();
    let d = h.deployment('web');
    assert.equal(condition(d, 'Progressing').status, 'True');
    assert.match(
      rolloutStatus(d).message,
      /^Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated\.\.\.$/,
    );
    await h.clock.advance(9_000);
    await h.converge();
    assert.equal(condition(h.deployment('web'), 'Progressing').status, 'True', 'not before the deadline');
    await h.clock.advance(3_000);
    await h.converge();
    d = h.deployment('web');
    const newRs = h.replicaSets().find((rs) => rs.spec?.template?.spec?.containers[0]?.image === 'broken');
    assert.deepEqual(
      {
        status: condition(d, 'Progressing').status,
        reason: condition(d, 'Progressing').reason,
        message: condition(d, 'Progressing').message,
      },
      {
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${newRs?.metadata.name}" has timed out progressing.`,
      },
    );
    assert.throws(() => rolloutStatus(d), /^Error: deployment "web" exceeded its progress deadline$/);
    assert.equal(condition(d, 'Available').status, 'True', 'the old pods still serve');
    h.stop();
  });

  test('rollout undo: the previous template comes back and its ReplicaSet becomes revision 3', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', rolling(1, 0));
    await h.converge();
    h.neverReady.add('broken');
    h.updateDeployment('web', (d) => {
      d.spec!.template = template('broken');
    });
    await h.converge();
    const plan = planRollback(h.deployment('web'), h.replicaSets(), 0);
    assert.equal(plan.kind, 'rollback');
    assert.ok(plan.kind === 'rollback');
    assert.equal(plan.revision, 1);
    assert.equal(plan.template.metadata?.labels?.['pod-template-hash'], undefined);
    h.updateDeployment('web', (d) => {
      d.spec!.template = plan.template;
      d.metadata.annotations = plan.annotations;
    });
    await h.converge();
    const revs = byRevision(h);
    assert.equal(revs.get('3')?.spec?.template?.spec?.containers[0]?.image, 'v1');
    assert.equal(revs.get('3')?.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(revs.get('2')?.spec?.replicas, 0);
    const d = h.deployment('web');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.deepEqual(rolloutStatus(d).done, true);
    assert.deepEqual(
      rolloutHistory(d, h.replicaSets()).map((r) => r.revision),
      [2, 3],
    );
    assert.deepEqual(planRollback(d, h.replicaSets(), 3), { kind: 'skip', revision: 3 });
    assert.throws(
      () => planRollback(d, h.replicaSets(), 7),
      /unable to find specified revision 7 in history/,
    );
    h.stop();
  });

  test('revisionHistoryLimit: the oldest empty ReplicaSets are deleted', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', { ...rolling(1, 0), revisionHistoryLimit: 1 });
    await h.converge();
    for (const image of ['v2', 'v3', 'v4']) {
      h.updateDeployment('web', (d) => {
        d.spec!.template = template(image);
      });
      await h.converge();
    }
    const images = h
      .replicaSets()
      .map((rs) => rs.spec?.template?.spec?.containers[0]?.image)
      .sort();
    assert.deepEqual(images, ['v3', 'v4']);
    assert.deepEqual([...byRevision(h).keys()].sort(), ['3', '4']);
    h.stop();
  });

  test('scaling during a rollout is proportional (max-replicas annotation)', async () => {
    const h = new DeploymentHarness();
    const spec = { ...rolling(3, 2), replicas: 10, template: template('v2') };
    const d = h.createDeployment('web', spec);
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: d.metadata.uid ?? '',
      controller: true,
    };
    const makeRs = (name: string, image: string, replicas: number, revision: string): void => {
      h.store.create<ReplicaSet>('replicasets', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace: 'default',
          labels: { app: 'web', 'pod-template-hash': name },
          ownerReferences: [owner],
          annotations: {
            'deployment.kubernetes.io/revision': revision,
            'deployment.kubernetes.io/desired-replicas': '10',
            'deployment.kubernetes.io/max-replicas': '13',
          },
        },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web', 'pod-template-hash': name } },
          template: { ...template(image), metadata: { labels: { app: 'web', 'pod-template-hash': name } } },
        },
      });
    };
    h.neverReady.add('v2');
    makeRs('web-old', 'v1', 8, '1');
    makeRs('web-new', 'v2', 5, '2');
    await h.converge();
    h.updateDeployment('web', (x) => {
      x.spec!.replicas = 15;
    });
    await h.converge();
    assert.deepEqual(h.sizes(), { 'web-new': 7, 'web-old': 11 });
    assert.ok(h.events.some((e) => e.message === 'Scaled up replica set web-old to 11 from 8'));
    h.stop();
  });

  test('paused: a template change makes no new ReplicaSet; Progressing says DeploymentPaused', async () => {
    const h = new DeploymentHarness();
    h.createDeployment('web', rolling(1, 0));
    await h.converge();
    h.updateDeployment('web', (d) => {
      d.spec!.paused = true;
      d.spec!.template = template('v2');
    });
    await h.converge();
    assert.equal(h.replicaSets().length, 1);
    const d = h.deployment('web');
    assert.deepEqual(
      {
        status: condition(d, 'Progressing').status,
        reason: condition(d, 'Progressing').reason,
        message: condition(d, 'Progressing').message,
      },
      { status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' },
    );
    h.stop();
  });
});
