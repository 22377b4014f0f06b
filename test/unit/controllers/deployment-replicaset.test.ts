import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../src/api/types.js';
import { rolloutStatus } from '../../../src/controllers/deployment-rollback.js';
import { ReplicaSetController } from '../../../src/controllers/replicaset.js';
import { rfc3339 } from '../../../src/util/duration.js';
import { DeploymentHarness, template } from './deployment-harness.js';

type StoredPod = Pod & KubeObject;

/** The Deployment controller with the real ReplicaSet controller; the test plays the kubelet. */
function withReplicaSetController(): { h: DeploymentHarness; stop: () => void } {
  const h = new DeploymentHarness();
  const rsc = new ReplicaSetController({ store: h.store, clock: h.clock, recorder: { record: () => {} } });
  rsc.start();
  return {
    h,
    stop: () => {
      rsc.stop();
      h.stop();
    },
  };
}

function markAllReady(h: DeploymentHarness): void {
  for (const pod of h.store.list<StoredPod>('pods', { namespace: 'default' }).items) {
    h.store.mutate<StoredPod>('pods', 'default', pod.metadata.name, (cur) => ({
      ...cur,
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(h.clock.now()) }],
      },
    }));
  }
}

describe('Deployment controller with the ReplicaSet controller', () => {
  test('minReadySeconds: pods count as available only after being ready that long (a timer, no polling)', async () => {
    const { h, stop } = withReplicaSetController();
    h.createDeployment('web', {
      replicas: 3,
      minReadySeconds: 5,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'web' } },
      template: template('v1'),
    });
    await h.clock.advance(100);
    const pods = h.store.list<StoredPod>('pods', { namespace: 'default' }).items;
    const [rs] = h.replicaSets();
    assert.equal(pods.length, 3);
    for (const p of pods) assert.match(p.metadata.name, new RegExp(`^${rs?.metadata.name}-[a-z0-9]{5}$`));

    markAllReady(h);
    await h.clock.advance(100);
    let d = h.deployment('web');
    assert.equal(d.status?.readyReplicas, 3);
    assert.equal(d.status?.availableReplicas, undefined);
    assert.equal(
      rolloutStatus(d).message,
      'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...',
    );
    await h.clock.advance(4_000);
    assert.equal(h.deployment('web').status?.availableReplicas, undefined, 'not before minReadySeconds');
    await h.clock.advance(1_000);
    d = h.deployment('web');
    assert.equal(d.status?.availableReplicas, 3);
    assert.deepEqual(rolloutStatus(d), { message: 'deployment "web" successfully rolled out', done: true });
    stop();
  });
});
