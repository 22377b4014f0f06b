/**
 * A full database disk (issue 7 item 4) refuses every write. The scheduler, the node lifecycle
 * controller and the node heartbeat write from timers and queued passes, where a thrown refusal
 * is an uncaught exception that ends podvisor; each must catch it and try again on its own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import { VirtualNode } from '../../../src/cli/virtual-nodes.js';
import { NodeLifecycleController } from '../../../src/controllers/node-lifecycle.js';
import { Scheduler } from '../../../src/controllers/scheduler.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, settle } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';
import { refuseWritesDuring } from '../../helpers/refusing-store.js';
import { FakeRecorder, FakeRuntime } from '../kubelet/fakes.js';

type StoredPod = Pod & KubeObject;
type StoredNode = Node & KubeObject;

function readyNode(name: string, now: number): StoredNode {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, namespace: '', labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: rfc3339(now) }],
    },
  };
}

const ready = (n: StoredNode | undefined): string | undefined =>
  n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('controllers and the node heartbeat: writes the store refuses are retried, never thrown', () => {
  test('scheduler: a pod whose bind was refused is bound once writes are taken again', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    store.create('nodes', readyNode('node-1', clock.now()));
    const scheduler = new Scheduler({ store, recorder: new FakeRecorder(clock), clock });
    scheduler.start();
    const outage = refuseWritesDuring(store);
    store.create<StoredPod>('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'app', image: 'app' }] },
    });
    outage.on = true;
    await settle();
    await clock.advance(3000);
    assert.ok(outage.refused > 0, 'the bind was attempted and refused');
    assert.equal(store.get<StoredPod>('pods', 'default', 'p')?.spec?.nodeName, undefined);
    outage.on = false;
    await clock.advance(1000);
    assert.equal(store.get<StoredPod>('pods', 'default', 'p')?.spec?.nodeName, 'node-1');
    scheduler.stop();
  });

  test('node lifecycle: a silent node marked NotReady during the outage is marked on the next pass after it', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    store.create('nodes', readyNode('node-1', clock.now()));
    const controller = new NodeLifecycleController({
      store,
      clock,
      nodeRecorder: new FakeRecorder(clock),
      evictionRecorder: new FakeRecorder(clock),
      gracePeriodMs: 2000,
    });
    controller.start();
    const outage = refuseWritesDuring(store);
    outage.on = true;
    await clock.advance(6000);
    assert.ok(outage.refused > 0, 'the NotReady write was attempted and refused');
    assert.equal(ready(store.get<StoredNode>('nodes', '', 'node-1')), 'True');
    outage.on = false;
    await clock.advance(1000);
    assert.equal(ready(store.get<StoredNode>('nodes', '', 'node-1')), 'Unknown', 'the timer kept running');
    controller.stop();
  });

  test('node heartbeat: a refused status post waits for the next period; the kubelet lives on', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const node = new VirtualNode({
      name: 'node-1',
      store,
      runtime: new FakeRuntime(clock),
      clock,
      kubelet: { baseEnv: { PATH: '/bin' } },
      heartbeatMs: 1000,
    });
    node.start();
    const heartbeat = (): string | undefined =>
      store.get<StoredNode>('nodes', '', 'node-1')?.status?.conditions?.find((c) => c.type === 'Ready')
        ?.lastHeartbeatTime;
    await clock.advance(2000);
    const before = heartbeat();
    const outage = refuseWritesDuring(store);
    outage.on = true;
    await clock.advance(3000);
    assert.ok(outage.refused >= 3, `every heartbeat was refused (${outage.refused})`);
    assert.equal(heartbeat(), before);
    assert.ok(node.running, 'the kubelet runs on');
    outage.on = false;
    await clock.advance(1000);
    assert.equal(heartbeat(), rfc3339(clock.now()));
    await node.shutdown(0);
  });
});
