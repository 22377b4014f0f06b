import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import { serviceResources } from '../../../src/server/services.js';
import { formatEndpoints, endpointSliceTablePrinter } from '../../../src/server/tables/services.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { KubeObject } from '../../../src/api/types.js';
import { FakeLogs, stubAdmitPod, TOKEN } from './harness.js';

/** core/v1 services through the REST API: defaults, validation, address allocation, Tables. */

let server: ApiServer;
const store = new MemoryStore();

async function call(
  method: string,
  path: string,
  body?: unknown,
  accept = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', Accept: accept },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const SVCS = '/api/v1/namespaces/default/services';

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec };
}

describe('services API (issue 4 item 2)', () => {
  before(async () => {
    server = await startApiServer({
      store,
      logs: new FakeLogs(),
      token: TOKEN,
      host: '127.0.0.1',
      port: 0,
      admitPod: stubAdmitPod,
      resources: serviceResources(store),
    });
  });
  after(() => server.close());

  test('a ClusterIP service gets Kubernetes defaults and an address from 127.96.0.0/16', async () => {
    const r = await call('POST', SVCS, svc('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const spec = (r.json as Service).spec;
    assert.equal(spec?.type, 'ClusterIP');
    assert.equal(spec?.sessionAffinity, 'None');
    assert.deepEqual(spec?.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.match(spec?.clusterIP ?? '', /^127\.96\.\d+\.\d+$/);
    assert.deepEqual(spec?.clusterIPs, [spec?.clusterIP]);
    const second = await call('POST', SVCS, svc('web2', { selector: { app: 'web' }, ports: [{ port: 80 }] }));
    assert.notEqual((second.json as Service).spec?.clusterIP, spec?.clusterIP);
  });

  test('NodePort gets a node port from 30000-32767; ClientIP affinity defaults to 10800 s', async () => {
    const r = await call(
      'POST',
      SVCS,
      svc('np', {
        type: 'NodePort',
        sessionAffinity: 'ClientIP',
        selector: { app: 'x' },
        ports: [{ port: 8080, targetPort: 'http' }],
      }),
    );
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const spec = (r.json as Service).spec;
    const nodePort = spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    assert.equal(spec?.ports?.[0]?.targetPort, 'http');
    assert.equal(spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds, 10800);
    const table = await call('GET', `${SVCS}/np`, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    const cols = (table.json.columnDefinitions as { name: string }[]).map((c) => c.name);
    assert.deepEqual(cols, ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    const cells = (table.json.rows as { cells: unknown[] }[])[0]?.cells;
    assert.deepEqual(cells?.slice(0, 5), [
      'np',
      'NodePort',
      spec?.clusterIP,
      '<none>',
      `8080:${nodePort}/TCP`,
    ]);
    assert.equal(cells?.[6], 'app=x');
  });

  test('validation: ports required, protocol, nodePort on ClusterIP, names with several ports', async () => {
    const cases: [Service['spec'], string][] = [
      [{ selector: { a: 'b' } }, 'spec.ports: Required value'],
      [
        { ports: [{ port: 80, protocol: 'HTTP' }] },
        'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
      [
        { ports: [{ port: 80, nodePort: 30001 }] },
        "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      ],
      [{ ports: [{ port: 80, name: 'a' }, { port: 81 }] }, 'spec.ports[1].name: Required value'],
      [
        { ports: [{ port: 0 }] },
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      ],
      [
        { ports: [{ port: 80 }], sessionAffinity: 'Sticky' },
        'spec.sessionAffinity: Unsupported value: "Sticky"',
      ],
    ];
    for (const [spec, message] of cases) {
      const r = await call('POST', SVCS, svc('bad', spec));
      assert.equal(r.status, 422, JSON.stringify(r.json));
      assert.ok(
        String(r.json.message).includes(message),
        `${String(r.json.message)} should include ${message}`,
      );
    }
  });

  test('spec.clusterIP is immutable; an update that leaves it out keeps it', async () => {
    const created = await call('POST', SVCS, svc('imm', { selector: { a: 'b' }, ports: [{ port: 80 }] }));
    const ip = (created.json as Service).spec?.clusterIP;
    const cur = created.json as Service;
    const kept = await call('PUT', `${SVCS}/imm`, {
      ...cur,
      spec: { ...cur.spec, clusterIP: undefined, clusterIPs: undefined },
    });
    assert.equal(kept.status, 200, JSON.stringify(kept.json));
    assert.equal((kept.json as Service).spec?.clusterIP, ip);
    const changed = await call('PUT', `${SVCS}/imm`, {
      ...kept.json,
      spec: { ...(kept.json as Service).spec, clusterIP: '127.96.9.9', clusterIPs: ['127.96.9.9'] },
    });
    assert.equal(changed.status, 422);
    assert.match(String(changed.json.message), /may not change once set/);
  });

  test('endpoints and endpointslices are served (group discovery.k8s.io/v1)', async () => {
    const r = await call('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices');
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'EndpointSliceList');
    const e = await call('GET', '/api/v1/endpoints');
    assert.equal(e.json.kind, 'EndpointsList');
  });
});

describe('service tables (printers.go)', () => {
  test('ENDPOINTS shows ready addresses × ports, three at most, then "+ N more..."', () => {
    const ep: Endpoints = {
      subsets: [
        {
          addresses: ['127.77.0.3', '127.77.0.4', '127.77.0.5', '127.77.0.6'].map((ip) => ({ ip })),
          notReadyAddresses: [{ ip: '127.77.0.9' }],
          ports: [{ port: 8080 }],
        },
      ],
    };
    assert.equal(formatEndpoints(ep), '127.77.0.3:8080,127.77.0.4:8080,127.77.0.5:8080 + 1 more...');
    assert.equal(formatEndpoints({}), '<none>');
  });

  test('an EndpointSlice row lists ports and every address', () => {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', creationTimestamp: '2024-06-04T10:00:00Z' },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ addresses: ['127.77.0.3'] }, { addresses: ['127.77.0.4'], conditions: { ready: false } }],
    } as EndpointSlice & KubeObject;
    const { cells } = endpointSliceTablePrinter.row(slice, Date.parse('2024-06-04T10:00:30Z'));
    assert.deepEqual(cells, ['web-abc', 'IPv4', '8080', '127.77.0.3,127.77.0.4', '30s']);
  });
});
