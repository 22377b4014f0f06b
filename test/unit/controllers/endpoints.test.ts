import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../../src/api/types.js';
import { EndpointsController, SERVICE_NAME_LABEL } from '../../../src/controllers/endpoints.js';
import { resolveTargetPort } from '../../../src/controllers/endpoints-build.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, settle } from '../../../src/util/clock.js';

type StoredPod = Pod & KubeObject;

function pod(
  name: string,
  ip: string,
  ready: boolean,
  extra: Partial<StoredPod['metadata']> = {},
): StoredPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ...extra },
    spec: {
      nodeName: 'local',
      containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
    status: {
      phase: 'Running',
      podIP: ip,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

function setReady(store: MemoryStore, name: string, ready: boolean): void {
  store.mutate<StoredPod>('pods', 'default', name, (p) => ({
    ...p,
    status: { ...p.status, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }));
}

function service(targetPort: number | string = 'http'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort, protocol: 'TCP' }] },
  } as KubeObject;
}

async function setup(): Promise<{ store: MemoryStore; ctl: EndpointsController; clock: FakeClock }> {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const ctl = new EndpointsController({ store, clock });
  ctl.start();
  await settle();
  return { store, ctl, clock };
}

const endpoints = (store: MemoryStore): Endpoints & KubeObject =>
  store.get<Endpoints & KubeObject>('endpoints', 'default', 'web') as Endpoints & KubeObject;
const slices = (store: MemoryStore): (EndpointSlice & KubeObject)[] =>
  store.list<EndpointSlice & KubeObject>('endpointslices', { labelSelector: `${SERVICE_NAME_LABEL}=web` })
    .items;

describe('endpoints controller', () => {
  test('issue 4 §2: ready pods in addresses, not-ready in notReadyAddresses, named targetPort resolved', async () => {
    const { store, ctl } = await setup();
    store.create('pods', pod('a', '127.77.0.3', true));
    store.create('pods', pod('b', '127.77.0.4', false));
    store.create('pods', {
      ...pod('other', '127.77.0.9', true),
      metadata: { name: 'other', namespace: 'default', labels: { app: 'db' } },
    });
    store.create('services', service());
    await settle();
    const ep = endpoints(store);
    assert.equal(ep.subsets?.length, 1);
    const subset = ep.subsets?.[0];
    assert.deepEqual(
      subset?.addresses?.map((a) => a.ip),
      ['127.77.0.3'],
    );
    assert.deepEqual(
      subset?.notReadyAddresses?.map((a) => a.ip),
      ['127.77.0.4'],
    );
    assert.deepEqual(subset?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.equal(subset?.addresses?.[0]?.targetRef?.kind, 'Pod');
    assert.equal(subset?.addresses?.[0]?.targetRef?.name, 'a');
    const [slice] = slices(store);
    assert.equal(slice?.addressType, 'IPv4');
    assert.deepEqual(slice?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual(
      slice?.endpoints.map((e) => [e.addresses[0], e.conditions]),
      [
        ['127.77.0.3', { ready: true, serving: true, terminating: false }],
        ['127.77.0.4', { ready: false, serving: false, terminating: false }],
      ],
    );
    assert.equal(slice?.metadata.ownerReferences?.[0]?.kind, 'Service');
    ctl.stop();
  });

  test('issue 4 §2: a readiness flip moves the pod, with one write of each object and none without a change', async () => {
    const { store, ctl } = await setup();
    store.create('pods', pod('a', '127.77.0.3', true));
    store.create('services', service(8080));
    await settle();
    const rvEp = endpoints(store).metadata.resourceVersion;
    const rvSlice = slices(store)[0]?.metadata.resourceVersion;
    // A pod update that changes nothing the endpoints show is not written.
    store.mutate<StoredPod>('pods', 'default', 'a', (p) => ({
      ...p,
      metadata: { ...p.metadata, annotations: { x: 'y' } },
    }));
    await settle();
    assert.equal(endpoints(store).metadata.resourceVersion, rvEp);
    assert.equal(slices(store)[0]?.metadata.resourceVersion, rvSlice);
    const writes: string[] = [];
    const w1 = store.watch('endpoints', { resourceVersion: store.currentResourceVersion() }, (ev) =>
      writes.push(`ep ${ev.type}`),
    );
    const w2 = store.watch('endpointslices', { resourceVersion: store.currentResourceVersion() }, (ev) =>
      writes.push(`slice ${ev.type}`),
    );
    setReady(store, 'a', false);
    await settle();
    assert.deepEqual(writes.sort(), ['ep MODIFIED', 'slice MODIFIED']);
    w1.stop();
    w2.stop();
    assert.equal(endpoints(store).subsets?.[0]?.addresses, undefined);
    assert.deepEqual(
      endpoints(store).subsets?.[0]?.notReadyAddresses?.map((a) => a.ip),
      ['127.77.0.3'],
    );
    assert.equal(slices(store)[0]?.endpoints[0]?.conditions?.ready, false);
    setReady(store, 'a', true);
    await settle();
    assert.deepEqual(
      endpoints(store).subsets?.[0]?.addresses?.map((a) => a.ip),
      ['127.77.0.3'],
    );
    ctl.stop();
  });

  test('issue 4 §2: a terminating pod leaves Endpoints and stays in the slice as ready=false, serving, terminating', async () => {
    const { store, ctl } = await setup();
    store.create('pods', pod('a', '127.77.0.3', true));
    store.create('pods', pod('b', '127.77.0.4', true));
    store.create('services', service());
    await settle();
    store.mutate<StoredPod>('pods', 'default', 'b', (p) => ({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: '2024-06-04T10:00:30Z', deletionGracePeriodSeconds: 30 },
    }));
    await settle();
    assert.deepEqual(
      endpoints(store).subsets?.[0]?.addresses?.map((a) => a.ip),
      ['127.77.0.3'],
    );
    assert.equal(endpoints(store).subsets?.[0]?.notReadyAddresses, undefined);
    const b = slices(store)[0]?.endpoints.find((e) => e.addresses[0] === '127.77.0.4');
    assert.deepEqual(b?.conditions, { ready: false, serving: true, terminating: true });
    store.delete('pods', 'default', 'b');
    await settle();
    assert.deepEqual(
      slices(store)[0]?.endpoints.map((e) => e.addresses[0]),
      ['127.77.0.3'],
    );
    ctl.stop();
  });

  test('issue 4 §2: pods without an IP or finished are left out; a deleted service takes its objects', async () => {
    const { store, ctl } = await setup();
    store.create('pods', { ...pod('a', '', true), status: { phase: 'Pending' } });
    store.create('pods', {
      ...pod('done', '127.77.0.8', false),
      status: { phase: 'Succeeded', podIP: '127.77.0.8' },
    });
    store.create('services', service());
    await settle();
    assert.equal(endpoints(store).subsets, undefined);
    assert.equal(slices(store).length, 1);
    assert.deepEqual(slices(store)[0]?.endpoints, []);
    store.delete('services', 'default', 'web');
    await settle();
    assert.equal(store.get('endpoints', 'default', 'web'), undefined);
    assert.equal(slices(store).length, 0);
    ctl.stop();
  });

  test('issue 4 §2: a named targetPort resolves per pod; a pod without that port is left out', () => {
    const sp = { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' };
    assert.equal(resolveTargetPort(pod('a', '1', true), sp), 8080);
    assert.equal(resolveTargetPort(pod('a', '1', true), { ...sp, targetPort: 'metrics' }), undefined);
    assert.equal(resolveTargetPort(pod('a', '1', true), { ...sp, targetPort: 9000 }), 9000);
  });
});
