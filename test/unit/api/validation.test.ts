import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { defaultPod } from '../../../src/api/defaults.js';
import { formatFieldError, formatInvalid, validatePod } from '../../../src/api/validation.js';

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

const DNS_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('pod validation (ValidatePodCreate)', () => {
  test('metadata.name is required and must be a DNS-1123 subdomain', () => {
    assert.deepEqual(errorsFor({}, {}, {}), [
      'metadata.name: Required value: name or generateName is required',
    ]);
    assert.deepEqual(errorsFor({}, {}, { name: 'Web_1' }), [
      "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    assert.deepEqual(errorsFor({}, {}, { name: 'web.v2' }), []);
  });

  test('metadata.namespace must be a DNS-1123 label', () => {
    assert.deepEqual(errorsFor({}, {}, { name: 'web', namespace: 'team.a' }), [
      'metadata.namespace: Invalid value: "team.a": must not contain dots',
    ]);
    assert.deepEqual(errorsFor({}, {}, { name: 'web', namespace: 'Team' }), [
      `metadata.namespace: Invalid value: "Team": ${DNS_LABEL_MSG}`,
    ]);
  });

  test('label keys and values, annotation keys use the qualified-name rules', () => {
    assert.deepEqual(errorsFor({}, {}, { name: 'web', labels: { 'example.com/app': 'web', tier: 'a b' } }), [
      "metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
    assert.deepEqual(
      errorsFor({}, {}, { name: 'web', annotations: { 'a/b/c': 'x', 'Example.com/Ok': 'y' } }),
      [
        "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    );
    assert.deepEqual(errorsFor({}, {}, { name: 'web', labels: { '/x': 'y' } }), [
      'metadata.labels: Invalid value: "/x": prefix part must be non-empty',
    ]);
  });

  test('spec.containers is required', () => {
    const pod = defaultPod(podWith());
    assert.ok(pod.spec);
    pod.spec.containers = [];
    assert.deepEqual(validatePod(pod).map(formatFieldError), ['spec.containers: Required value']);
  });

  test('container names are DNS-1123 labels and unique: Duplicate value: "app"', () => {
    assert.deepEqual(errorsFor({ name: 'App' }), [`${C0}.name: Invalid value: "App": ${DNS_LABEL_MSG}`]);
    assert.deepEqual(errorsFor({ name: '' }), [`${C0}.name: Required value`]);
    const errs = errorsFor(
      {},
      {
        containers: [
          { name: 'app', command: ['a'] },
          { name: 'app', command: ['b'] },
        ],
      },
    );
    assert.deepEqual(errs, ['spec.containers[1].name: Duplicate value: "app"']);
  });

  test('restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"', () => {
    assert.deepEqual(errorsFor({}, { restartPolicy: 'Sometimes' }), [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
  });

  test('a negative pod terminationGracePeriodSeconds is no error: it becomes 1 (and admission warns)', () => {
    assert.deepEqual(errorsFor({}, { terminationGracePeriodSeconds: -1 }), []);
  });

  test('container ports: number range, protocol, IANA names unique per container', () => {
    assert.deepEqual(
      errorsFor({
        ports: [
          { containerPort: 70000 },
          { containerPort: 8080, protocol: 'HTTP' },
          { name: 'web', containerPort: 8081 },
          { name: 'web', containerPort: 8082 },
          { name: 'Web', containerPort: 8083 },
        ],
      }),
      [
        `${C0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`,
        `${C0}.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`,
        `${C0}.ports[3].name: Duplicate value: "web"`,
        `${C0}.ports[4].name: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
      ],
    );
    assert.deepEqual(errorsFor({ ports: [{ containerPort: 0 }] }), [
      `${C0}.ports[0].containerPort: Required value`,
    ]);
  });

  test('env names use the Kubernetes rule and message', () => {
    assert.deepEqual(
      errorsFor({ env: [{ name: 'OK_1.a-b', value: 'x' }, { name: '1BAD', value: 'y' }, { name: '' }] }),
      [
        `${C0}.env[1].name: Invalid value: "1BAD": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
        `${C0}.env[2].name: Required value`,
      ],
    );
  });

  test('env valueFrom.fieldRef accepts the downward API fields Kubernetes allows for env', () => {
    const fields = [
      'metadata.name',
      'metadata.namespace',
      'metadata.uid',
      "metadata.labels['app']",
      "metadata.annotations['example.com/Build']",
      'spec.nodeName',
      'spec.serviceAccountName',
      'status.hostIP',
      'status.hostIPs',
      'status.podIP',
      'status.podIPs',
    ];
    const env = fields.map((fieldPath, i) => ({ name: `V${i}`, valueFrom: { fieldRef: { fieldPath } } }));
    assert.deepEqual(errorsFor({ env }), []);
  });

  test('env valueFrom.fieldRef: other fields are refused as Kubernetes refuses them', () => {
    const supported =
      'supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"';
    const at = (i: number) => `${C0}.env[${i}].valueFrom.fieldRef`;
    assert.deepEqual(
      errorsFor({
        env: [
          { name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
          { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } },
          { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.foo' } } },
          { name: 'D', valueFrom: { fieldRef: { fieldPath: "spec.nodeName['x']" } } },
          { name: 'E', valueFrom: { fieldRef: { fieldPath: "metadata.labels['a b']" } } },
          { name: 'F', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } },
        ],
      }),
      [
        `${at(0)}.fieldPath: Unsupported value: "metadata.labels": ${supported}`,
        `${at(1)}.fieldPath: Unsupported value: "status.phase": ${supported}`,
        `${at(2)}.fieldPath: Invalid value: "metadata.foo": error converting fieldPath: field label not supported: metadata.foo`,
        `${at(3)}.fieldPath: Invalid value: "spec.nodeName['x']": error converting fieldPath: field label does not support subscript: spec.nodeName['x']`,
        `${at(4)}: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        `${at(5)}.fieldPath: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2`,
      ],
    );
  });

  test('env valueFrom needs exactly one source, and not together with value', () => {
    const at = (i: number) => `${C0}.env[${i}].valueFrom`;
    assert.deepEqual(
      errorsFor({
        env: [
          { name: 'A', valueFrom: {} },
          { name: 'B', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      }),
      [
        `${at(0)}: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``,
        `${at(1)}: Invalid value: "": may not be specified when \`value\` is not empty`,
      ],
    );
  });

  test('env from ConfigMaps and Secrets is accepted; resources are refused, naming the field', () => {
    const errs = errorsFor({
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'sec', key: 'b' } } },
        { name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
      envFrom: [{ configMapRef: { name: 'cfg' } }],
    });
    assert.deepEqual(errs, [
      `${C0}.env[2].valueFrom.resourceFieldRef: Forbidden: podvisor does not track container resources: set the variable with value instead`,
    ]);
  });

  test('podvisor: a container without command is an error on spec.containers[i].command', () => {
    assert.deepEqual(errorsFor({ command: undefined, image: 'nginx:1.27' }), [
      `${C0}.command: Required value: podvisor runs commands, not images: set command (and args) to the program to run, e.g. command: ["node", "server.js"]`,
    ]);
  });

  test('ephemeral containers cannot be set on create (init containers: init-validation.test.ts)', () => {
    assert.deepEqual(errorsFor({}, { ephemeralContainers: [{ name: 'debug', command: ['sh'] }] }), [
      'spec.ephemeralContainers: Forbidden: cannot be set on create',
    ]);
  });

  test('volumeMounts must name a volume of the pod', () => {
    assert.deepEqual(errorsFor({ volumeMounts: [{ name: 'data', mountPath: '/data' }] }), [
      `${C0}.volumeMounts[0].name: Not found: "data"`,
    ]);
    assert.deepEqual(
      errorsFor({ volumeMounts: [{ name: 'data', mountPath: '/data' }] }, { volumes: [{ name: 'data' }] }),
      [],
    );
  });

  test('§1.2 several errors aggregate into one Pod "<name>" is invalid: [...] message', () => {
    const pod = defaultPod(
      podWith({
        livenessProbe: { httpGet: { port: 8080, scheme: 'FTP' }, successThreshold: 2 },
        readinessProbe: { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: 10 },
      }),
    );
    assert.equal(
      formatInvalid('Pod', 'web', validatePod(pod)),
      'Pod "web" is invalid: [' +
        `${C0}.livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS", ` +
        `${C0}.livenessProbe.successThreshold: Invalid value: 2: must be 1, ` +
        `${C0}.readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes]`,
    );
  });
});
