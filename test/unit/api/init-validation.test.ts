import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { defaultPod } from '../../../src/api/defaults.js';
import { formatFieldError, validatePod } from '../../../src/api/validation.js';

const I0 = 'spec.initContainers[0]';
const PROBE = { exec: { command: ['true'] } };

function errorsFor(initContainers: Container[]): string[] {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', command: ['node', 'server.js'] }], initContainers },
  };
  return validatePod(defaultPod(pod)).map(formatFieldError);
}

describe('init container validation (validateInitContainers, spec §4.7)', () => {
  test('§4.7 plain init containers and sidecars with probes are accepted', () => {
    assert.deepEqual(
      errorsFor([
        { name: 'setup', command: ['true'] },
        {
          name: 'proxy',
          command: ['sleep', '100'],
          restartPolicy: 'Always',
          startupProbe: PROBE,
          livenessProbe: PROBE,
          readinessProbe: PROBE,
        },
      ]),
      [],
    );
  });

  test('§1.2 names must be unique across init and regular containers', () => {
    assert.deepEqual(
      errorsFor([
        { name: 'app', command: ['true'] },
        { name: 'a', command: ['true'] },
        { name: 'a', command: ['true'] },
      ]),
      [`${I0}.name: Duplicate value: "app"`, 'spec.initContainers[2].name: Duplicate value: "a"'],
    );
  });

  test('§4.7 probes and lifecycle are forbidden on init containers without restartPolicy=Always', () => {
    assert.deepEqual(
      errorsFor([
        {
          name: 'setup',
          command: ['true'],
          lifecycle: { preStop: PROBE },
          livenessProbe: PROBE,
          readinessProbe: PROBE,
          startupProbe: PROBE,
        },
      ]),
      ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'].map(
        (f) => `${I0}.${f}: Forbidden: may not be set for init containers without restartPolicy=Always`,
      ),
    );
  });

  test('§4.7 restartPolicy of an init container may only be Always', () => {
    assert.deepEqual(errorsFor([{ name: 'setup', command: ['true'], restartPolicy: 'Never' }]), [
      `${I0}.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
    ]);
  });

  test('§1.2 sidecar probes get the regular probe rules; init containers need a command too', () => {
    const errs = errorsFor([
      { name: 'proxy', restartPolicy: 'Always', livenessProbe: { ...PROBE, successThreshold: 2 } },
    ]);
    assert.deepEqual(errs, [
      `${I0}.livenessProbe.successThreshold: Invalid value: 2: must be 1`,
      `${I0}.command: Required value: podvisor runs commands, not images: set command (and args) to the program to run, e.g. command: ["node", "server.js"]`,
    ]);
  });

  test('§1.1 init containers are defaulted like containers', () => {
    const pod = defaultPod({
      metadata: { name: 'web' },
      spec: { containers: [], initContainers: [{ name: 'setup', command: ['true'] }] },
    });
    assert.equal(pod.spec?.initContainers?.[0]?.terminationMessagePolicy, 'File');
    assert.equal(pod.spec?.initContainers?.[0]?.terminationMessagePath, '/dev/termination-log');
  });
});
