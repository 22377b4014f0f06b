import type { Service, ServicePort, ServiceSpec } from 'kubernetes-types/core/v1.js';
import type { FieldError } from './field-errors.js';
import { duplicate, forbidden, invalid, notSupported, required } from './field-errors.js';
import { isDNS1123Label, isValidPortName, isValidPortNum } from './name-checks.js';
import type { KubeObject } from './types.js';
import { decodeAs } from './decode.js';
import { goQuote } from '../util/goquote.js';
import { validateLabels, validateObjectMeta } from './validation.js';

/**
 * core/v1 Service: defaults (pkg/apis/core/v1/defaults.go SetDefaults_Service) and validation
 * (pkg/apis/core/validation ValidateService / ValidateServiceUpdate) for the types podvisor
 * runs: ClusterIP and NodePort (LoadBalancer behaves as NodePort, with a warning).
 * Address allocation is the server's (src/server/services.ts), as in the apiserver's REST layer.
 */

export type StoredService = Service & KubeObject;

/** DefaultClientIPServiceAffinitySeconds: 3 hours. */
export const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;
/** MaxClientIPServiceAffinitySeconds: 1 day. */
export const MAX_CLIENT_IP_TIMEOUT_SECONDS = 86400;

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export interface ServiceAdmission {
  service?: StoredService;
  errors: FieldError[];
  warnings: string[];
  /** Fields that are not part of a Service (also in `warnings`), for `fieldValidation=Strict`. */
  unknownFields?: string[];
}

/** Defaults in place and returns the service. */
export function defaultService(svc: StoredService): StoredService {
  (svc.metadata ??= {} as StoredService['metadata']).namespace ??= 'default';
  const spec: ServiceSpec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = (spec.sessionAffinityConfig ??= {});
    const clientIP = (cfg.clientIP ??= {});
    clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_TIMEOUT_SECONDS;
  }
  if (spec.type !== 'ExternalName') {
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    // targetPort defaults to port (SetDefaults_Service).
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '')
      port.targetPort = port.port;
  }
  return svc;
}

function validatePort(port: ServicePort, i: number, spec: ServiceSpec, names: Set<string>): FieldError[] {
  const p = `spec.ports[${i}]`;
  const errs: FieldError[] = [];
  const multi = (spec.ports?.length ?? 0) > 1;
  if (multi && !port.name) errs.push(required(`${p}.name`));
  else if (port.name) {
    errs.push(...isDNS1123Label(port.name).map((m) => invalid(`${p}.name`, port.name, m)));
    if (names.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
    names.add(port.name);
  }
  if (typeof port.port !== 'number') errs.push(required(`${p}.port`));
  else errs.push(...isValidPortNum(port.port).map((m) => invalid(`${p}.port`, port.port, m)));
  if (!port.protocol) errs.push(required(`${p}.protocol`));
  else if (!PROTOCOLS.includes(port.protocol))
    errs.push(notSupported(`${p}.protocol`, port.protocol, PROTOCOLS));
  const target = port.targetPort;
  if (typeof target === 'number') {
    errs.push(...isValidPortNum(target).map((m) => invalid(`${p}.targetPort`, target, m)));
  } else if (typeof target === 'string') {
    errs.push(...isValidPortName(target).map((m) => invalid(`${p}.targetPort`, target, m)));
  }
  if (port.nodePort !== undefined && port.nodePort !== 0) {
    if (spec.type === 'ClusterIP')
      errs.push(forbidden(`${p}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
    else errs.push(...isValidPortNum(port.nodePort).map((m) => invalid(`${p}.nodePort`, port.nodePort, m)));
  }
  return errs;
}

export function validateService(svc: StoredService): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, 'metadata');
  // Service names are DNS labels (they become DNS names).
  if (svc.metadata.name && !svc.metadata.generateName) {
    const labelErrs = isDNS1123Label(svc.metadata.name);
    if (labelErrs.length > 0 && !errs.some((e) => e.field === 'metadata.name'))
      errs.push(...labelErrs.map((m) => invalid('metadata.name', svc.metadata.name, m)));
  }
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ExternalName') {
    if (!spec.externalName) errs.push(required('spec.externalName'));
  } else if ((spec.ports ?? []).length === 0 && spec.clusterIP !== 'None') {
    errs.push(required('spec.ports'));
  }
  const names = new Set<string>();
  (spec.ports ?? []).forEach((port, i) => errs.push(...validatePort(port, i, spec, names)));
  const seen = new Set<string>();
  (spec.ports ?? []).forEach((port, i) => {
    const key = `${port.port}/${port.protocol}`;
    if (seen.has(key)) errs.push(duplicate(`spec.ports[${i}]`, `${port.port}/${port.protocol}`));
    seen.add(key);
  });
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = spec.sessionAffinity ?? 'None';
  if (!AFFINITIES.includes(affinity)) errs.push(notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  if (affinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined || t <= 0 || t > MAX_CLIENT_IP_TIMEOUT_SECONDS) {
      errs.push(
        invalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          t ?? 0,
          `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT_SECONDS}`,
        ),
      );
    }
  } else if (spec.sessionAffinityConfig) {
    errs.push(
      forbidden('spec.sessionAffinityConfig', `must not be set when session affinity is ${affinity}`),
    );
  }
  if (spec.clusterIP && spec.clusterIP !== 'None' && !/^127\.\d+\.\d+\.\d+$/.test(spec.clusterIP)) {
    errs.push(
      invalid(
        'spec.clusterIPs[0]',
        spec.clusterIP,
        'podvisor serves cluster IPs from its loopback range 127.96.0.0/16: leave clusterIP empty to have one allocated',
      ),
    );
  }
  return errs;
}

/** ValidateServiceUpdate: the allocated addresses may not change once set. */
export function validateServiceUpdate(next: StoredService, existing: StoredService): FieldError[] {
  const errs: FieldError[] = [];
  const before = existing.spec?.clusterIP;
  const after = next.spec?.clusterIP;
  if (before && before !== after)
    errs.push(invalid('spec.clusterIPs[0]', after ?? '', 'may not change once set'));
  return errs;
}

export function serviceWarnings(svc: StoredService): string[] {
  const warnings: string[] = [];
  const spec = svc.spec ?? {};
  if (spec.type === 'LoadBalancer')
    warnings.push(
      'spec.type: podvisor has no load balancers: this LoadBalancer service is served as a NodePort',
    );
  if (spec.type === 'ExternalName')
    warnings.push('spec.type: podvisor has no cluster DNS: an ExternalName service is stored but not served');
  (spec.ports ?? []).forEach((port, i) => {
    if (port.protocol && port.protocol !== 'TCP')
      warnings.push(
        `spec.ports[${i}].protocol: podvisor proxies TCP only: port ${port.port}/${port.protocol} is not served`,
      );
  });
  return warnings;
}

/**
 * Decodes, defaults, validates and warns: what the API server and manifest loading run on a
 * Service. Decoding first turns a wrong type anywhere (`spec: "x"`, `ports: [8080]`) into a field
 * error, and reports unknown fields, as for a Pod.
 */
export function admitService(obj: unknown): ServiceAdmission {
  const decoded = decodeAs('Service', obj);
  const unknownFields = decoded.unknownFields;
  const warnings = unknownFields.map((f) => `unknown field ${goQuote(f)}`);
  if (decoded.errors.length > 0) return { errors: decoded.errors, warnings, unknownFields };
  const svc = defaultService(decoded.value as StoredService);
  const errors = validateService(svc);
  if (errors.length > 0) return { errors, warnings, unknownFields };
  return { service: svc, errors, warnings: [...warnings, ...serviceWarnings(svc)], unknownFields };
}
