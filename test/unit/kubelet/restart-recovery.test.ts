import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { container, harness, pod, withStatus } from './harness.js';

describe('kubelet: pods resumed after a podvisor restart (issue 3 item 7)', () => {
  test('§5 SandboxChanged: a pod that ran before gets "Pod sandbox changed, it will be killed and re-created." before its containers start again', async () => {
    const h = harness();
    const p = pod('web', { nodeName: 'node-1', containers: [container('app')] });
    await h.create(
      withStatus(p, {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 1,
            image: 'busybox',
            imageID: '',
            containerID: 'podvisor://stopped',
            state: {
              terminated: {
                exitCode: 143,
                reason: 'Error',
                startedAt: '2024-06-04T09:00:00Z',
                finishedAt: '2024-06-04T09:30:00Z',
                containerID: 'podvisor://stopped',
              },
            },
          },
        ],
      }),
    );
    assert.deepEqual(h.recorder.lines(), [
      'SandboxChanged: Pod sandbox changed, it will be killed and re-created.',
      'Created: Created container: app',
      'Started: Started container app',
    ]);
    const s = h.cstatus('web');
    assert.equal(s.restartCount, 2, 'the restart after a graceful stop is counted');
    assert.equal(s.lastState?.terminated?.exitCode, 143, 'lastState is the instance the stop ended');
    assert.equal(s.lastState?.terminated?.containerID, 'podvisor://stopped');
  });

  test('a pod new to the node gets no SandboxChanged', async () => {
    const h = harness();
    await h.create(pod('fresh', { containers: [container('app')] }));
    assert.equal(h.recorder.withReason('SandboxChanged').length, 0);
  });
});
