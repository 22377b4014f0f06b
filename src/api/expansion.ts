import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import { goQuote } from '../util/goquote.js';
import {
  EnvSourceError,
  resolveEnvFrom,
  resolveKeyRef,
  sourceCache,
  type EnvEvent,
  type EnvSourceLookup,
} from './configmap-env.js';
import { convertDownwardAPIFieldLabel, splitSubscriptedPath } from './validation-env.js';

/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion/expand.go): `$(VAR)` becomes
 * the mapped value when VAR is defined and stays as written when it is not; `$$` is an escaped `$`
 * (so `$$(VAR)` gives `$(VAR)`); an unterminated `$(` and a `$` before anything else stay literal.
 */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    const { text, isVar, advance } = readVariableName(rest);
    out += isVar ? (mapping(text) ?? `$(${text})`) : text;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function readVariableName(input: string): { text: string; isVar: boolean; advance: number } {
  if (input[0] === '$') return { text: '$', isVar: false, advance: 1 };
  if (input[0] === '(') {
    const close = input.indexOf(')', 1);
    if (close >= 0) return { text: input.slice(1, close), isVar: true, advance: close + 1 };
    // Incomplete reference: keep "$(" and go on scanning after it.
    return { text: '$(', isVar: false, advance: 1 };
  }
  return { text: '$' + (input[0] ?? ''), isVar: false, advance: 1 };
}

/** ExpandContainerCommandAndArgs: the argv to spawn, `command` followed by `args`. */
export function expandArgv(command: string[], args: string[], env: Record<string, string>): string[] {
  const mapping = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);
  return [...command, ...args].map((s) => expand(s, mapping));
}

/**
 * ExpandContainerCommandOnlyStatic, used for exec probe commands (spec §3.0): only the container's
 * own `env` list is consulted, with each entry's literal `value` (a `valueFrom` entry maps to "").
 */
export function expandCommandOnlyStatic(command: string[], env: EnvVar[] | undefined): string[] {
  const map: Record<string, string> = {};
  for (const e of env ?? []) map[e.name] = e.value ?? '';
  return command.map((s) => expand(s, (name) => (Object.hasOwn(map, name) ? map[name] : undefined)));
}

export interface EnvironmentContext {
  podIP: string;
  hostIP: string;
  nodeName: string;
  podDir: string;
  /** The node's own variables (PATH, HOME, ...), chosen by the caller. */
  baseEnv: Record<string, string>;
  /** Where ConfigMaps and Secrets are read from; without it `envFrom`/key refs are an error. */
  envSources?: EnvSourceLookup;
}

export interface PodEnvironment {
  env: Record<string, string>;
  errors: string[];
  /**
   * The variables `$(VAR)` in command and args may use: POD_DIR, TMPDIR and the container's env.
   * The base environment is left out, as Kubernetes leaves out the image's environment.
   */
  expansionEnv: Record<string, string>;
  /** Events the kubelet records on the pod meanwhile (InvalidEnvironmentVariableNames). */
  events: EnvEvent[];
}

/**
 * The kubelet's makeEnvironmentVariables for a process: the base environment, then TMPDIR and
 * POD_DIR (the pod's directory), then the container's `env` in order. A `value` is `$(VAR)`-expanded
 * against the variables defined before it (podvisor's POD_DIR/TMPDIR and earlier `env` entries);
 * `valueFrom.fieldRef` resolves the downward API.
 */
export function podEnvironment(pod: Pod, container: Container, ctx: EnvironmentContext): PodEnvironment {
  const expansionEnv: Record<string, string> = { TMPDIR: ctx.podDir, POD_DIR: ctx.podDir };
  const env: Record<string, string> = { ...ctx.baseEnv, ...expansionEnv };
  const errors: string[] = [];
  const events: EnvEvent[] = [];
  const mapping = (name: string): string | undefined =>
    Object.hasOwn(expansionEnv, name) ? expansionEnv[name] : undefined;
  const namespace = pod.metadata?.namespace ?? 'default';
  const lookup = ctx.envSources;
  const cache = lookup ? sourceCache(lookup, namespace) : undefined;
  // envFrom comes first; `env` entries override it and may `$(VAR)`-expand its variables.
  if (lookup && cache && (container.envFrom?.length ?? 0) > 0) {
    try {
      const from = resolveEnvFrom(container, namespace, lookup, cache);
      events.push(...from.events);
      Object.assign(expansionEnv, from.vars);
      Object.assign(env, from.vars);
    } catch (err) {
      if (!(err instanceof EnvSourceError)) throw err;
      return { env, errors: [err.message], expansionEnv, events };
    }
  } else if ((container.envFrom?.length ?? 0) > 0) {
    errors.push('envFrom: podvisor has no ConfigMap/Secret source here');
  }
  for (const e of container.env ?? []) {
    let value = e.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (e.valueFrom?.fieldRef) {
      const resolved = downwardAPIValue(
        pod,
        e.valueFrom.fieldRef.apiVersion ?? 'v1',
        e.valueFrom.fieldRef.fieldPath,
        ctx,
      );
      if (resolved.error !== undefined) errors.push(`env ${goQuote(e.name)}: ${resolved.error}`);
      value = resolved.value ?? '';
    } else if (cache && (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef)) {
      try {
        const resolved = resolveKeyRef(e, namespace, cache);
        // An optional reference whose source or key is missing leaves the variable out.
        if (resolved === undefined) continue;
        value = resolved;
      } catch (err) {
        if (!(err instanceof EnvSourceError)) throw err;
        return { env, errors: [err.message], expansionEnv, events };
      }
    } else if (e.valueFrom) {
      errors.push(`env ${goQuote(e.name)}: podvisor can only resolve valueFrom.fieldRef (the downward API)`);
    }
    expansionEnv[e.name] = value;
    env[e.name] = value;
  }
  return { env, errors, expansionEnv, events };
}

/** fieldpath.FormatMap: `key="value"` lines, sorted by key, values Go-quoted. */
export function formatDownwardAPIMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m?.[k] ?? '')}`)
    .join('\n');
}

/** The kubelet's podFieldSelectorRuntimeValue + fieldpath.ExtractFieldPathAsString. */
export function downwardAPIValue(
  pod: Pod,
  apiVersion: string,
  fieldPath: string,
  ctx: Pick<EnvironmentContext, 'podIP' | 'hostIP' | 'nodeName'>,
): { value?: string; error?: string } {
  const converted = convertDownwardAPIFieldLabel(apiVersion, fieldPath);
  if (converted.path === undefined)
    return { error: converted.error ?? `unsupported fieldPath: ${fieldPath}` };
  const meta = pod.metadata ?? {};
  const { path, subscript } = splitSubscriptedPath(converted.path);
  if (subscript !== undefined) {
    const map = path === 'metadata.labels' ? meta.labels : meta.annotations;
    return { value: map?.[subscript] ?? '' };
  }
  switch (path) {
    case 'spec.nodeName':
      return { value: pod.spec?.nodeName || ctx.nodeName };
    case 'spec.serviceAccountName':
      return { value: pod.spec?.serviceAccountName ?? '' };
    case 'status.hostIP':
    case 'status.hostIPs':
      return { value: ctx.hostIP };
    case 'status.podIP':
    case 'status.podIPs':
      return { value: ctx.podIP };
    case 'metadata.annotations':
      return { value: formatDownwardAPIMap(meta.annotations) };
    case 'metadata.labels':
      return { value: formatDownwardAPIMap(meta.labels) };
    case 'metadata.name':
      return { value: meta.name ?? '' };
    case 'metadata.namespace':
      return { value: meta.namespace ?? '' };
    case 'metadata.uid':
      return { value: meta.uid ?? '' };
    default:
      return { error: `unsupported fieldPath: ${path}` };
  }
}
