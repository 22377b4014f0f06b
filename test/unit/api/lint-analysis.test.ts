/**
 * The pieces lint is built from: reading exec commands, the timing formulas (checked against the
 * kubelet's worker, spec §2.1–2.2 and timeline §8A), field lines, and turning loading errors into
 * findings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  commandShape,
  contactedHosts,
  dependencyWords,
  heavyProgram,
  isPodLocalHost,
  retryConstructs,
} from '../../../src/api/lint/exec-command.js';
import { loadErrorFindings, loadWarningFindings } from '../../../src/api/lint/load-findings.js';
import { pathSegments, SourceLines } from '../../../src/api/lint/source-lines.js';
import { detectionTime, formatSeconds, startupWindow } from '../../../src/api/lint/timing.js';

const hosts = (argv: string[]): string[] =>
  contactedHosts(commandShape(argv)).map((h) => `${h.tool} ${h.host}`);

describe('exec commands', () => {
  test('sh -c scripts split into commands, quotes respected, $(VAR) kept in its word, wrappers skipped', () => {
    const shape = commandShape([
      '/bin/sh',
      '-c',
      'set -e; X=1 timeout 2 curl -fsS "http://$(POD_IP):8080/a b" | grep -q ok && exec nc -z db 5432 # done',
    ]);
    assert.equal(shape.viaShell, true);
    assert.deepEqual(
      shape.commands.map((c) => [c.program, ...c.args]),
      [
        ['set', '-e'],
        ['curl', '-fsS', 'http://$(POD_IP):8080/a b'],
        ['grep', '-q', 'ok'],
        ['nc', '-z', 'db', '5432'],
      ],
    );
  });

  test('hosts of network clients: URLs, -h/--host, -hHOST, host:port, nc/telnet positionals, sqlplus, conninfo', () => {
    assert.deepEqual(hosts(['curl', '-H', 'Host: x', 'https://api.example.com/v1']), [
      'curl api.example.com',
    ]);
    assert.deepEqual(hosts(['psql', '-h', 'pg', '-c', 'select 1']), ['psql pg']);
    assert.deepEqual(hosts(['mysqladmin', '-hmysql.prod', 'ping']), ['mysqladmin mysql.prod']);
    assert.deepEqual(hosts(['redis-cli', '--host=cache', 'ping']), ['redis-cli cache']);
    assert.deepEqual(hosts(['nc', '-z', '-w', '1', 'kafka', '9092']), ['nc kafka']);
    assert.deepEqual(hosts(['ping', '-c', '1', 'gateway']), ['ping gateway']);
    assert.deepEqual(hosts(['nc', '-z', 'kafka', '9092']), ['nc kafka']);
    assert.deepEqual(hosts(['sqlplus', '-L', 'scott/tiger@ora.prod:1521/ORCL']), ['sqlplus ora.prod']);
    assert.deepEqual(hosts(['psql', 'host=db.internal dbname=app', '-c', 'select 1']), ['psql db.internal']);
    assert.deepEqual(hosts(['grpc_health_probe', '-addr=payments:9000']), ['grpc_health_probe payments']);
    assert.deepEqual(hosts(['kafka-topics.sh', '--bootstrap-server', 'broker:9092', '--list']), [
      'kafka-topics.sh broker',
    ]);
    assert.deepEqual(hosts(['cat', 'http://not-a-client/']), [], 'only network clients count');
  });

  test('pod-local hosts: loopback, unspecified, empty, and pod-IP variables in all three spellings', () => {
    const vars = new Set(['POD_IP']);
    for (const h of [
      'localhost',
      '127.0.0.1',
      '127.77.0.3',
      '::1',
      '[::1]',
      '0.0.0.0',
      '',
      '$(POD_IP)',
      '${POD_IP}',
      '$POD_IP',
      '$HOSTNAME',
    ])
      assert.equal(isPodLocalHost(h, vars), true, h);
    for (const h of ['db', '10.0.0.5', '$(DB_HOST)', 'localhost.example.com'])
      assert.equal(isPodLocalHost(h, vars), false, h);
  });

  test('heavy programs: interpreters and JVMs, by base name, also inside sh -c', () => {
    assert.equal(heavyProgram(commandShape(['/usr/bin/python3.12', 'x.py'])), 'python3.12');
    assert.equal(heavyProgram(commandShape(['sh', '-c', 'cd /app && java -jar health.jar'])), 'java');
    assert.equal(heavyProgram(commandShape(['npx', 'healthcheck'])), 'npx');
    assert.equal(heavyProgram(commandShape(['sh', '-c', 'test -f /tmp/ready'])), undefined);
    assert.equal(heavyProgram(commandShape(['curl', '-f', 'http://localhost/'])), undefined);
  });

  test('retries: loop keywords, sleep, curl --retry, wget --tries', () => {
    assert.deepEqual(
      retryConstructs(commandShape(['sh', '-c', 'until nc -z localhost 80; do sleep 1; done'])),
      ['a `until` loop', '`sleep`'],
    );
    assert.deepEqual(retryConstructs(commandShape(['curl', '--retry', '3', 'http://localhost/'])), [
      '`curl --retry`',
    ]);
    assert.deepEqual(retryConstructs(commandShape(['wget', '--tries=5', 'http://localhost/'])), [
      '`wget --tries`',
    ]);
    assert.deepEqual(retryConstructs(commandShape(['sh', '-c', 'echo forever; test -f ready'])), []);
  });

  test('dependency words: whole words, camelCase and kebab-case split; look-alikes do not count', () => {
    assert.deepEqual(dependencyWords('/health/db'), ['db']);
    assert.deepEqual(dependencyWords('/ready?checkDb=true&deps=1'), ['db', 'deps']);
    assert.deepEqual(dependencyWords('--check-downstream-services'), ['downstream']);
    assert.deepEqual(dependencyWords('/dbx/rediscover/kafkaesque'), []);
  });
});

describe('timing formulas (spec §2.1, §2.2)', () => {
  test('timeout < period: failureThreshold × period + timeout; timeline §8A (period 3, #failure 3) is within it', () => {
    const t = detectionTime({
      initialDelay: 0,
      period: 3,
      timeout: 1,
      failureThreshold: 3,
      successThreshold: 1,
    });
    assert.equal(t.seconds, 3 * 3 + 1);
    // §8A: failing from 10 s, attempts at ~12, 15, 18 s → kill decided ~8 s after the app broke.
    assert.ok(18 - 10 <= t.seconds);
    assert.match(t.formula, /= 3 \+ 2×3 \+ 1$/);
  });

  test('timeout > period: the serial worker starts each attempt when the last one times out (one tick kept)', () => {
    const t = detectionTime({
      initialDelay: 0,
      period: 5,
      timeout: 10,
      failureThreshold: 3,
      successThreshold: 1,
    });
    assert.equal(t.seconds, 5 + 2 * 10 + 10);
    assert.match(t.formula, /= 5 \+ 2×max\(5, 10\) \+ 10$/);
  });

  test('start-up window: startup probe delay + failureThreshold × period (§2.2, §8C: 30 × 10 s); else liveness delay + detection; else none', () => {
    assert.equal(startupWindow({ periodSeconds: 10, failureThreshold: 30 }, undefined)?.seconds, 300);
    assert.equal(startupWindow(undefined, { initialDelaySeconds: 5, periodSeconds: 5 })?.seconds, 5 + 16);
    assert.equal(startupWindow(undefined, undefined), null);
  });

  test('durations print as kubectl does: seconds below 2 minutes, then minutes and seconds', () => {
    assert.deepEqual([formatSeconds(101), formatSeconds(120), formatSeconds(121)], ['101s', '2m', '2m1s']);
  });
});

describe('field lines', () => {
  const text = [
    'kind: List', // 1
    'apiVersion: v1',
    'items:',
    '  - apiVersion: v1', // 4
    '    kind: Pod',
    '    metadata: { name: a }',
    '    spec:',
    '      containers:',
    '        - name: c', // 9
    '          livenessProbe:', // 10
    '            exec: { command: ["true"] }', // 11
  ].join('\n');
  const lines = new SourceLines(new Map([['f.yaml', text]]));

  test('a field inside a List item is found from the item line', () => {
    assert.equal(lines.lineOf('f.yaml', 4, 'spec.containers[0].livenessProbe.exec.command'), 11);
  });

  test('a defaulted field not in the file points at its nearest written ancestor', () => {
    assert.equal(lines.lineOf('f.yaml', 4, 'spec.containers[0].livenessProbe.periodSeconds'), 10);
  });

  test('an unknown file or object start gives the object line back', () => {
    assert.equal(lines.lineOf('other.yaml', 4, 'spec'), 4);
    assert.equal(lines.lineOf('f.yaml', 99, 'spec'), 99);
    assert.deepEqual(pathSegments('spec.template.spec.containers[1].ports[0].name'), [
      'spec',
      'template',
      'spec',
      'containers',
      1,
      'ports',
      0,
      'name',
    ]);
  });
});

describe('loading errors and warnings as findings', () => {
  test('a validation error with several fields gives one finding per field, at its line', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: { name: w }',
      'spec:',
      '  restartPolicy: Sometimes',
    ].join('\n');
    const f = loadErrorFindings(
      [
        'p.yaml:1: Pod "w" is invalid: [spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never", spec.containers: Required value]',
      ],
      new SourceLines(new Map([['p.yaml', text]])),
    );
    assert.deepEqual(
      f.map((x) => [x.rule, x.object, x.fieldPath, x.line, x.message]),
      [
        [
          'invalid-manifest',
          'Pod/w',
          'spec.restartPolicy',
          5,
          'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        ],
        ['invalid-manifest', 'Pod/w', 'spec.containers', 4, 'spec.containers: Required value'],
      ],
    );
  });

  test('a workload named with its group (Deployment.apps) is split per field too, and the path given names the missing file', () => {
    const [f] = loadErrorFindings([
      'd.yaml:2: Deployment.apps "api" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ]);
    assert.deepEqual([f?.object, f?.fieldPath, f?.line], ['Deployment/api', 'spec.replicas', 2]);
    const [missing] = loadErrorFindings(['the path "x/y.yaml" does not exist']);
    assert.deepEqual([missing?.rule, missing?.file, missing?.line], ['unreadable-path', 'x/y.yaml', 0]);
  });

  test('errors without fields keep the loader words: defined twice, unsupported kind', () => {
    const f = loadErrorFindings([
      'b.yaml:7: Pod "default/web" is defined twice: first at a.yaml:1',
      'c.yaml:1: kind "CronJob" (batch/v1) is not supported yet: podvisor runs Pod, Service in this version',
    ]);
    assert.deepEqual(
      f.map((x) => [x.rule, x.file, x.line, x.message]),
      [
        ['invalid-manifest', 'b.yaml', 7, 'Pod "default/web" is defined twice: first at a.yaml:1'],
        [
          'invalid-manifest',
          'c.yaml',
          1,
          'kind "CronJob" (batch/v1) is not supported yet: podvisor runs Pod, Service in this version',
        ],
      ],
    );
  });

  test('unknown fields are warnings (a misspelt probe named as such); other warnings are notes', () => {
    const { findings, notes } = loadWarningFindings([
      'p.yaml:3: unknown field "spec.containers[0].readinessProbes"',
      'p.yaml:3: unknown field "spec.containers[0].imagePullPolicyy"',
      'p.yaml:3: spec.containers[0].image: "x" is recorded but not pulled: podvisor runs spec.containers[0].command',
    ]);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.severity, f.fix]),
      [
        ['unknown-field', 'warning', 'spell it readinessProbe'],
        ['unknown-field', 'warning', 'correct the spelling or the indentation, or remove the field'],
      ],
    );
    assert.equal(notes.length, 1);
  });
});
