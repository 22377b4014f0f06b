/**
 * The Deployments view's model (web/src/rollout.ts): kubectl's columns, the new and old
 * ReplicaSets, and `kubectl rollout status`'s verdict — checked against the CLI's own rule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { rolloutStatus as cliRolloutStatus } from '../../../src/controllers/deployment-rollback.js';
import { rolloutStatus, summarizeRollout } from '../../../web/src/rollout.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const REV = 'deployment.kubernetes.io/revision';

function deployment(
  status: Deployment['status'],
  extra: { generation?: number; replicas?: number } = {},
): Deployment & { metadata: { name: string } } {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'd1',
      generation: extra.generation ?? 2,
      creationTimestamp: '2026-01-01T11:57:17Z',
      annotations: { [REV]: '2' },
    },
    spec: { replicas: extra.replicas ?? 3, selector: { matchLabels: { app: 'web' } }, template: {} },
    status: { observedGeneration: 2, ...status },
  };
}

function rs(name: string, revision: number, desired: number, ready: number, owner = 'd1'): ReplicaSet {
  return {
    metadata: {
      name,
      namespace: 'default',
      annotations: { [REV]: String(revision) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true },
      ],
    },
    spec: { replicas: desired, selector: { matchLabels: { app: 'web' } } },
    status: { replicas: desired, readyReplicas: ready },
  };
}

describe('rollout summary', () => {
  test('kubectl get deploy columns: READY ready/desired, UP-TO-DATE, AVAILABLE, AGE (§6.4)', () => {
    const s = summarizeRollout(
      deployment({ replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 }),
      [],
      NOW,
    );
    assert.equal(s.ready, '3/3');
    assert.equal(s.upToDate, 2);
    assert.equal(s.available, 3);
    assert.equal(s.age, '2m43s');
    assert.deepEqual(s.bar, { updated: 2, ready: 3, available: 3 });
  });

  test('the new ReplicaSet is the one with the deployment revision; old ones with replicas left, newest first; other owners ignored', () => {
    const sets = [
      rs('web-old1', 1, 1, 1),
      rs('web-new', 2, 2, 1),
      rs('web-empty', 0, 0, 0),
      rs('other', 3, 2, 2, 'd9'),
    ];
    sets[2]!.metadata!.annotations![REV] = '0';
    const s = summarizeRollout(deployment({ replicas: 3, updatedReplicas: 2 }), sets, NOW);
    assert.deepEqual(s.newReplicaSet, { name: 'web-new', revision: 2, desired: 2, current: 2, ready: 1 });
    assert.deepEqual(
      s.oldReplicaSets.map((r) => r.name),
      ['web-old1'],
    );
  });

  test('conditions are shown with reason and message', () => {
    const s = summarizeRollout(
      deployment({
        conditions: [
          {
            type: 'Available',
            status: 'False',
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'ReplicaSetUpdated',
            message: 'ReplicaSet "web-new" is progressing.',
          },
        ],
      }),
      [],
      NOW,
    );
    assert.deepEqual(s.progressing, {
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: 'ReplicaSet "web-new" is progressing.',
    });
    assert.equal(s.availableCondition?.reason, 'MinimumReplicasUnavailable');
  });

  test('rollout status agrees with the CLI (kubectl rollout status) in every state', () => {
    const cases: Deployment[] = [
      deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), // done
      deployment({ updatedReplicas: 1, replicas: 3, availableReplicas: 3 }), // updating
      deployment({ updatedReplicas: 3, replicas: 4, availableReplicas: 3 }), // old pending termination
      deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 2 }), // waiting for available
      deployment({ updatedReplicas: 3, replicas: 3, availableReplicas: 3, observedGeneration: 1 }), // not observed
    ];
    for (const d of cases) {
      const cli = cliRolloutStatus(d as Parameters<typeof cliRolloutStatus>[0]);
      assert.deepEqual(rolloutStatus(d), { ...cli, failed: false });
    }
    assert.equal(rolloutStatus(cases[0]!).message, 'deployment "web" successfully rolled out');
  });

  test('a progress deadline exceeded is a failure, as the CLI throws it', () => {
    const d = deployment({
      updatedReplicas: 1,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'x' },
      ],
    });
    assert.throws(
      () => cliRolloutStatus(d as Parameters<typeof cliRolloutStatus>[0]),
      /exceeded its progress deadline/,
    );
    assert.deepEqual(rolloutStatus(d), {
      message: 'deployment "web" exceeded its progress deadline',
      done: false,
      failed: true,
    });
  });

  test('the bar never exceeds the desired count (surge replicas during a rollout)', () => {
    const s = summarizeRollout(
      deployment({ updatedReplicas: 3, readyReplicas: 4, availableReplicas: 4 }),
      [],
      NOW,
    );
    assert.deepEqual(s.bar, { updated: 3, ready: 3, available: 3 });
  });
});
