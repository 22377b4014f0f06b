import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodSpec, Probe } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { defaultPod } from '../../../src/api/defaults.js';
import { formatFieldError, validatePod } from '../../../src/api/validation.js';

const C0 = 'spec.containers[0]';

function podWith(
  container: Partial<Container> = {},
  spec: Partial<PodSpec> = {},
  metadata: ObjectMeta = { name: 'web' },
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { containers: [{ name: 'app', command: ['node', 'server.js'], ...container }], ...spec },
  };
}

/** Messages for a pod after defaulting, as the API server validates it. */
function errorsFor(
  container: Partial<Container> = {},
  spec: Partial<PodSpec> = {},
  metadata?: ObjectMeta,
): string[] {
  return validatePod(defaultPod(podWith(container, spec, metadata))).map(formatFieldError);
}

function probeErrors(kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe', probe: Probe): string[] {
  return errorsFor({ [kind]: probe });
}

describe('probe validation (spec §1.2)', () => {
  test('§1.2 a valid pod with all three probe types has no errors', () => {
    assert.deepEqual(
      errorsFor({
        ports: [{ name: 'http', containerPort: 8080 }],
        startupProbe: { httpGet: { path: '/healthz', port: 'http' }, failureThreshold: 30 },
        livenessProbe: { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: 5 },
        readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, successThreshold: 3 },
      }),
      [],
    );
  });

  test('§1.2 no handler: Required value: must specify a handler type', () => {
    assert.deepEqual(probeErrors('livenessProbe', { periodSeconds: 5 }), [
      `${C0}.livenessProbe: Required value: must specify a handler type`,
    ]);
  });

  test('§1.2 more than one handler: Forbidden on the later ones, in the order exec, httpGet, tcpSocket, grpc', () => {
    assert.deepEqual(
      probeErrors('readinessProbe', {
        grpc: { port: 9000 },
        tcpSocket: { port: 8080 },
        httpGet: { port: 8080 },
        exec: { command: ['true'] },
      }),
      [
        `${C0}.readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type`,
        `${C0}.readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`,
        `${C0}.readinessProbe.grpc: Forbidden: may not specify more than 1 handler type`,
      ],
    );
    assert.deepEqual(probeErrors('readinessProbe', { tcpSocket: { port: 8080 }, grpc: { port: 9000 } }), [
      `${C0}.readinessProbe.grpc: Forbidden: may not specify more than 1 handler type`,
    ]);
  });

  test('§1.2 each numeric field must be nonnegative: Invalid value: -1: must be greater than or equal to 0', () => {
    for (const f of [
      'initialDelaySeconds',
      'timeoutSeconds',
      'periodSeconds',
      'successThreshold',
      'failureThreshold',
    ]) {
      assert.deepEqual(
        probeErrors('readinessProbe', { tcpSocket: { port: 8080 }, [f]: -1 }),
        [`${C0}.readinessProbe.${f}: Invalid value: -1: must be greater than or equal to 0`],
        f,
      );
    }
  });

  test('§1.2 probe terminationGracePeriodSeconds must be > 0', () => {
    assert.deepEqual(
      probeErrors('livenessProbe', { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: 0 }),
      [`${C0}.livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0`],
    );
    assert.deepEqual(
      probeErrors('startupProbe', { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: -3 }),
      [`${C0}.startupProbe.terminationGracePeriodSeconds: Invalid value: -3: must be greater than 0`],
    );
  });

  test('§1.2 readiness probe terminationGracePeriodSeconds: must not be set for readinessProbes', () => {
    assert.deepEqual(
      probeErrors('readinessProbe', { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: 10 }),
      [
        `${C0}.readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes`,
      ],
    );
  });

  test('§1.2 liveness and startup successThreshold must be 1', () => {
    assert.deepEqual(probeErrors('livenessProbe', { httpGet: { port: 8080 }, successThreshold: 2 }), [
      `${C0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`,
    ]);
    assert.deepEqual(probeErrors('startupProbe', { exec: { command: ['true'] }, successThreshold: 3 }), [
      `${C0}.startupProbe.successThreshold: Invalid value: 3: must be 1`,
    ]);
    assert.deepEqual(probeErrors('readinessProbe', { exec: { command: ['true'] }, successThreshold: 3 }), []);
  });

  test('§1.2 a negative liveness successThreshold gives both the nonnegative and the must-be-1 error', () => {
    assert.deepEqual(probeErrors('livenessProbe', { exec: { command: ['true'] }, successThreshold: -1 }), [
      `${C0}.livenessProbe.successThreshold: Invalid value: -1: must be greater than or equal to 0`,
      `${C0}.livenessProbe.successThreshold: Invalid value: -1: must be 1`,
    ]);
  });

  test('§1.2 exec.command empty: Required value', () => {
    assert.deepEqual(probeErrors('livenessProbe', { exec: { command: [] } }), [
      `${C0}.livenessProbe.exec.command: Required value`,
    ]);
    assert.deepEqual(probeErrors('livenessProbe', { exec: {} }), [
      `${C0}.livenessProbe.exec.command: Required value`,
    ]);
  });

  test('§1.2 httpGet.path is only required when still empty after defaulting', () => {
    assert.deepEqual(probeErrors('livenessProbe', { httpGet: { path: '', port: 8080 } }), []);
    const pod = defaultPod(podWith({ livenessProbe: { httpGet: { port: 8080 } } }));
    const probe = pod.spec?.containers[0]?.livenessProbe;
    assert.ok(probe?.httpGet);
    probe.httpGet.path = '';
    assert.deepEqual(validatePod(pod).map(formatFieldError), [
      `${C0}.livenessProbe.httpGet.path: Required value`,
    ]);
  });

  test('§1.2 httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"', () => {
    assert.deepEqual(probeErrors('livenessProbe', { httpGet: { port: 8080, scheme: 'FTP' } }), [
      `${C0}.livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"`,
    ]);
  });

  test('§1.2 header names are checked with IsHTTPHeaderName (reported on httpHeaders)', () => {
    assert.deepEqual(
      probeErrors('livenessProbe', {
        httpGet: {
          port: 8080,
          httpHeaders: [
            { name: 'X-Ok', value: 'a' },
            { name: 'X Bad', value: 'b' },
          ],
        },
      }),
      [
        `${C0}.livenessProbe.httpGet.httpHeaders: Invalid value: "X Bad": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
      ],
    );
  });

  test('§1.2 port numbers must be 1–65535 (ValidatePortNumOrName)', () => {
    assert.deepEqual(probeErrors('livenessProbe', { tcpSocket: { port: 70000 } }), [
      `${C0}.livenessProbe.tcpSocket.port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
    ]);
    assert.deepEqual(probeErrors('livenessProbe', { httpGet: { port: 0 } }), [
      `${C0}.livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive`,
    ]);
  });

  test('§1.2 port names must be IANA service names, with Kubernetes messages', () => {
    const at = `${C0}.livenessProbe.tcpSocket.port`;
    const cases: [string, string[]][] = [
      [
        'HTTP',
        [
          `${at}: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
          `${at}: Invalid value: "HTTP": must contain at least one letter (a-z)`,
        ],
      ],
      ['8080', [`${at}: Invalid value: "8080": must contain at least one letter (a-z)`]],
      ['web--api', [`${at}: Invalid value: "web--api": must not contain consecutive hyphens`]],
      ['-web', [`${at}: Invalid value: "-web": must not begin or end with a hyphen`]],
      [
        'a-very-long-port-name',
        [`${at}: Invalid value: "a-very-long-port-name": must be no more than 15 characters`],
      ],
    ];
    for (const [port, want] of cases)
      assert.deepEqual(probeErrors('livenessProbe', { tcpSocket: { port } }), want, port);
  });

  test('§1.2 / §3.0 validation does not check that a named port exists on the container', () => {
    assert.deepEqual(probeErrors('livenessProbe', { httpGet: { port: 'metrics' } }), []);
  });

  test('§1.2 grpc.port must be a number in 1–65535', () => {
    assert.deepEqual(probeErrors('livenessProbe', { grpc: { port: 0 } }), [
      `${C0}.livenessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive`,
    ]);
  });

  test('§1.2 lifecycle hooks are validated like handlers, with the sleep action bound by the grace period', () => {
    assert.deepEqual(errorsFor({ lifecycle: { preStop: { sleep: { seconds: 40 } }, postStart: {} } }), [
      `${C0}.lifecycle.postStart: Required value: must specify a handler type`,
      `${C0}.lifecycle.preStop.sleep: Invalid value: 40: must be non-negative and less than terminationGracePeriodSeconds (30)`,
    ]);
  });

  test('§1.2 regular containers cannot set restartPolicy', () => {
    assert.deepEqual(errorsFor({ restartPolicy: 'Always' }), [
      `${C0}.restartPolicy: Forbidden: may not be set for non-init containers`,
    ]);
  });
});
