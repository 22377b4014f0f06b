/**
 * The Services view's model (web/src/service-model.ts): endpoint rows from Endpoints (ready vs
 * notReadyAddresses) joined with the proxy's ServiceTraffic counters, from hand-built objects.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import {
  selectorText,
  servicePorts,
  splitHostPort,
  summarizeServices,
  type ServiceTrafficView,
} from '../../../web/src/service-model.js';

const svc: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    type: 'ClusterIP',
    clusterIP: '127.1.0.1',
    selector: { tier: 'front', app: 'web' },
    ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
  },
};

const eps: Endpoints = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'web', namespace: 'default' },
  subsets: [
    {
      addresses: [
        { ip: '127.0.0.3', targetRef: { kind: 'Pod', name: 'web-b', namespace: 'default' } },
        { ip: '127.0.0.2', targetRef: { kind: 'Pod', name: 'web-a', namespace: 'default' } },
      ],
      notReadyAddresses: [
        { ip: '127.0.0.4', targetRef: { kind: 'Pod', name: 'web-c', namespace: 'default' } },
      ],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
  ],
};

const traffic: ServiceTrafficView = {
  metadata: { name: 'web', namespace: 'default', resourceVersion: '7' },
  ports: [{ name: '', port: 80, protocol: 'TCP', rejected: 2 }],
  backends: [
    {
      address: '127.0.0.2:8080',
      pod: { name: 'web-a', namespace: 'default' },
      port: 80,
      connections: 7,
      active: 1,
    },
    {
      address: '127.0.0.4:8080',
      pod: { name: 'web-c', namespace: 'default' },
      port: 80,
      connections: 3,
      active: 0,
    },
    {
      address: '127.0.0.9:8080',
      pod: { name: 'web-gone', namespace: 'default' },
      port: 80,
      connections: 5,
      active: 0,
    },
  ],
};

describe('services view model', () => {
  test('endpoints become rows: ready from addresses, NOT READY from notReadyAddresses, ready first then by pod', () => {
    const [s] = summarizeServices([svc], [eps], [traffic]);
    assert.ok(s);
    assert.deepEqual(
      s.endpoints.map((e) => [e.pod, e.addresses.join(','), e.ready]),
      [
        ['web-a', '127.0.0.2:8080', true],
        ['web-b', '127.0.0.3:8080', true],
        ['web-c', '127.0.0.4:8080', false],
      ],
    );
    assert.equal(s.readyCount, 2);
    assert.equal(s.notReadyCount, 1);
  });

  test('connections forwarded and open now per backend, matched by address; refused per service port; gone backends summed', () => {
    const [s] = summarizeServices([svc], [eps], [traffic]);
    assert.deepEqual(
      s?.endpoints.map((e) => [e.pod, e.connections, e.active]),
      [
        ['web-a', 7, 1],
        ['web-b', 0, 0],
        ['web-c', 3, 0],
      ],
    );
    assert.deepEqual(s?.rejected, [{ port: 80, protocol: 'TCP', rejected: 2 }]);
    assert.equal(s?.formerConnections, 5);
  });

  test('without the ServiceTraffic resource (404 until it exists) counters are unknown, not zero', () => {
    const [s] = summarizeServices([svc], [eps], undefined);
    assert.equal(s?.rejected, undefined);
    assert.equal(s?.formerConnections, undefined);
    assert.ok(s?.endpoints.every((e) => e.connections === undefined && e.active === undefined));
  });

  test('a service with traffic listed but no counters object yet counts zero for every port', () => {
    const [s] = summarizeServices([svc], [eps], []);
    assert.deepEqual(s?.rejected, [{ port: 80, protocol: 'TCP', rejected: 0 }]);
    assert.equal(s?.endpoints[0]?.connections, 0);
  });

  test('kubectl-style facts: type, cluster IP, ports, sorted selector; <none> when empty', () => {
    const [s] = summarizeServices([svc], [], undefined);
    assert.equal(s?.type, 'ClusterIP');
    assert.equal(s?.clusterIP, '127.1.0.1');
    assert.equal(s?.ports, '80/TCP');
    assert.deepEqual(s?.portDetails, ['80→8080/TCP']);
    assert.equal(s?.selector, 'app=web,tier=front');
    assert.deepEqual(s?.endpoints, []);
    assert.equal(selectorText(undefined), '<none>');
    assert.equal(
      servicePorts({
        spec: {
          ports: [
            { port: 443, nodePort: 30443, protocol: 'TCP' },
            { port: 53, protocol: 'UDP' },
          ],
        },
      }),
      '443:30443/TCP,53/UDP',
    );
    assert.equal(servicePorts({ spec: {} }), '<none>');
  });

  test('an address in several subsets is one row with all its ports; endpoints of another namespace are not joined', () => {
    const multi: Endpoints = {
      metadata: { name: 'web', namespace: 'default' },
      subsets: [
        { addresses: [{ ip: '127.0.0.2', targetRef: { name: 'web-a' } }], ports: [{ port: 8080 }] },
        { addresses: [{ ip: '127.0.0.2', targetRef: { name: 'web-a' } }], ports: [{ port: 9090 }] },
      ],
    };
    const other: Endpoints = { ...multi, metadata: { name: 'web', namespace: 'other' } };
    const [s] = summarizeServices([svc], [other, multi], undefined);
    assert.deepEqual(
      s?.endpoints.map((e) => e.addresses),
      [['127.0.0.2:8080', '127.0.0.2:9090']],
    );
    const [none] = summarizeServices([svc], [other], undefined);
    assert.deepEqual(none?.endpoints, []);
  });

  test('host:port splitting handles IPv6 brackets', () => {
    assert.deepEqual(splitHostPort('127.0.0.2:8080'), { host: '127.0.0.2', port: '8080' });
    assert.deepEqual(splitHostPort('[::1]:80'), { host: '::1', port: '80' });
  });
});
