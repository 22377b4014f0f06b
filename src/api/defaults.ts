import type {
  Container,
  HTTPGetAction,
  Lifecycle,
  Pod,
  PodSpec,
  Probe,
  Volume,
} from 'kubernetes-types/core/v1.js';

/**
 * The defaults the API server of Kubernetes 1.33 applies to a new Pod (spec §1.1):
 * `pkg/apis/core/v1/defaults.go` (SetDefaults_Pod, _PodSpec, _Container, _Probe, _HTTPGetAction,
 * _Volume, ...), the declarative `+default` markers (port protocol, grpc.service), the v1→internal
 * conversion (negative terminationGracePeriodSeconds becomes 1) and the Priority admission plugin
 * (priority 0, PreemptLowerPriority). Not applied, because podvisor has no such objects: the
 * ServiceAccount plugin (serviceAccountName "default", token volume) and DefaultTolerationSeconds.
 * Returns a new object; the input is not modified.
 */
export function defaultPod(pod: Pod): Pod {
  const out: Pod = structuredClone(pod);
  const meta = (out.metadata ??= {});
  if (!meta.namespace) meta.namespace = 'default';
  const spec = (out.spec ??= { containers: [] });
  defaultPodSpec(spec);
  for (const c of allContainers(spec)) defaultContainer(c, spec);
  return out;
}

function allContainers(spec: PodSpec): Container[] {
  // Ephemeral containers share Container's shape for every defaulted field.
  return [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...((spec.ephemeralContainers ?? []) as Container[]),
  ];
}

function defaultPodSpec(spec: PodSpec): void {
  spec.containers ??= [];
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  // Since 1.27 a negative value is converted to 1 (kubernetes#115606); admission warns about it.
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  else if (spec.terminationGracePeriodSeconds < 0) spec.terminationGracePeriodSeconds = 1;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (!spec.priorityClassName) {
    spec.priority ??= 0;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
  }
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

export const VOLUME_SOURCES = [
  'awsElasticBlockStore',
  'azureDisk',
  'azureFile',
  'cephfs',
  'cinder',
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'fc',
  'flexVolume',
  'flocker',
  'gcePersistentDisk',
  'gitRepo',
  'glusterfs',
  'hostPath',
  'image',
  'iscsi',
  'nfs',
  'persistentVolumeClaim',
  'photonPersistentDisk',
  'portworxVolume',
  'projected',
  'quobyte',
  'rbd',
  'scaleIO',
  'secret',
  'storageos',
  'vsphereVolume',
] as const;

/** 0644, the default file mode of secret, configMap, downwardAPI and projected volumes. */
const DEFAULT_VOLUME_MODE = 420;

function defaultVolume(v: Volume): void {
  const record = v as unknown as Record<string, unknown>;
  if (!VOLUME_SOURCES.some((k) => record[k] !== undefined)) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
    for (const item of v.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
  }
  if (v.projected) v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.hostPath) v.hostPath.type ??= '';
}

function defaultContainer(c: Container, spec: PodSpec): void {
  if (!c.imagePullPolicy && c.image) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const p of c.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    // SetDefaults_Pod: with host networking every container port is also a host port.
    if (spec.hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) {
    const fieldRef = e.valueFrom?.fieldRef;
    if (fieldRef && !fieldRef.apiVersion) fieldRef.apiVersion = 'v1';
  }
  // SetDefaults_Pod: requests default to limits, per resource.
  const res = c.resources;
  if (res?.limits) {
    res.requests ??= {};
    for (const [k, v] of Object.entries(res.limits)) if (!(k in res.requests)) res.requests[k] = v;
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (probe) defaultProbe(probe);
  defaultLifecycle(c.lifecycle);
}

/** SetDefaults_Probe: a field that is 0 or absent gets the default (spec §1.1). */
export function defaultProbe(p: Probe): void {
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  if (p.httpGet) defaultHTTPGet(p.httpGet);
  if (p.grpc) p.grpc.service ??= '';
}

function defaultHTTPGet(h: HTTPGetAction): void {
  if (!h.path) h.path = '/';
  if (!h.scheme) h.scheme = 'HTTP';
}

function defaultLifecycle(l: Lifecycle | undefined): void {
  if (l?.postStart?.httpGet) defaultHTTPGet(l.postStart.httpGet);
  if (l?.preStop?.httpGet) defaultHTTPGet(l.preStop.httpGet);
}

/**
 * SetDefaults_Container via parsers.ParseImageName: `Always` when the tag is `latest` or when there
 * is neither tag nor digest (the tag then defaults to latest); `IfNotPresent` otherwise, including
 * for references that do not parse.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const [nameAndTag = '', digest] = image.split('@', 2);
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const repo = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : '';
  if (!isPlausibleReference(repo, tag)) return 'IfNotPresent';
  if (tag === 'latest') return 'Always';
  if (tag === '' && digest === undefined) return 'Always';
  return 'IfNotPresent';
}

/** A loose form of the docker reference grammar: enough to tell "does not parse" from "parses". */
function isPlausibleReference(repo: string, tag: string): boolean {
  if (repo === '' || /\s/.test(repo)) return false;
  const first = repo.split('/', 1)[0] ?? '';
  const hasDomain =
    repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasDomain ? repo.slice(first.length + 1) : repo;
  if (/[A-Z]/.test(path)) return false;
  return tag === '' || /^[\w][\w.-]{0,127}$/.test(tag);
}
