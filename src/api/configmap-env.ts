import type { ConfigMap, Container, EnvVar, Secret } from 'kubernetes-types/core/v1.js';
import { secretValues } from './configmap.js';
import { isEnvVarName } from './name-checks.js';

/**
 * The ConfigMap and Secret parts of the kubelet's makeEnvironmentVariables (pkg/kubelet/
 * kubelet_pods.go): `envFrom` sources and `valueFrom.configMapKeyRef`/`secretKeyRef`, with the
 * kubelet's error texts (a missing mandatory source or key fails the start with
 * CreateContainerConfigError; an optional one is skipped silently).
 */

/** How the kubelet reads ConfigMaps and Secrets (podvisor: straight from the store). */
export interface EnvSourceLookup {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

/** An event the kubelet records on the pod while resolving (InvalidEnvironmentVariableNames). */
export interface EnvEvent {
  type: 'Warning';
  reason: string;
  message: string;
}

export class EnvSourceError extends Error {}

/** Builds a lookup from a store-like getter (the api layer does not know the store). */
export function envSourcesFrom(
  get: (resource: 'configmaps' | 'secrets', namespace: string, name: string) => unknown,
): EnvSourceLookup {
  return {
    configMap: (ns, name) => get('configmaps', ns, name) as ConfigMap | undefined,
    secret: (ns, name) => get('secrets', ns, name) as Secret | undefined,
  };
}

/** Memoises lookups for one container start, as the kubelet's per-call configMaps/secrets maps do. */
class SourceCache {
  private readonly configMaps = new Map<string, ConfigMap | undefined>();
  private readonly secrets = new Map<string, Secret | undefined>();

  constructor(
    private readonly lookup: EnvSourceLookup,
    private readonly namespace: string,
  ) {}

  configMap(name: string): ConfigMap | undefined {
    if (!this.configMaps.has(name)) this.configMaps.set(name, this.lookup.configMap(this.namespace, name));
    return this.configMaps.get(name);
  }

  secret(name: string): Secret | undefined {
    if (!this.secrets.has(name)) this.secrets.set(name, this.lookup.secret(this.namespace, name));
    return this.secrets.get(name);
  }
}

export interface EnvFromResult {
  /** The variables in envFrom order (a later source overrides an earlier one). */
  vars: Record<string, string>;
  events: EnvEvent[];
}

/**
 * envFrom: every key of each source, with the prefix; keys that are not valid variable names
 * are skipped with one InvalidEnvironmentVariableNames event per source. Throws EnvSourceError
 * for a missing mandatory source.
 */
export function resolveEnvFrom(
  container: Container,
  namespace: string,
  lookup: EnvSourceLookup,
  cache = new SourceCache(lookup, namespace),
): EnvFromResult {
  const vars: Record<string, string> = {};
  const events: EnvEvent[] = [];
  for (const source of container.envFrom ?? []) {
    let data: Record<string, string>;
    let kind: 'configMap' | 'secret';
    let name: string;
    if (source.configMapRef) {
      kind = 'configMap';
      name = source.configMapRef.name ?? '';
      const cm = cache.configMap(name);
      if (!cm) {
        if (source.configMapRef.optional === true) continue;
        throw new EnvSourceError(`configmap "${name}" not found`);
      }
      data = cm.data ?? {};
    } else if (source.secretRef) {
      kind = 'secret';
      name = source.secretRef.name ?? '';
      const secret = cache.secret(name);
      if (!secret) {
        if (source.secretRef.optional === true) continue;
        throw new EnvSourceError(`secret "${name}" not found`);
      }
      data = secretValues(secret);
    } else {
      continue;
    }
    const invalidKeys: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      const k = (source.prefix ?? '') + key;
      if (isEnvVarName(k).length > 0) {
        invalidKeys.push(k);
        continue;
      }
      vars[k] = value;
    }
    if (invalidKeys.length > 0) {
      invalidKeys.sort();
      events.push({
        type: 'Warning',
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalidKeys.join(', ')}] from the EnvFrom ${kind} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }
  return { vars, events };
}

/**
 * valueFrom.configMapKeyRef / secretKeyRef: the value, `undefined` for an optional reference
 * whose source or key is missing (the variable is then left out), or EnvSourceError.
 */
export function resolveKeyRef(envVar: EnvVar, namespace: string, cache: SourceCache): string | undefined {
  const cmRef = envVar.valueFrom?.configMapKeyRef;
  if (cmRef) {
    const name = cmRef.name ?? '';
    const optional = cmRef.optional === true;
    const cm = cache.configMap(name);
    if (!cm) {
      if (optional) return undefined;
      throw new EnvSourceError(`configmap "${name}" not found`);
    }
    if (!Object.hasOwn(cm.data ?? {}, cmRef.key)) {
      if (optional) return undefined;
      throw new EnvSourceError(`couldn't find key ${cmRef.key} in ConfigMap ${namespace}/${name}`);
    }
    return cm.data?.[cmRef.key] ?? '';
  }
  const secretRef = envVar.valueFrom?.secretKeyRef;
  if (secretRef) {
    const name = secretRef.name ?? '';
    const optional = secretRef.optional === true;
    const secret = cache.secret(name);
    if (!secret) {
      if (optional) return undefined;
      throw new EnvSourceError(`secret "${name}" not found`);
    }
    const values = secretValues(secret);
    if (!Object.hasOwn(values, secretRef.key)) {
      if (optional) return undefined;
      throw new EnvSourceError(`couldn't find key ${secretRef.key} in Secret ${namespace}/${name}`);
    }
    return values[secretRef.key];
  }
  return undefined;
}

export function sourceCache(lookup: EnvSourceLookup, namespace: string): SourceCache {
  return new SourceCache(lookup, namespace);
}
