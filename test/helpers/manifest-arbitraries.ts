import fc from 'fast-check';

/**
 * fast-check arbitraries for Kubernetes manifests podvisor admits (Pod, Deployment, Service) and
 * mutators that break them the ways people do: a dropped required field, a wrong type at any
 * level, an out-of-range number, an invalid name, an unknown field, a duplicated entry.
 * Valid documents follow Kubernetes' validation (and podvisor's: a container needs a command), so
 * a generated document that is refused is a podvisor bug, not a generator slip.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
/** A path into a document: keys and list indexes, e.g. ['spec', 'containers', 0, 'name']. */
export type DocPath = (string | number)[];

const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,12}[a-z0-9])?$/);
const dnsSubdomain = fc
  .array(dnsLabel, { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('.'))
  .filter((s) => s.length <= 253);
/** IANA_SVC_NAME: up to 15 characters, a letter somewhere, no `--`, no leading/trailing `-`. */
const portName = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6})?$/);
const labelKey = fc.oneof(
  fc.stringMatching(/^[a-z]([a-z0-9_.-]{0,10}[a-z0-9])?$/),
  fc.tuple(dnsSubdomain, dnsLabel).map(([p, n]) => `${p}/${n}`),
);
const labelValue = fc.stringMatching(/^([A-Za-z0-9]([A-Za-z0-9_.-]{0,10}[A-Za-z0-9])?)?$/);
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 3 });
const portNumber = fc.integer({ min: 1, max: 65535 });
const envName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,10}$/);
const anyText = fc.string({ maxLength: 20 });

/** podvisor.io knobs with values admission accepts, plus ordinary annotations. */
const podAnnotations: fc.Arbitrary<JsonObject> = fc
  .record(
    {
      'podvisor.io/liveness-action': fc.constantFrom('restart', 'report'),
      'podvisor.io/probe-events': fc.constantFrom('default', 'verbose'),
      'podvisor.io/crashloop-backoff': fc.constantFrom('initial=1s,max=60s,reset=2m', 'max=5m', 'reset=30s'),
      'podvisor.io/probes-paused-until': fc.constantFrom('2026-11-21T10:00:00Z', '2030-01-01T00:00:00+02:00'),
      'example.com/note': anyText,
    },
    { requiredKeys: [] },
  )
  .map((r) => r as JsonObject);

const workloadAnnotations: fc.Arbitrary<JsonObject> = fc
  .record(
    {
      'podvisor.io/liveness-restart-budget': fc.integer({ min: 1, max: 99 }).map(String),
      'example.com/owner': anyText,
    },
    { requiredKeys: [] },
  )
  .map((r) => r as JsonObject);

function metadata(
  name: fc.Arbitrary<string>,
  annotations: fc.Arbitrary<JsonObject>,
): fc.Arbitrary<JsonObject> {
  return fc.record(
    {
      name,
      namespace: fc.constantFrom('default', 'team-a'),
      labels,
      annotations,
    },
    { requiredKeys: ['name'] },
  );
}

interface PortSpec {
  name?: string;
  containerPort: number;
}

const containerPorts: fc.Arbitrary<JsonObject[]> = fc
  .uniqueArray(
    fc.record({ name: portName, containerPort: portNumber }, { requiredKeys: ['containerPort'] }),
    {
      maxLength: 3,
      selector: (p: PortSpec) => p.name ?? `#${p.containerPort}`,
    },
  )
  .chain((ports) =>
    fc.tuple(
      ...ports.map((p) =>
        fc
          .record({ protocol: fc.constantFrom('TCP', 'UDP') }, { requiredKeys: [] })
          .map((extra) => ({ ...p, ...extra }) as JsonObject),
      ),
    ),
  );

/** A probe port: a number, or a valid port name (Kubernetes does not require it to exist). */
function probePort(ports: JsonObject[]): fc.Arbitrary<number | string> {
  const named = ports.map((p) => p.name).filter((n): n is string => typeof n === 'string');
  return fc.oneof(portNumber, named.length > 0 ? fc.constantFrom(...named) : portName);
}

function probeHandler(ports: JsonObject[]): fc.Arbitrary<JsonObject> {
  return fc.oneof(
    fc.record({ exec: fc.record({ command: fc.array(anyText, { minLength: 1, maxLength: 3 }) }) }),
    fc.record({
      httpGet: fc.record(
        {
          path: fc.constantFrom('/', '/healthz', '/ready?x=1'),
          port: probePort(ports),
          scheme: fc.constantFrom('HTTP', 'HTTPS'),
          host: fc.constantFrom('127.0.0.1', 'localhost'),
          httpHeaders: fc.array(fc.record({ name: fc.constantFrom('X-Probe', 'Accept'), value: anyText }), {
            maxLength: 2,
          }),
        },
        { requiredKeys: ['port'] },
      ),
    }),
    fc.record({ tcpSocket: fc.record({ port: probePort(ports) }) }),
    fc.record({
      grpc: fc.record(
        { port: portNumber, service: fc.constantFrom('', 'health') },
        { requiredKeys: ['port'] },
      ),
    }),
  );
}

type ProbeRole = 'liveness' | 'readiness' | 'startup';

function probe(ports: JsonObject[], role: ProbeRole): fc.Arbitrary<JsonObject> {
  const timing = fc.record(
    {
      initialDelaySeconds: fc.integer({ min: 0, max: 60 }),
      periodSeconds: fc.integer({ min: 1, max: 60 }),
      timeoutSeconds: fc.integer({ min: 1, max: 30 }),
      failureThreshold: fc.integer({ min: 1, max: 10 }),
      // Liveness and startup probes must have successThreshold 1 (validateLivenessProbe).
      successThreshold: role === 'readiness' ? fc.integer({ min: 1, max: 5 }) : fc.constant(1),
      ...(role === 'readiness' ? {} : { terminationGracePeriodSeconds: fc.integer({ min: 1, max: 120 }) }),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(probeHandler(ports), timing).map(([h, t]) => ({ ...h, ...t }) as JsonObject);
}

const resources: fc.Arbitrary<JsonObject> = fc.record(
  {
    requests: fc.record({ cpu: fc.constantFrom('100m', 1, '0.5'), memory: fc.constantFrom('64Mi', '1Gi') }),
    limits: fc.record({ cpu: fc.constantFrom('2', 2), memory: fc.constantFrom('2Gi') }),
  },
  { requiredKeys: [] },
);

const env: fc.Arbitrary<JsonObject[]> = fc.array(
  fc.oneof(
    fc.record({ name: envName, value: fc.oneof(anyText, fc.constant('$(HOME)/x')) }),
    fc.record({
      name: envName,
      valueFrom: fc.record({
        fieldRef: fc.record({
          fieldPath: fc.constantFrom('metadata.name', 'status.podIP', "metadata.labels['app']"),
        }),
      }),
    }),
  ),
  { maxLength: 3 },
);

/** A container; `role` 'sidecar' is an init container with restartPolicy Always (spec §4.7). */
function container(name: string, role: 'main' | 'init' | 'sidecar'): fc.Arbitrary<JsonObject> {
  return containerPorts.chain((ports) =>
    fc
      .record(
        {
          image: fc.constantFrom('nginx:1.27', 'busybox'),
          command: fc.array(
            anyText.filter((s) => s !== ''),
            { minLength: 1, maxLength: 3 },
          ),
          args: fc.array(anyText, { maxLength: 3 }),
          workingDir: fc.constantFrom('/tmp', '/'),
          env,
          resources,
          imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent', 'Never'),
          livenessProbe: probe(ports, 'liveness'),
          readinessProbe: probe(ports, 'readiness'),
          startupProbe: probe(ports, 'startup'),
          lifecycle: fc.record({
            preStop: fc.record({ sleep: fc.record({ seconds: fc.integer({ min: 0, max: 5 }) }) }),
          }),
        },
        { requiredKeys: ['command'] },
      )
      .map((c) => {
        const out: JsonObject = { name, ...c };
        if (ports.length > 0) out.ports = ports;
        if (role === 'init') {
          // Plain init containers may not have probes or lifecycle hooks.
          for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']) delete out[k];
        }
        if (role === 'sidecar') out.restartPolicy = 'Always';
        return out;
      }),
  );
}

/** A pod spec whose container names are unique across init and regular containers. */
export function podSpecArb(restartPolicies: readonly string[]): fc.Arbitrary<JsonObject> {
  return fc
    .uniqueArray(dnsLabel, { minLength: 1, maxLength: 4 })
    .chain((names) => {
      const [first, ...rest] = names as [string, ...string[]];
      const initCount = Math.min(rest.length, 1);
      const mains = [first, ...rest.slice(initCount)].map((n) => container(n, 'main'));
      const inits = rest
        .slice(0, initCount)
        .map((n) => fc.constantFrom<'init' | 'sidecar'>('init', 'sidecar').chain((r) => container(n, r)));
      return fc.record(
        {
          containers: fc.tuple(...mains),
          initContainers: fc.tuple(...inits),
          restartPolicy: fc.constantFrom(...restartPolicies),
          // At least 5 so preStop sleeps (≤ 5 s) fit inside the grace period.
          terminationGracePeriodSeconds: fc.integer({ min: 5, max: 120 }),
          hostname: dnsLabel,
          nodeSelector: labels,
          enableServiceLinks: fc.boolean(),
        },
        { requiredKeys: ['containers'] },
      );
    })
    .map((s) => {
      const spec = { ...s } as JsonObject;
      if (Array.isArray(spec.initContainers) && spec.initContainers.length === 0) delete spec.initContainers;
      return spec;
    });
}

export const podArb: fc.Arbitrary<JsonObject> = fc
  .record({
    metadata: metadata(dnsSubdomain, podAnnotations),
    spec: podSpecArb(['Always', 'OnFailure', 'Never']),
  })
  .map(({ metadata: m, spec }) => ({ apiVersion: 'v1', kind: 'Pod', metadata: m, spec }));

const intOrPercent = fc.oneof(
  fc.integer({ min: 0, max: 10 }),
  fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
);

const strategy: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constant({ type: 'Recreate' }),
  fc
    .record({ maxSurge: intOrPercent, maxUnavailable: intOrPercent }, { requiredKeys: [] })
    .filter((ru) => !(isZero(ru.maxSurge ?? '25%') && isZero(ru.maxUnavailable ?? '25%')))
    .map((ru) => ({ type: 'RollingUpdate', rollingUpdate: ru as JsonObject })),
);

function isZero(v: number | string): boolean {
  return v === 0 || v === '0%';
}

export const deploymentArb: fc.Arbitrary<JsonObject> = fc
  .record({
    metadata: metadata(dnsSubdomain, workloadAnnotations),
    selectorLabels: fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 2 }),
    extraLabels: labels,
    templateAnnotations: podAnnotations,
    spec: podSpecArb(['Always']),
    fields: fc.record(
      {
        replicas: fc.integer({ min: 0, max: 5 }),
        minReadySeconds: fc.integer({ min: 0, max: 10 }),
        revisionHistoryLimit: fc.integer({ min: 0, max: 10 }),
        progressDeadlineSeconds: fc.integer({ min: 11, max: 900 }),
        strategy,
        paused: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ metadata: m, selectorLabels, extraLabels, templateAnnotations, spec, fields }) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: m,
    spec: {
      ...(fields as JsonObject),
      selector: { matchLabels: selectorLabels },
      template: {
        metadata: { labels: { ...extraLabels, ...selectorLabels }, annotations: templateAnnotations },
        spec,
      },
    },
  }));

const servicePorts = (type: string): fc.Arbitrary<JsonObject[]> =>
  fc
    .uniqueArray(fc.record({ name: portName, port: portNumber, protocol: fc.constantFrom('TCP', 'UDP') }), {
      minLength: 1,
      maxLength: 3,
      selector: (p) => p.name,
    })
    .filter((ps) => new Set(ps.map((p) => `${p.port}/${p.protocol}`)).size === ps.length)
    .chain((ps) =>
      fc.tuple(
        ...ps.map((p) =>
          fc
            .record(
              {
                targetPort: fc.oneof(portNumber, portName),
                ...(type === 'ClusterIP' ? {} : { nodePort: fc.integer({ min: 30000, max: 32767 }) }),
              },
              { requiredKeys: [] },
            )
            // A single port may go unnamed.
            .map((extra) => {
              const port: JsonObject = { ...p, ...extra };
              if (ps.length === 1 && p.port % 2 === 0) delete port.name;
              return port;
            }),
        ),
      ),
    );

export const serviceArb: fc.Arbitrary<JsonObject> = fc
  .constantFrom('ClusterIP', 'NodePort', 'LoadBalancer')
  .chain((type) =>
    fc.record({
      metadata: metadata(dnsLabel, fc.constant({})),
      type: fc.constant(type),
      ports: servicePorts(type),
      selector: labels,
      affinity: fc.oneof(
        fc.constant<JsonObject>({}),
        fc.constant<JsonObject>({ sessionAffinity: 'None' }),
        fc.integer({ min: 1, max: 86400 }).map((t) => ({
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: t } },
        })),
      ),
    }),
  )
  .map(({ metadata: m, type, ports, selector, affinity }) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: m,
    spec: { type, ports, selector, ...affinity },
  }));

/** Any of the three kinds, valid. */
export const manifestArb: fc.Arbitrary<JsonObject> = fc.oneof(podArb, deploymentArb, serviceArb);
