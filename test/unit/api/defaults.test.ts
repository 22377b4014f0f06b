import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { defaultPod, defaultPullPolicy } from '../../../src/api/defaults.js';

function pod(spec: Partial<Pod['spec']> = {}, metadata: Pod['metadata'] = { name: 'web' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { containers: [{ name: 'app', command: ['true'] }], ...spec },
  };
}

describe('defaultPod (spec §1.1)', () => {
  test('§1.1 pod-level defaults as the 1.33 API server sets them', () => {
    const out = defaultPod(pod());
    assert.equal(out.metadata?.namespace, 'default');
    assert.deepEqual(
      {
        restartPolicy: out.spec?.restartPolicy,
        terminationGracePeriodSeconds: out.spec?.terminationGracePeriodSeconds,
        dnsPolicy: out.spec?.dnsPolicy,
        schedulerName: out.spec?.schedulerName,
        securityContext: out.spec?.securityContext,
        enableServiceLinks: out.spec?.enableServiceLinks,
        priority: out.spec?.priority,
        preemptionPolicy: out.spec?.preemptionPolicy,
      },
      {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        securityContext: {},
        enableServiceLinks: true,
        priority: 0,
        preemptionPolicy: 'PreemptLowerPriority',
      },
    );
  });

  test('§1.1 set values are kept, and the input object is not modified', () => {
    const input = pod(
      { restartPolicy: 'Never', terminationGracePeriodSeconds: 0 },
      { name: 'web', namespace: 'team' },
    );
    const before = structuredClone(input);
    const out = defaultPod(input);
    assert.deepEqual(input, before);
    assert.equal(out.spec?.restartPolicy, 'Never');
    assert.equal(out.spec?.terminationGracePeriodSeconds, 0);
    assert.equal(out.metadata?.namespace, 'team');
  });

  test('§1.1 a negative pod terminationGracePeriodSeconds is treated as 1 (since 1.27)', () => {
    assert.equal(
      defaultPod(pod({ terminationGracePeriodSeconds: -5 })).spec?.terminationGracePeriodSeconds,
      1,
    );
  });

  test('§1.1 container defaults: termination message, port protocol, fieldRef apiVersion', () => {
    const out = defaultPod(
      pod({
        containers: [
          {
            name: 'app',
            command: ['true'],
            ports: [{ containerPort: 8080 }],
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
        ],
      }),
    );
    const c = out.spec?.containers[0];
    assert.equal(c?.terminationMessagePath, '/dev/termination-log');
    assert.equal(c?.terminationMessagePolicy, 'File');
    assert.equal(c?.ports?.[0]?.protocol, 'TCP');
    assert.equal(c?.env?.[0]?.valueFrom?.fieldRef?.apiVersion, 'v1');
    assert.equal(c?.imagePullPolicy, undefined, 'no image, no pull policy');
  });

  test('§1.1 imagePullPolicy: Always for :latest or no tag, IfNotPresent otherwise', () => {
    const table: [string, string][] = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['nginx:1.27', 'IfNotPresent'],
      ['registry.example.com:5000/team/app', 'Always'],
      ['registry.example.com:5000/team/app:v2', 'IfNotPresent'],
      ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
      ['Upper/Case', 'IfNotPresent'],
    ];
    for (const [image, want] of table) assert.equal(defaultPullPolicy(image), want, image);
    const out = defaultPod(pod({ containers: [{ name: 'app', image: 'nginx', command: ['true'] }] }));
    assert.equal(out.spec?.containers[0]?.imagePullPolicy, 'Always');
  });

  test('§1.1 probe fields that are 0 or absent get 1/10/1/3; httpGet path "/" and scheme HTTP; grpc.service ""', () => {
    const out = defaultPod(
      pod({
        containers: [
          {
            name: 'app',
            command: ['true'],
            livenessProbe: { httpGet: { port: 8080 }, periodSeconds: 0, initialDelaySeconds: 0 },
            readinessProbe: { grpc: { port: 9000 }, timeoutSeconds: 5, failureThreshold: 0 },
            startupProbe: { tcpSocket: { port: 8080 }, successThreshold: 0 },
          },
        ],
      }),
    );
    const c = out.spec?.containers[0];
    assert.deepEqual(c?.livenessProbe, {
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(c?.readinessProbe, {
      grpc: { port: 9000, service: '' },
      timeoutSeconds: 5,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(c?.startupProbe?.successThreshold, 1);
  });

  test('§1.1 negative probe values are not defaulted (validation reports them)', () => {
    const out = defaultPod(
      pod({
        containers: [
          {
            name: 'app',
            command: ['true'],
            livenessProbe: { exec: { command: ['true'] }, periodSeconds: -1 },
          },
        ],
      }),
    );
    assert.equal(out.spec?.containers[0]?.livenessProbe?.periodSeconds, -1);
  });

  test('SetDefaults_Pod: requests default to limits; hostNetwork makes container ports host ports', () => {
    const out = defaultPod(
      pod({
        hostNetwork: true,
        containers: [
          {
            name: 'app',
            command: ['true'],
            ports: [{ containerPort: 8080 }],
            resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
          },
        ],
      }),
    );
    const c = out.spec?.containers[0];
    assert.deepEqual(c?.resources?.requests, { cpu: '500m', memory: '1Gi' });
    assert.equal(c?.ports?.[0]?.hostPort, 8080);
  });

  test('SetDefaults_Volume: a volume without a source is an emptyDir; file modes default to 0644', () => {
    const out = defaultPod(
      pod({ volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }] }),
    );
    assert.deepEqual(out.spec?.volumes?.[0], { name: 'scratch', emptyDir: {} });
    assert.equal(out.spec?.volumes?.[1]?.configMap?.defaultMode, 420);
  });

  test('the Priority admission defaults are not applied when a priorityClassName is given', () => {
    const out = defaultPod(pod({ priorityClassName: 'high' }));
    assert.equal(out.spec?.priority, undefined);
    assert.equal(out.spec?.preemptionPolicy, undefined);
  });
});
