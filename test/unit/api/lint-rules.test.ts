/**
 * Every lint rule against a deliberately bad manifest (test/fixtures/lint/bad/) and its corrected
 * counterpart (test/fixtures/lint/good/, same file name): the bad one gives the finding at the
 * field's own path and line, the good one lints clean.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { LINT_RULES, type Severity } from '../../../src/api/lint/lint.js';
import { lintFixture, lintPaths, withRule } from './lint-helpers.js';

interface Case {
  file: string;
  rule: string;
  severity: Severity;
  fieldPath: string;
  line: number;
  /** A phrase the message must carry. */
  says: RegExp;
}

/** Rules whose bad/good pair is inline in lint-checks.test.ts (no fixture file can be "unreadable"). */
const COVERED_ELSEWHERE = ['unreadable-path'];

const T = 'spec.template.spec.containers[0]';
const C = 'spec.containers[0]';

const CASES: Case[] = [
  {
    file: 'identical-probes.yaml',
    rule: 'liveness-identical-to-readiness',
    severity: 'warning',
    fieldPath: `${T}.livenessProbe`,
    line: 23,
    says: /liveness and readiness are identical \(http-get :8080\/healthz, period 5s, timeout 1s, failureThreshold 3\)/,
  },
  {
    file: 'readiness-endpoint.yaml',
    rule: 'liveness-uses-readiness-endpoint',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe`,
    line: 18,
    says: /same endpoint as readiness \(http-get :admin\/ready\) and gives up after 16s, readiness after 11s/,
  },
  {
    file: 'external-exec-host.yaml',
    rule: 'liveness-external-dependency',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.exec.command`,
    line: 15,
    says: /reaches another host \(curl → payments\.internal\)/,
  },
  {
    file: 'external-exec-named.yaml',
    rule: 'liveness-external-dependency',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.exec.command`,
    line: 13,
    says: /names a database or downstream service \(database\)/,
  },
  {
    file: 'external-http-path.yaml',
    rule: 'liveness-external-dependency',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.httpGet.path`,
    line: 14,
    says: /path \/health\/dependencies names a database or downstream service \(dependencies\)/,
  },
  {
    file: 'external-http-host.yaml',
    rule: 'liveness-external-dependency',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.httpGet.host`,
    line: 14,
    says: /connects to host "auth\.example\.com", not to the pod/,
  },
  {
    file: 'host-not-pod.yaml',
    rule: 'probe-host-not-pod',
    severity: 'warning',
    fieldPath: `${C}.readinessProbe.tcpSocket.host`,
    line: 14,
    says: /readiness probe connects to host "127\.0\.0\.1" instead of the pod/,
  },
  {
    file: 'timeout-period.yaml',
    rule: 'probe-timeout-not-below-period',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.timeoutSeconds`,
    line: 16,
    says: /timeoutSeconds \(10\) is not below periodSeconds \(5\)/,
  },
  {
    file: 'port-not-declared.yaml',
    rule: 'probe-port-not-declared',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.tcpSocket.port`,
    line: 14,
    says: /targets port 9090, which container "web" does not declare/,
  },
  {
    file: 'port-other-container.yaml',
    rule: 'probe-port-not-declared',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.tcpSocket.port`,
    line: 14,
    says: /probe of container "app" targets port 15020, which container "mesh-proxy" declares/,
  },
  {
    file: 'named-port-missing.yaml',
    rule: 'probe-named-port-missing',
    severity: 'error',
    fieldPath: 'spec.template.spec.initContainers[0].livenessProbe.httpGet.port',
    line: 23,
    says: /port name "metric", which container "exporter" does not declare/,
  },
  {
    file: 'heavy-exec.yaml',
    rule: 'exec-probe-heavy',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.exec.command`,
    line: 13,
    says: /starts `python3` every 3s/,
  },
  {
    file: 'heavy-exec-shell.yaml',
    rule: 'exec-probe-heavy',
    severity: 'warning',
    fieldPath: `${C}.readinessProbe.exec.command`,
    line: 13,
    says: /readiness probe starts `npm` every 5s/,
  },
  {
    file: 'retry-loop.yaml',
    rule: 'exec-probe-retry-loop',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.exec.command`,
    line: 15,
    says: /retries or waits by itself \(a `for` loop, `sleep`\)/,
  },
  {
    file: 'initial-delay.yaml',
    rule: 'liveness-initial-delay-instead-of-startup-probe',
    severity: 'warning',
    fieldPath: `${C}.livenessProbe.initialDelaySeconds`,
    line: 15,
    says: /initialDelaySeconds: 90 before its first probe \(≥ 30s\)/,
  },
  {
    file: 'readiness-slower.yaml',
    rule: 'readiness-not-sooner-than-liveness',
    severity: 'warning',
    fieldPath: `${C}.readinessProbe`,
    line: 13,
    says: /readiness gives up after 101s, liveness after 16s: readiness should give up sooner than liveness/,
  },
  {
    file: 'check-invalid.yaml',
    rule: 'podvisor-check-invalid',
    severity: 'error',
    fieldPath: `${C}.livenessProbe.exec.command`,
    line: 13,
    says: /does not parse: .*unknown flag --windw/,
  },
  {
    file: 'check-conn.yaml',
    rule: 'liveness-checks-own-connections',
    severity: 'info',
    fieldPath: `${T}.livenessProbe.exec.command`,
    line: 21,
    says: /`podvisor check conn` looks at the container's own sockets/,
  },
  {
    file: 'check-conn.yaml',
    rule: 'exec-probe-podvisor-check',
    severity: 'info',
    fieldPath: `${T}.livenessProbe.exec.command`,
    line: 21,
    says: /`podvisor check conn` every 5s is cheap under podvisor: it runs the check in-process, with no fork/,
  },
  {
    file: 'success-threshold.yaml',
    rule: 'probe-success-threshold-not-one',
    severity: 'error',
    fieldPath: `${C}.livenessProbe.successThreshold`,
    line: 15,
    says: /successThreshold: Invalid value: 2: must be 1/,
  },
  {
    file: 'invalid-manifest.yaml',
    rule: 'invalid-manifest',
    severity: 'error',
    fieldPath: `${C}.readinessProbe.periodSeconds`,
    line: 16,
    says: /periodSeconds: Invalid value: -5: must be greater than or equal to 0/,
  },
  {
    file: 'parse-error.yaml',
    rule: 'manifest-parse-error',
    severity: 'error',
    fieldPath: '',
    line: 13,
    says: /error parsing YAML/,
  },
  {
    file: 'unknown-field.yaml',
    rule: 'unknown-field',
    severity: 'warning',
    fieldPath: `${C}.livenessprobe`,
    line: 13,
    says: /this container has no livenessProbe as written/,
  },
];

describe('lint rules: each bad fixture gives its finding at the field, its good counterpart does not', () => {
  for (const c of CASES) {
    test(`${c.rule}: bad/${c.file} → ${c.severity} at ${c.fieldPath || 'the file'}:${c.line}; good/${c.file} clean`, async () => {
      const bad = await lintPaths([lintFixture(`bad/${c.file}`)]);
      const found = withRule(bad, c.rule).find((f) => f.fieldPath === c.fieldPath);
      assert.ok(found, `no ${c.rule} at ${c.fieldPath}: ${JSON.stringify(bad.findings, null, 1)}`);
      assert.equal(found.severity, c.severity);
      assert.equal(found.line, c.line);
      assert.equal(found.file, lintFixture(`bad/${c.file}`));
      assert.match(found.message, c.says);
      assert.ok(found.why.length > 20 && found.fix.length > 10, 'every finding says why and what to do');

      const good = await lintPaths([lintFixture(`good/${c.file}`)]);
      assert.deepEqual(withRule(good, c.rule), []);
      assert.deepEqual(
        good.findings.filter((f) => f.severity !== 'info'),
        [],
        'the corrected manifest lints clean',
      );
    });
  }

  test('every bad fixture is a case, every good fixture has a bad twin', async () => {
    const bad = (await readdir(lintFixture('bad'))).sort();
    const good = (await readdir(lintFixture('good'))).sort();
    assert.deepEqual(good, bad);
    assert.deepEqual([...new Set(CASES.map((c) => c.file))].sort(), bad);
  });

  test('every rule of the catalogue has a case (here or in lint-checks.test.ts), every emitted id is in it', async () => {
    const covered = new Set([...CASES.map((c) => c.rule), ...COVERED_ELSEWHERE]);
    for (const id of Object.keys(LINT_RULES)) assert.ok(covered.has(id), `rule ${id} has no test case`);
    const dir = fileURLToPath(new URL('../../../src/api/lint/', import.meta.url));
    for (const name of await readdir(dir)) {
      const text = await readFile(`${dir}${name}`, 'utf8');
      for (const m of text.matchAll(/(?:rule:|rule =) '([a-z-]+)'/g)) {
        assert.ok(
          Object.hasOwn(LINT_RULES, m[1] ?? ''),
          `${name} emits ${m[1]}, which LINT_RULES does not list`,
        );
      }
    }
  });
});
