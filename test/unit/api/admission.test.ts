import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitObject, admitPod, generateName } from '../../../src/api/admission.js';
import { formatFieldError } from '../../../src/api/validation.js';

function manifest(
  container: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', command: ['node', 'server.js'], ...container }], ...spec },
  };
}

describe('admitPod: defaults, validation and warnings (spec §1.1, §1.2)', () => {
  test('a valid manifest is admitted defaulted, with no warnings', () => {
    const r = admitPod(manifest({ livenessProbe: { httpGet: { port: 8080 } } }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.pod?.spec?.restartPolicy, 'Always');
    assert.equal(r.pod?.spec?.containers[0]?.livenessProbe?.httpGet?.path, '/');
  });

  test('errors leave no pod', () => {
    const r = admitPod(manifest({ livenessProbe: { httpGet: { port: 8080 }, successThreshold: 2 } }));
    assert.equal(r.pod, undefined);
    assert.deepEqual(r.errors.map(formatFieldError), [
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ]);
  });

  test("unknown fields are warned about with Kubernetes' wording and dropped", () => {
    const r = admitPod({
      ...manifest({ livnessProbe: { httpGet: { port: 8080 } } }),
      metadata: { name: 'web', lables: { a: 'b' } },
      extra: true,
    });
    assert.deepEqual(r.errors, []);
    // In document order.
    assert.deepEqual(r.warnings, [
      'unknown field "metadata.lables"',
      'unknown field "spec.containers[0].livnessProbe"',
      'unknown field "extra"',
    ]);
    assert.deepEqual(r.unknownFields, ['metadata.lables', 'spec.containers[0].livnessProbe', 'extra']);
    assert.equal('livnessProbe' in (r.pod?.spec?.containers[0] ?? {}), false);
    assert.equal('extra' in (r.pod ?? {}), false);
  });

  test('values of the wrong type are errors that name the field', () => {
    const r = admitPod(
      manifest({
        command: 'node server.js',
        env: [{ name: 'PORT', value: 8080 }],
        livenessProbe: { periodSeconds: '10' },
      }),
    );
    assert.equal(r.pod, undefined);
    assert.deepEqual(r.errors.map(formatFieldError), [
      'spec.containers[0].command: Invalid value: "node server.js": must be a list',
      'spec.containers[0].env[0].value: Invalid value: 8080: must be a string',
      'spec.containers[0].livenessProbe.periodSeconds: Invalid value: "10": must be an integer',
    ]);
  });

  test('a grpc port must be a number, not a name', () => {
    const r = admitPod(manifest({ livenessProbe: { grpc: { port: 'grpc' } } }));
    assert.deepEqual(r.errors.map(formatFieldError), [
      'spec.containers[0].livenessProbe.grpc.port: Invalid value: "grpc": must be an integer',
    ]);
  });

  test('null means absent, as in the API server', () => {
    const r = admitPod(manifest({ livenessProbe: null, env: null }, { restartPolicy: null }));
    assert.deepEqual(r.errors, []);
    assert.equal(r.pod?.spec?.restartPolicy, 'Always');
    assert.equal(r.pod?.spec?.containers[0]?.livenessProbe, undefined);
  });

  test('generateName names the pod as the API server does: base + 5 random characters', () => {
    const r = admitPod({ ...manifest(), metadata: { generateName: 'web-' } });
    assert.deepEqual(r.errors, []);
    assert.match(r.pod?.metadata?.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(
      generateName('x'.repeat(70), () => 0),
      'x'.repeat(58) + 'bbbbb',
    );
  });

  test('apiVersion and kind must be v1 Pod', () => {
    const r = admitPod({ ...manifest(), apiVersion: 'apps/v1', kind: 'Deployment' });
    assert.deepEqual(r.errors.map(formatFieldError), [
      'apiVersion: Unsupported value: "apps/v1": supported values: "v1"',
      'kind: Unsupported value: "Deployment": supported values: "Pod"',
    ]);
    assert.deepEqual(admitPod('nope').errors.map(formatFieldError), [
      '<root>: Invalid value: "nope": must be an object',
    ]);
  });
});

describe('admitPod warnings: every field without a process meaning is named', () => {
  test('image is recorded but not pulled', () => {
    assert.deepEqual(admitPod(manifest({ image: 'nginx:1.27' })).warnings, [
      'spec.containers[0].image: "nginx:1.27" is recorded but not pulled: podvisor runs spec.containers[0].command',
    ]);
  });

  test('volumes and volumeMounts, resources, securityContext, hostPort, lifecycle hooks', () => {
    const r = admitPod(
      manifest(
        {
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          resources: { limits: { memory: '128Mi' }, requests: { cpu: 0.5 } },
          securityContext: { runAsUser: 1000 },
          ports: [{ containerPort: 8080, hostPort: 80 }],
          lifecycle: { preStop: { exec: { command: ['sleep', '1'] } } },
        },
        { volumes: [{ name: 'data', emptyDir: {} }], securityContext: { fsGroup: 2000 } },
      ),
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, [
      'spec.containers[0].volumeMounts: not mounted: podvisor does not mount volumes; the container sees the host filesystem, and its pod directory is $POD_DIR',
      'spec.containers[0].resources.limits: recorded but not enforced: podvisor runs processes without cgroup limits',
      'spec.containers[0].resources.requests: recorded but not enforced: podvisor runs processes without cgroup limits',
      "spec.containers[0].securityContext.runAsUser: not applied: the process runs as the user that runs podvisor, with that user's privileges",
      'spec.containers[0].ports[0].hostPort: not forwarded: podvisor maps no host ports; the process listens on the pod IP',
      'spec.containers[0].lifecycle.preStop: not run: podvisor does not run lifecycle hooks yet',
      'spec.volumes[0]: volume "data" is not provided: podvisor does not mount volumes; containers see the host filesystem, and their pod directory is $POD_DIR',
      "spec.securityContext.fsGroup: not applied: the process runs as the user that runs podvisor, with that user's privileges",
    ]);
    assert.equal(
      r.pod?.spec?.containers[0]?.resources?.requests?.cpu,
      '0.5',
      'a numeric quantity is stored as a string',
    );
  });

  test('scheduling fields are ignored on a single node; service accounts and pull secrets are not used', () => {
    const r = admitPod(
      manifest(
        {},
        {
          nodeSelector: { disk: 'ssd' },
          tolerations: [{ operator: 'Exists' }],
          affinity: { nodeAffinity: {} },
          serviceAccountName: 'builder',
          imagePullSecrets: [{ name: 'regcred' }],
        },
      ),
    );
    assert.deepEqual(r.warnings, [
      'spec.nodeSelector: ignored: podvisor is a single node and runs every pod on it',
      'spec.affinity: ignored: podvisor is a single node and runs every pod on it',
      'spec.tolerations: ignored: podvisor is a single node and runs every pod on it',
      'spec.imagePullSecrets: not used: podvisor pulls no images',
      'spec.serviceAccountName: not used: podvisor has no ServiceAccounts and mounts no tokens',
    ]);
  });

  test("Kubernetes' own warnings: negative grace period, env entries hiding earlier ones", () => {
    const r = admitPod(
      manifest(
        {
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' },
            { name: 'B', value: 'x' },
            { name: 'B', value: '$(B)y' },
          ],
        },
        { terminationGracePeriodSeconds: -1 },
      ),
    );
    assert.deepEqual(r.warnings, [
      'spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
      'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
    ]);
    assert.equal(r.pod?.spec?.terminationGracePeriodSeconds, 1);
  });

  test('defaulted fields do not cause warnings (securityContext: {} and imagePullPolicy come from defaulting)', () => {
    const r = admitPod(manifest({ image: 'nginx' }));
    assert.equal(r.pod?.spec?.containers[0]?.imagePullPolicy, 'Always');
    assert.deepEqual(r.warnings, [
      'spec.containers[0].image: "nginx" is recorded but not pulled: podvisor runs spec.containers[0].command',
    ]);
  });
});

describe('admitObject: kinds', () => {
  test('a Pod goes through admitPod', () => {
    const r = admitObject(manifest());
    assert.equal(r.kindError, undefined);
    assert.equal(r.object?.metadata.name, 'web');
    assert.equal(r.object?.metadata.namespace, 'default');
  });

  test('other kinds are refused with a clear message', () => {
    assert.match(
      admitObject({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'web' } }).kindError ?? '',
      /^kind "CronJob" \(batch\/v1\) is not supported yet: podvisor runs Pod, .* in this version$/,
    );
    assert.equal(
      admitObject({ apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: 'web' } }).kindError,
      'no matches for kind "Pod" in version "apps/v1": Pod is v1',
    );
  });

  test('missing kind or apiVersion is a clear error', () => {
    assert.equal(
      admitObject({ apiVersion: 'v1', metadata: { name: 'x' } }).kindError,
      'kind is missing: every object needs apiVersion and kind, e.g. apiVersion: v1 and kind: Pod',
    );
    assert.equal(
      admitObject({ kind: 'Pod', metadata: { name: 'x' } }).kindError,
      'apiVersion is missing: every object needs apiVersion and kind, e.g. apiVersion: v1 and kind: Pod',
    );
    assert.match(admitObject([1, 2]).kindError ?? '', /expected a Kubernetes object/);
  });
});
