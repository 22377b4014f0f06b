import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Probe } from '../../../src/api/types.js';
import { describeProbe } from '../../../src/cli/printers/probe-line.js';

const timing = { timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
const probe = (p: Partial<Probe>, delay: number, period: number): Probe => ({
  initialDelaySeconds: delay,
  periodSeconds: period,
  ...timing,
  ...p,
});

test('§6.1 exec: `exec [argv]` as Go prints a []string', () => {
  assert.equal(
    describeProbe(probe({ exec: { command: ['cat', '/tmp/healthy'] } }, 5, 5)),
    'exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3',
  );
});

test('§6.1 httpGet: empty host, numeric port, lower-cased scheme', () => {
  assert.equal(
    describeProbe(probe({ httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' } }, 3, 3)),
    'http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3',
  );
});

test('§6.1 httpGet: a named port is printed by name', () => {
  assert.equal(
    describeProbe(probe({ httpGet: { path: '/healthz', port: 'liveness-port', scheme: 'HTTP' } }, 3, 3)),
    'http-get http://:liveness-port/healthz delay=3s timeout=1s period=3s #success=1 #failure=3',
  );
});

test('§6.1 httpGet: host and https; IPv6 hosts are bracketed; `?` in the path is escaped', () => {
  assert.equal(
    describeProbe(
      probe({ httpGet: { host: '10.0.0.1', path: '/ready', port: 8443, scheme: 'HTTPS' } }, 0, 10),
    ),
    'http-get https://10.0.0.1:8443/ready delay=0s timeout=1s period=10s #success=1 #failure=3',
  );
  assert.equal(
    describeProbe(probe({ httpGet: { host: '::1', path: '/a?b', port: 80, scheme: 'HTTP' } }, 0, 10)),
    'http-get http://[::1]:80/a%3Fb delay=0s timeout=1s period=10s #success=1 #failure=3',
  );
});

test('§6.1 tcpSocket: `tcp-socket <host>:<port>`', () => {
  assert.equal(
    describeProbe(probe({ tcpSocket: { port: 8080 } }, 15, 10)),
    'tcp-socket :8080 delay=15s timeout=1s period=10s #success=1 #failure=3',
  );
  assert.equal(
    describeProbe(probe({ tcpSocket: { host: 'db', port: 'sql' } }, 15, 10)),
    'tcp-socket db:sql delay=15s timeout=1s period=10s #success=1 #failure=3',
  );
});

test('§6.1 grpc: literal <pod>, and two spaces when the service is empty', () => {
  assert.equal(
    describeProbe(probe({ grpc: { port: 2379, service: '' } }, 10, 10)),
    'grpc <pod>:2379  delay=10s timeout=1s period=10s #success=1 #failure=3',
  );
  assert.equal(
    describeProbe(probe({ grpc: { port: 2379 } }, 10, 10)),
    'grpc <pod>:2379  delay=10s timeout=1s period=10s #success=1 #failure=3',
  );
  assert.equal(
    describeProbe(probe({ grpc: { port: 9090, service: 'liveness' } }, 10, 10)),
    'grpc <pod>:9090 liveness delay=10s timeout=1s period=10s #success=1 #failure=3',
  );
});

test('§6.1 no handler: `unknown <attrs>`', () => {
  assert.equal(
    describeProbe(probe({}, 0, 10)),
    'unknown delay=0s timeout=1s period=10s #success=1 #failure=3',
  );
});
