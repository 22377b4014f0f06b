import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatInvalid } from '../../../src/api/field-errors.js';
import { admitObject } from '../../../src/api/admission.js';
import { admitWorkload } from '../../../src/api/workloads/admission.js';
import { selectorMatches, selectorString } from '../../../src/api/workloads/selector.js';

function rs(
  spec: Record<string, unknown>,
  kind = 'ReplicaSet',
  apiVersion = 'apps/v1',
): Record<string, unknown> {
  return { apiVersion, kind, metadata: { name: 'web' }, spec };
}

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image: 'nginx', command: ['sleep', '1'] }] },
};

describe('workload defaults (apps/v1 defaults.go)', () => {
  test('ReplicaSet: replicas 1, namespace default, generation 1, template through the Pod defaults', () => {
    const adm = admitWorkload('ReplicaSet', rs({ selector: { matchLabels: { app: 'web' } }, template }));
    assert.deepEqual(adm.errors, []);
    const obj = adm.object as unknown as {
      metadata: { namespace: string; generation: number };
      spec: {
        replicas: number;
        template: {
          metadata: { namespace?: string };
          spec: { restartPolicy: string; terminationGracePeriodSeconds: number };
        };
      };
    };
    assert.equal(obj.spec.replicas, 1);
    assert.equal(obj.metadata.namespace, 'default');
    assert.equal(obj.metadata.generation, 1);
    assert.equal(obj.spec.template.spec.restartPolicy, 'Always');
    assert.equal(obj.spec.template.spec.terminationGracePeriodSeconds, 30);
    assert.equal(obj.spec.template.metadata.namespace, undefined);
  });

  test('Deployment: RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600', () => {
    const adm = admitWorkload(
      'Deployment',
      rs({ selector: { matchLabels: { app: 'web' } }, template }, 'Deployment'),
    );
    assert.deepEqual(adm.errors, []);
    const spec = (adm.object as unknown as { spec: Record<string, unknown> }).spec;
    assert.deepEqual(spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.equal(spec.replicas, 1);
  });

  test('ReplicationController: selector and labels default to the template labels', () => {
    const adm = admitWorkload('ReplicationController', rs({ template }, 'ReplicationController', 'v1'));
    assert.deepEqual(adm.errors, []);
    const obj = adm.object as unknown as { metadata: { labels: unknown }; spec: { selector: unknown } };
    assert.deepEqual(obj.spec.selector, { app: 'web' });
    assert.deepEqual(obj.metadata.labels, { app: 'web' });
  });
});

describe('workload validation (apps/validation)', () => {
  test('selector must match the template labels, with the Go %#v of the labels', () => {
    const adm = admitWorkload('ReplicaSet', rs({ selector: { matchLabels: { app: 'api' } }, template }));
    assert.equal(
      formatInvalid('ReplicaSet.apps', 'web', adm.errors),
      'ReplicaSet.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    );
  });

  test('a missing selector is required for apps/v1', () => {
    const adm = admitWorkload('Deployment', rs({ template }, 'Deployment'));
    assert.ok(adm.errors.some((e) => e.field === 'spec.selector' && e.type === 'Required value'));
  });

  test('template errors carry spec.template. paths; restartPolicy must be Always', () => {
    const adm = admitWorkload(
      'ReplicaSet',
      rs({
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [] } },
      }),
    );
    const messages = adm.errors.map((e) => `${e.field}: ${e.type}`);
    assert.ok(messages.includes('spec.template.spec.containers: Required value'), messages.join('; '));
    assert.ok(messages.includes('spec.template.spec.restartPolicy: Unsupported value'), messages.join('; '));
  });

  test('negative replicas and maxSurge=maxUnavailable=0 are refused with upstream messages', () => {
    const adm = admitWorkload(
      'Deployment',
      rs(
        {
          replicas: -1,
          selector: { matchLabels: { app: 'web' } },
          template,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
        },
        'Deployment',
      ),
    );
    const text = formatInvalid('Deployment.apps', 'web', adm.errors);
    assert.match(text, /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
    assert.match(
      text,
      /spec\.strategy\.rollingUpdate\.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0/,
    );
  });

  test('unknown template fields are reported under spec.template.', () => {
    const adm = admitWorkload(
      'ReplicaSet',
      rs({
        selector: { matchLabels: { app: 'web' } },
        template: { ...template, spec: { ...template.spec, bogus: 1 } },
      }),
    );
    assert.deepEqual(adm.unknownFields, ['spec.template.spec.bogus']);
  });

  test('manifest loading admits the workload kinds', () => {
    const r = admitObject(rs({ selector: { matchLabels: { app: 'web' } }, template }));
    assert.equal(r.kindError, undefined);
    assert.deepEqual(r.errors, []);
    assert.equal(r.object?.kind, 'ReplicaSet');
  });
});

describe('label selectors', () => {
  test('matchLabels and matchExpressions are ANDed; the string form is sorted by key', () => {
    const sel = {
      matchLabels: { tier: 'fe' },
      matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }],
    };
    assert.equal(selectorMatches(sel, { app: 'web', tier: 'fe' }), true);
    assert.equal(selectorMatches(sel, { app: 'db', tier: 'fe' }), false);
    assert.equal(selectorString(sel), 'app in (api,web),tier=fe');
  });
});
