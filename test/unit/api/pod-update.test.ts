import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError, formatInvalid } from '../../../src/api/field-errors.js';
import { validatePodUpdate } from '../../../src/api/pod-update.js';
import type { Pod } from '../../../src/api/types.js';

const FORBIDDEN_HEAD =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';

function pod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      activeDeadlineSeconds: 600,
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [
        { name: 'app', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] },
        { name: 'side', image: 'busybox' },
      ],
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
    },
  };
}

function change(edit: (p: Pod & { spec: NonNullable<Pod['spec']> }) => void): string[] {
  const next = structuredClone(pod()) as Pod & { spec: NonNullable<Pod['spec']> };
  edit(next);
  return validatePodUpdate(next, pod()).map(formatFieldError);
}

describe('pod update rules (ValidatePodUpdate)', () => {
  test('images of containers and init containers may change, and so may metadata', () => {
    assert.deepEqual(
      change((p) => {
        p.spec.containers[0]!.image = 'nginx:1.28';
        p.spec.initContainers![0]!.image = 'alpine';
        p.metadata = { name: 'web', labels: { app: 'web', tier: 'fe' }, annotations: { a: 'b' } };
      }),
      [],
    );
  });

  test("any other spec change is Forbidden with upstream's sentence, then a readable diff", () => {
    const next = structuredClone(pod());
    next.spec!.containers[0]!.env![0]!.value = '2';
    next.spec!.restartPolicy = 'Never';
    const errors = validatePodUpdate(next, pod());
    assert.equal(errors.length, 1);
    const text = formatInvalid('Pod', 'web', errors);
    assert.ok(text.startsWith(`Pod "web" is invalid: ${FORBIDDEN_HEAD}  core.PodSpec{\n`), text);
    assert.match(text, /^ {2}\tContainers: \[\]core\.Container\{$/m);
    assert.match(text, /^- \t+Value: "1",$/m);
    assert.match(text, /^\+ \t+Value: "2",$/m);
    assert.match(text, /^- \tRestartPolicy: "Always",$/m);
    assert.match(text, /^\+ \tRestartPolicy: "Never",$/m);
    assert.ok(text.endsWith('\n  }'));
  });

  test('adding or removing a container is refused before anything else', () => {
    assert.deepEqual(
      change((p) => p.spec.containers.push({ name: 'more', image: 'x' })),
      ['spec.containers: Forbidden: pod updates may not add or remove containers'],
    );
    assert.deepEqual(
      change((p) => (p.spec.initContainers = [])),
      ['spec.initContainers: Forbidden: pod updates may not add or remove containers'],
    );
  });

  test('an image may not become empty or carry whitespace', () => {
    assert.deepEqual(
      change((p) => (p.spec.containers[1]!.image = ' busybox')),
      ['spec.containers[1].image: Invalid value: " busybox": must not have leading or trailing whitespace'],
    );
    assert.ok(
      change((p) => (p.spec.containers[0]!.image = '')).includes('spec.containers[0].image: Required value'),
    );
  });

  test('a pod admitted without an image (podvisor runs commands) can still be updated, e.g. a label', () => {
    const noImage = (): Pod => {
      const p = structuredClone(pod());
      for (const c of p.spec!.containers) delete c.image;
      for (const c of p.spec!.initContainers ?? []) delete c.image;
      return p;
    };
    const next = noImage();
    next.metadata = { ...next.metadata, labels: { app: 'web', patched: 'yes' } };
    assert.deepEqual(validatePodUpdate(next, noImage()).map(formatFieldError), []);
  });

  test('activeDeadlineSeconds may only be shortened, never removed', () => {
    assert.deepEqual(
      change((p) => (p.spec.activeDeadlineSeconds = 300)),
      [],
    );
    assert.deepEqual(
      change((p) => (p.spec.activeDeadlineSeconds = 900)),
      ['spec.activeDeadlineSeconds: Invalid value: 900: must be less than or equal to previous value'],
    );
    assert.deepEqual(
      change((p) => delete p.spec.activeDeadlineSeconds),
      [
        'spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value',
      ],
    );
  });

  test('tolerations may be added (and their tolerationSeconds changed) but not removed', () => {
    assert.deepEqual(
      change((p) => {
        p.spec.tolerations![0]!.tolerationSeconds = 30;
        p.spec.tolerations!.push({ key: 'other', operator: 'Exists' });
      }),
      [],
    );
    const errors = change((p) => (p.spec.tolerations = []));
    assert.equal(
      errors[0],
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    );
  });

  test('terminationGracePeriodSeconds may only go from negative to 1', () => {
    const negative = pod();
    negative.spec!.terminationGracePeriodSeconds = -1;
    const toOne = structuredClone(negative);
    toOne.spec!.terminationGracePeriodSeconds = 1;
    assert.deepEqual(validatePodUpdate(toOne, negative), []);
    const errors = change((p) => (p.spec.terminationGracePeriodSeconds = 10));
    assert.equal(errors.length, 1);
    assert.ok(errors[0]?.startsWith(FORBIDDEN_HEAD));
    assert.match(errors[0] ?? '', /^\+ \tTerminationGracePeriodSeconds: 10,$/m);
  });
});
