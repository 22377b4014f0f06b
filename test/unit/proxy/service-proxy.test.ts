import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../../../src/api/types.js';
import { startProxy, type ServiceProxy } from '../../../src/proxy/index.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, settle } from '../../../src/util/clock.js';

/** Real sockets on loopback: backends on 127.77.250.x, the service on a 127.96.250.x cluster IP. */

interface TestBackend {
  ip: string;
  port: number;
  server: Server;
  sockets: Set<Socket>;
}

/** Answers its own name and closes, or echoes (uppercased, after the client's FIN) in echo mode. */
async function backend(ip: string, mode: 'name' | 'echo' = 'name'): Promise<TestBackend> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    if (mode === 'name') {
      s.end(ip);
      return;
    }
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
      s.write(`echo:${d.toString()}`);
    });
    s.on('end', () => s.end(`bye:${got.toUpperCase()}`));
  });
  await new Promise<void>((r) => server.listen(0, ip, r));
  return { ip, port: (server.address() as AddressInfo).port, server, sockets };
}

/** One connection: what the server sent until it closed, or `RESET` when it was refused/reset. */
function fetchVia(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let data = '';
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('error', () => resolve('RESET'));
    s.on('close', () => resolve(data === '' ? 'RESET' : data));
  });
}

function slice(
  service: string,
  endpoints: { ip: string; port: number; ready: boolean; terminating?: boolean }[],
  name = `${service}-abc`,
): EndpointSlice & KubeObject {
  // Backends in one test listen on different ports, so each gets its own slice-per-port here.
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: endpoints[0]?.port ?? 1, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready || !!e.terminating, terminating: !!e.terminating },
    })),
  };
}

let nextIP = 1;
function svc(
  opts: { affinity?: boolean; nodePort?: number } = {},
): KubeObject & { clusterIP: string; port: number } {
  const clusterIP = `127.96.250.${nextIP++}`;
  const port = 40000 + Math.floor(Math.random() * 10000);
  const name = `svc${nextIP}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      type: opts.nodePort ? 'NodePort' : 'ClusterIP',
      clusterIP,
      ports: [
        {
          name: 'http',
          port,
          protocol: 'TCP',
          targetPort: 8080,
          ...(opts.nodePort ? { nodePort: opts.nodePort } : {}),
        },
      ],
      sessionAffinity: opts.affinity ? 'ClientIP' : 'None',
      ...(opts.affinity ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } : {}),
    },
    clusterIP,
    port,
  } as KubeObject & { clusterIP: string; port: number };
}

/** Backends on one shared port number, so a single slice port describes all of them. */
async function backendsOnSamePort(ips: string[], mode: 'name' | 'echo' = 'name'): Promise<TestBackend[]> {
  const first = await backend(ips[0] as string, mode);
  const rest: TestBackend[] = [];
  for (const ip of ips.slice(1)) {
    const sockets = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true }, (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.end(ip);
    });
    await new Promise<void>((r) => server.listen(first.port, ip, r));
    rest.push({ ip, port: first.port, server, sockets });
  }
  return [first, ...rest];
}

describe('service proxy', () => {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  let proxy: ServiceProxy;
  const servers: Server[] = [];

  before(() => {
    proxy = startProxy({ store, clock });
  });
  after(async () => {
    await proxy.stop();
    for (const s of servers) s.close();
  });

  async function publish(service: KubeObject, sl?: EndpointSlice & KubeObject): Promise<void> {
    if (!store.get('services', 'default', service.metadata.name)) {
      const {
        clusterIP: _ip,
        port: _port,
        ...plain
      } = service as KubeObject & { clusterIP: string; port: number };
      store.create('services', plain as KubeObject);
    }
    if (sl) {
      if (store.get('endpointslices', 'default', sl.metadata.name))
        store.update('endpointslices', { ...sl, metadata: { ...sl.metadata } });
      else store.create('endpointslices', sl);
    }
    await settle();
    await proxy.settled();
  }

  test('issue 4 §3: round-robin over Ready endpoints only; counters per backend', async () => {
    const bs = await backendsOnSamePort(['127.77.250.1', '127.77.250.2', '127.77.250.3', '127.77.250.4']);
    servers.push(...bs.map((b) => b.server));
    const s = svc();
    const port = bs[0]?.port ?? 0;
    await publish(
      s,
      slice(s.metadata.name, [
        { ip: '127.77.250.1', port, ready: true },
        { ip: '127.77.250.2', port, ready: true },
        { ip: '127.77.250.3', port, ready: true },
        { ip: '127.77.250.4', port, ready: false },
      ]),
    );
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await fetchVia(s.clusterIP, s.port));
    assert.deepEqual(seen.sort(), [
      '127.77.250.1',
      '127.77.250.1',
      '127.77.250.2',
      '127.77.250.2',
      '127.77.250.3',
      '127.77.250.3',
    ]);
    const stats = proxy.stats.forService(`default/${s.metadata.name}`);
    assert.deepEqual(stats.total, {
      [`127.77.250.1:${port}`]: 2,
      [`127.77.250.2:${port}`]: 2,
      [`127.77.250.3:${port}`]: 2,
    });

    // Readiness fails for .2: it leaves the rotation as soon as the slice says so.
    await publish(
      s,
      slice(s.metadata.name, [
        { ip: '127.77.250.1', port, ready: true },
        { ip: '127.77.250.2', port, ready: false },
        { ip: '127.77.250.3', port, ready: true },
      ]),
    );
    const after: string[] = [];
    for (let i = 0; i < 6; i++) after.push(await fetchVia(s.clusterIP, s.port));
    assert.equal(after.filter((x) => x === '127.77.250.2').length, 0);
    assert.equal(after.filter((x) => x === '127.77.250.1').length, 3);
  });

  test('issue 4 §3: no Ready endpoint: the connection is closed at once and counted as rejected', async () => {
    const s = svc();
    await publish(s, slice(s.metadata.name, [{ ip: '127.77.250.9', port: 1, ready: false }]));
    assert.equal(await fetchVia(s.clusterIP, s.port), 'RESET');
    assert.equal(proxy.stats.forService(`default/${s.metadata.name}`).rejected, 1);
  });

  test('issue 4 §3: sessionAffinity ClientIP sticks a client to one backend until the timeout', async () => {
    const bs = await backendsOnSamePort(['127.77.250.11', '127.77.250.12', '127.77.250.13']);
    servers.push(...bs.map((b) => b.server));
    const port = bs[0]?.port ?? 0;
    const s = svc({ affinity: true });
    await publish(
      s,
      slice(
        s.metadata.name,
        bs.map((b) => ({ ip: b.ip, port, ready: true })),
      ),
    );
    const first = await fetchVia(s.clusterIP, s.port);
    for (let i = 0; i < 4; i++) assert.equal(await fetchVia(s.clusterIP, s.port), first);
    // Past the timeout since the last connection, the client is placed anew (round-robin moves on).
    await clock.advance(10800 * 1000);
    assert.notEqual(await fetchVia(s.clusterIP, s.port), first);
  });

  test('issue 4 §3: a terminating endpoint keeps its open connection (half-close passed on) but gets no new ones', async () => {
    const echo = await backend('127.77.250.21', 'echo');
    const other = await backendsOnSamePort(['127.77.250.22']).catch(() => []);
    servers.push(echo.server, ...other.map((b) => b.server));
    const s = svc();
    // Two slices: each backend has its own port number.
    const otherSlice = slice(
      s.metadata.name,
      [{ ip: '127.77.250.22', port: other[0]?.port ?? 0, ready: true }],
      `${s.metadata.name}-b`,
    );
    await publish(s, slice(s.metadata.name, [{ ip: echo.ip, port: echo.port, ready: true }]));
    const client = connect({ host: s.clusterIP, port: s.port, allowHalfOpen: true });
    let got = '';
    client.on('data', (d: Buffer) => (got += d.toString()));
    const closed = new Promise<void>((r) => client.on('close', () => r()));
    client.write('hello');
    await waitFor(() => got === 'echo:hello');
    // The pod terminates: ready=false, serving=true, terminating=true, and another one takes over.
    await publish(
      s,
      slice(s.metadata.name, [{ ip: echo.ip, port: echo.port, ready: false, terminating: true }]),
    );
    await publish(s, otherSlice);
    assert.equal(await fetchVia(s.clusterIP, s.port), '127.77.250.22');
    client.write('more');
    await waitFor(() => got === 'echo:helloecho:more');
    client.end();
    await closed;
    assert.equal(got, 'echo:helloecho:morebye:HELLOMORE');
  });

  test('issue 4 §3: a NodePort listens on 127.0.0.1; deleting the service stops the listeners', async () => {
    const [b] = await backendsOnSamePort(['127.77.250.31']);
    if (!b) throw new Error('no backend');
    servers.push(b.server);
    const nodePort = 30000 + Math.floor(Math.random() * 2000);
    const s = svc({ nodePort });
    await publish(s, slice(s.metadata.name, [{ ip: b.ip, port: b.port, ready: true }]));
    assert.ok(proxy.addresses().includes(`127.0.0.1:${nodePort}`));
    assert.equal(await fetchVia('127.0.0.1', nodePort), '127.77.250.31');
    assert.equal(await fetchVia(s.clusterIP, s.port), '127.77.250.31');
    store.delete('services', 'default', s.metadata.name);
    await settle();
    await waitFor(() => !proxy.addresses().includes(`127.0.0.1:${nodePort}`));
    assert.equal(await fetchVia('127.0.0.1', nodePort), 'RESET');
  });
});

describe('service proxy binding', () => {
  test('issue 4 §3: an address in use is reported once and bound when it comes free', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const errors: string[] = [];
    const proxy = startProxy({ store, clock, onError: (e) => errors.push(e.message) });
    const s = svc();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(s.port, s.clusterIP, r));
    const { clusterIP: _ip, port: _port, ...plain } = s;
    store.create('services', plain as KubeObject);
    await settle();
    await proxy.settled();
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /cannot listen on 127\.96\.250\.\d+:\d+: EADDRINUSE/);
    assert.ok(!proxy.addresses().includes(`${s.clusterIP}:${s.port}`));
    await new Promise<void>((r) => squatter.close(() => r()));
    await clock.advance(5000);
    await proxy.settled();
    assert.ok(proxy.addresses().includes(`${s.clusterIP}:${s.port}`));
    assert.equal(errors.length, 1);
    await proxy.stop();
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
