/**
 * Building blocks for e2e pods: unique names and markers, free ports, the example apps as
 * commands, and the readiness/restart predicates the upstream e2e framework uses (spec 0.1).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import type { Container, ContainerStatus, EnvVar, Pod, PodSpec } from '../../src/api/types.js';
import { APPS_DIR } from './paths.js';

/** Env var carrying the test marker into every container (and so into all of its children). */
export const MARKER_ENV = 'PODVISOR_E2E_MARKER';

/** `<prefix>-<6 hex>`: a DNS-1123 pod name unique to this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** A marker string for process scans: unlikely to appear anywhere by chance. */
export function newMarker(label: string): string {
  return `pv-e2e-${label}-${randomBytes(6).toString('hex')}`;
}

/** Ports the OS reports free right now (all distinct: every socket stays open until all are known). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/** `["node", "<checkout>/examples/apps/<app>.mjs", ...args]`: absolute, so any working dir works. */
export function appCommand(app: string, ...args: string[]): string[] {
  return ['node', join(APPS_DIR, `${app}.mjs`), ...args];
}

/** The downward-API env that makes an app bind the pod's own IP. */
export const POD_IP_ENV: EnvVar = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };

/**
 * A Pod whose every container carries the marker in its env (MARKER_ENV) and, for apps that
 * ignore unknown flags, nowhere else. Scripts may add it to their own argv as a comment.
 */
export function markedPod(name: string, marker: string, spec: PodSpec): Pod {
  const mark = (c: Container): Container => ({
    ...c,
    env: [...(c.env ?? []), { name: MARKER_ENV, value: marker }],
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { 'e2e-run': marker.slice(-12) } },
    spec: {
      ...spec,
      containers: spec.containers.map(mark),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(mark) } : {}),
    },
  };
}

/** `sh -c '<script>' <marker>`: the marker lands in the shell's argv ($0) without changing the script. */
export function shCommand(script: string, marker: string): string[] {
  return ['sh', '-c', script, marker];
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** testutils.PodRunningReady: phase Running and the Ready condition True. */
export function isPodRunningReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** getRestartCount: the sum over init and regular containers. */
export function totalRestarts(pod: Pod): number {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return all.reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
}

export function containerStatus(pod: Pod, name?: string): ContainerStatus | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  return name === undefined ? statuses[0] : statuses.find((c) => c.name === name);
}

/** Seconds since the epoch of an RFC 3339 timestamp (one-second resolution, as the API gives). */
export function epochSeconds(timestamp: string | undefined): number {
  if (timestamp === undefined) throw new Error('timestamp missing');
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${timestamp}`);
  return ms / 1000;
}

/** One line about a pod's phase, readiness and containers, for failure messages. */
export function summarizePod(pod: Pod | undefined): string {
  if (!pod) return '(never seen)';
  const st = pod.status ?? {};
  const ready = st.conditions?.find((c) => c.type === 'Ready')?.status ?? '?';
  const containers = (st.containerStatuses ?? []).map((c) => {
    const state = c.state?.running
      ? 'running'
      : c.state?.waiting
        ? `waiting(${c.state.waiting.reason ?? ''})`
        : c.state?.terminated
          ? `terminated(${c.state.terminated.exitCode}/${c.state.terminated.reason ?? ''})`
          : 'unknown';
    return `${c.name}: ${state} ready=${c.ready} started=${String(c.started)} restarts=${c.restartCount}`;
  });
  const deleting = pod.metadata?.deletionTimestamp ? ' deleting' : '';
  return `phase=${st.phase ?? '?'} Ready=${ready}${deleting} [${containers.join('; ')}]`;
}
