/**
 * Lint rules in the cases the fixtures do not show: podvisor's own checks (injected recogniser),
 * variable hosts, the equal-timing readiness case, sidecars and templates, unreadable paths, and the
 * per-container timings of the report (spec §2.1, §2.2).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lintFixture, lintPaths, lintText, podWith, REAL_CHECKS, withRule } from './lint-helpers.js';

const execLiveness = (command: string, period = 5, env = ''): string =>
  [
    ...(env ? ['      env:', env] : []),
    '      livenessProbe:',
    '        exec:',
    `          command: ${command}`,
    `        periodSeconds: ${period}`,
  ].join('\n');

describe('lint: podvisor check in an exec probe (recogniser injected by the CLI)', () => {
  const nodeCheck =
    '["node", "/opt/podvisor/bin/podvisor.js", "check", "log", "--match", "ORA-", "--fail-on-match"]';

  test('with the recogniser, `node …/podvisor.js check` is not a heavy exec: an info says it runs in-process', async () => {
    const r = await lintText(podWith(execLiveness(nodeCheck, 5)));
    assert.deepEqual(withRule(r, 'exec-probe-heavy'), []);
    const info = withRule(r, 'exec-probe-podvisor-check');
    assert.equal(info.length, 1);
    assert.equal(info[0]?.severity, 'info');
    assert.match(info[0]?.message ?? '', /in-process, with no fork/);
  });

  test('without it, the same command is an ordinary exec that starts node every 5 s: exec-probe-heavy', async () => {
    const r = await lintText(podWith(execLiveness(nodeCheck, 5)), null);
    assert.equal(withRule(r, 'exec-probe-heavy').length, 1);
    assert.deepEqual(withRule(r, 'exec-probe-podvisor-check'), []);
  });

  test('an injected parser decides what does not parse (podvisor-check-invalid is an error)', async () => {
    const fussy = {
      invocation: REAL_CHECKS.invocation,
      parse: () => ({ error: 'check log: --match is required' }),
    };
    const r = await lintText(podWith(execLiveness('["podvisor", "check", "log"]', 10)), fussy);
    const f = withRule(r, 'podvisor-check-invalid');
    assert.equal(f.length, 1);
    assert.equal(f[0]?.severity, 'error');
    assert.match(f[0]?.message ?? '', /`podvisor check log` does not parse: check log: --match is required/);
  });

  test('check http to another host is an external dependency; to the pod it is not', async () => {
    const remote = await lintText(
      podWith(execLiveness('["podvisor", "check", "http", "http://inventory.svc:8080/healthz"]', 10)),
    );
    assert.match(withRule(remote, 'liveness-external-dependency')[0]?.message ?? '', /inventory\.svc/);
    const local = await lintText(
      podWith(execLiveness('["podvisor", "check", "http", "http://127.0.0.1:8080/healthz"]', 10)),
    );
    assert.deepEqual(withRule(local, 'liveness-external-dependency'), []);
  });

  test('check log naming Oracle in its pattern reads the own log: no dependency finding', async () => {
    const r = await lintText(
      podWith(execLiveness('["podvisor", "check", "log", "--match", "oracle.*down", "--fail-on-match"]', 10)),
    );
    assert.deepEqual(withRule(r, 'liveness-external-dependency'), []);
  });

  test('check conn in a workload that already has a restart budget: the info says to keep it', async () => {
    const text = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: cdc',
      '  annotations: { podvisor.io/liveness-restart-budget: "1" }',
      'spec:',
      '  selector: { matchLabels: { app: cdc } }',
      '  template:',
      '    metadata: { labels: { app: cdc } }',
      '    spec:',
      '      containers:',
      '        - name: w',
      '          image: node:20',
      '          command: ["node", "w.mjs"]',
      '          livenessProbe:',
      '            exec: { command: ["podvisor", "check", "conn", "--remote-port", "1521"] }',
      '            periodSeconds: 10',
    ].join('\n');
    const info = withRule(await lintText(text), 'liveness-checks-own-connections');
    assert.equal(info.length, 1);
    assert.match(info[0]?.fix ?? '', /keep podvisor\.io\/liveness-restart-budget \("1"\)/);
    assert.equal(info[0]?.line, 16);
  });
});

describe('lint: hosts in exec probes', () => {
  test('$(POD_IP) from the downward API and a literal-loopback variable are the pod; $(DB_HOST) is not', async () => {
    const env = [
      '        - name: POD_IP',
      '          valueFrom: { fieldRef: { fieldPath: status.podIP } }',
      '        - name: SELF',
      '          value: "127.0.0.1"',
      '        - name: DB_HOST',
      '          value: "orders-db.prod.svc"',
    ].join('\n');
    const pod = await lintText(
      podWith(execLiveness('["curl", "-f", "http://$(POD_IP):8080/livez"]', 10, env)),
    );
    assert.deepEqual(withRule(pod, 'liveness-external-dependency'), []);
    const self = await lintText(podWith(execLiveness('["sh", "-c", "nc -z $(SELF) 8080"]', 10, env)));
    assert.deepEqual(withRule(self, 'liveness-external-dependency'), []);
    const db = await lintText(podWith(execLiveness('["pg_isready", "-h", "$(DB_HOST)"]', 10, env)));
    assert.match(
      withRule(db, 'liveness-external-dependency')[0]?.message ?? '',
      /pg_isready → \$\(DB_HOST\)/,
    );
  });

  test('readiness may check a dependency: the external-dependency rule is about liveness only', async () => {
    const r = await lintText(
      podWith(
        ['      readinessProbe:', '        exec: { command: ["pg_isready", "-h", "db.internal"] }'].join(
          '\n',
        ),
      ),
    );
    assert.deepEqual(withRule(r, 'liveness-external-dependency'), []);
  });

  test('httpGet host 127.0.0.1 on liveness without hostNetwork is probe-host-not-pod, not a dependency', async () => {
    const r = await lintText(
      podWith(
        [
          '      ports: [{ containerPort: 8080 }]',
          '      livenessProbe:',
          '        httpGet: { host: 127.0.0.1, path: /livez, port: 8080 }',
        ].join('\n'),
      ),
    );
    assert.equal(withRule(r, 'probe-host-not-pod').length, 1);
    assert.deepEqual(withRule(r, 'liveness-external-dependency'), []);
  });
});

describe('lint: probe pairs and periods', () => {
  test('readiness and liveness giving up at the same moment is an info, not a warning', async () => {
    const r = await lintText(
      podWith(
        [
          '      ports: [{ name: http, containerPort: 8080 }]',
          '      readinessProbe: { httpGet: { path: /ready, port: http }, periodSeconds: 5 }',
          '      livenessProbe: { httpGet: { path: /livez, port: http }, periodSeconds: 5 }',
        ].join('\n'),
      ),
    );
    const f = withRule(r, 'readiness-not-sooner-than-liveness');
    assert.equal(f.length, 1);
    assert.equal(f[0]?.severity, 'info');
    assert.match(f[0]?.message ?? '', /readiness gives up after 16s, liveness after 16s/);
  });

  test('a liveness that shares the readiness endpoint but waits at least twice as long is not flagged', async () => {
    const r = await lintText(
      podWith(
        [
          '      ports: [{ name: http, containerPort: 8080 }]',
          '      readinessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 5, failureThreshold: 1 }',
          '      livenessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 10, failureThreshold: 3 }',
        ].join('\n'),
      ),
    );
    assert.deepEqual(withRule(r, 'liveness-uses-readiness-endpoint'), []);
    assert.deepEqual(withRule(r, 'liveness-identical-to-readiness'), []);
  });

  test('a heavy exec with a period of 10 s or more is not flagged', async () => {
    const r = await lintText(podWith(execLiveness('["python3", "health.py"]', 10)));
    assert.deepEqual(withRule(r, 'exec-probe-heavy'), []);
  });

  test('timeout equal to the period: attempts run back to back (the message says so)', async () => {
    const r = await lintText(
      podWith(
        ['      livenessProbe:', '        exec: { command: ["true"] }', '        periodSeconds: 1'].join(
          '\n',
        ),
      ),
    );
    const f = withRule(r, 'probe-timeout-not-below-period');
    assert.equal(f.length, 1);
    assert.match(f[0]?.why ?? '', /back to back/);
    assert.match(f[0]?.fix ?? '', /periodSeconds: 2/);
  });

  test('initialDelaySeconds above twice the detection time (but < 30 s) suggests a startup probe covering it', async () => {
    const r = await lintText(
      podWith(
        [
          '      ports: [{ containerPort: 8080 }]',
          '      livenessProbe:',
          '        tcpSocket: { port: 8080 }',
          '        initialDelaySeconds: 20',
          '        periodSeconds: 3',
          '        failureThreshold: 1',
        ].join('\n'),
      ),
    );
    const f = withRule(r, 'liveness-initial-delay-instead-of-startup-probe');
    assert.equal(f.length, 1);
    assert.match(f[0]?.message ?? '', /more than twice its 4s detection time/);
    assert.match(
      f[0]?.fix ?? '',
      /startupProbe: \{ tcpSocket: \{ port: 8080 \}, periodSeconds: 3, failureThreshold: 7 \}/,
    );
    assert.match(f[0]?.fix ?? '', /7 × 3s = 21s covers the 20s delay/);
  });
});

describe('lint: what is linted', () => {
  test('a ReplicationController template and a sidecar are linted at their own paths', async () => {
    const text = [
      'apiVersion: v1',
      'kind: ReplicationController',
      'metadata: { name: rc }',
      'spec:',
      '  selector: { app: rc }',
      '  template:',
      '    metadata: { labels: { app: rc } }',
      '    spec:',
      '      initContainers:',
      '        - name: setup',
      '          image: busybox',
      '          command: ["true"]',
      '        - name: side',
      '          image: busybox',
      '          command: ["sleep", "1d"]',
      '          restartPolicy: Always',
      '          readinessProbe: { tcpSocket: { port: 9000 } }',
      '      containers:',
      '        - name: app',
      '          image: busybox',
      '          command: ["sleep", "1d"]',
    ].join('\n');
    const r = await lintText(text);
    assert.deepEqual(
      r.containers.map((c) => `${c.object} ${c.container} ${c.fieldPath}`),
      ['ReplicationController/rc side spec.template.spec.initContainers[1]'],
    );
    const f = withRule(r, 'probe-port-not-declared');
    assert.equal(f[0]?.fieldPath, 'spec.template.spec.initContainers[1].readinessProbe.tcpSocket.port');
    assert.equal(f[0]?.line, 17);
  });

  test('unreadable-path: a missing path is an error finding; an existing one is not', async () => {
    const missing = await lintPaths(['no/such/manifest.yaml']);
    const f = withRule(missing, 'unreadable-path');
    assert.equal(f.length, 1);
    assert.equal(f[0]?.severity, 'error');
    assert.match(f[0]?.message ?? '', /"no\/such\/manifest\.yaml" does not exist/);
    const present = await lintPaths([lintFixture('good/retry-loop.yaml')]);
    assert.deepEqual(withRule(present, 'unreadable-path'), []);
  });

  test('per-container timings: detection per probe, the start-up window and the kill grace (spec §2.2, §4.3)', async () => {
    const r = await lintText(
      podWith(
        [
          '      ports: [{ name: http, containerPort: 8080 }]',
          '      startupProbe: { httpGet: { path: /livez, port: http }, initialDelaySeconds: 4, periodSeconds: 2, failureThreshold: 15 }',
          '      readinessProbe: { httpGet: { path: /ready, port: http }, periodSeconds: 2, failureThreshold: 2 }',
          '      livenessProbe: { httpGet: { path: /livez, port: http }, periodSeconds: 10, timeoutSeconds: 3, terminationGracePeriodSeconds: 7 }',
        ].join('\n'),
        '  terminationGracePeriodSeconds: 45',
      ),
    );
    const [c] = r.containers;
    assert.ok(c);
    assert.deepEqual(
      c.probes.map((p) => [p.probe, p.detect.seconds]),
      [
        ['startup', 34], // 4 + 15 × 2
        ['readiness', 5], // 2 + 1 × 2 + 1
        ['liveness', 33], // 10 + 2 × 10 + 3
      ],
    );
    assert.equal(c.startupWindow?.seconds, 34);
    assert.equal(
      c.killGraceSeconds,
      7,
      'the probe-level grace period wins over the pod one for a liveness kill',
    );
    assert.deepEqual(r.findings, []);
  });
});
