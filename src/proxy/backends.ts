import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Clock } from '../util/clock.js';

/**
 * One service port's view of its endpoints and the choice of a backend for a new connection:
 * round-robin over Ready endpoints, or the same backend for a client IP while its affinity lasts
 * (kube-proxy's session affinity; the timer restarts with each new connection).
 */

export interface Backend {
  ip: string;
  port: number;
  /** Ready (not terminating): gets new connections. Serving-but-terminating ones only drain. */
  ready: boolean;
  /** `namespace/name` of the pod behind it, when the slice says. */
  pod?: string;
}

export function backendKey(b: Pick<Backend, 'ip' | 'port'>): string {
  return `${b.ip}:${b.port}`;
}

/**
 * The backends of one service port from the service's EndpointSlices: the slice port with the
 * service port's name gives the port number (each slice may resolve a named targetPort
 * differently). An endpoint is Ready unless its conditions say `ready: false` (upstream treats
 * an absent condition as ready).
 */
export function backendsFromSlices(slices: readonly EndpointSlice[], portName: string): Backend[] {
  const out: Backend[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      const ready = ep.conditions?.ready !== false;
      for (const ip of ep.addresses) {
        const b: Backend = { ip, port, ready };
        if (ep.targetRef?.name) b.pod = `${ep.targetRef.namespace ?? ''}/${ep.targetRef.name}`;
        const key = backendKey(b);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(b);
      }
    }
  }
  return out.sort((a, b) => (backendKey(a) < backendKey(b) ? -1 : 1));
}

export interface AffinityConfig {
  /** `ClientIP` affinity timeout in ms; undefined for `None`. */
  timeoutMs?: number;
}

interface Stick {
  backend: string;
  lastUsed: number;
}

export class BackendPicker {
  private backends: Backend[] = [];
  private next = 0;
  private readonly sticky = new Map<string, Stick>();

  constructor(
    private readonly clock: Clock,
    private affinity: AffinityConfig = {},
  ) {}

  setBackends(backends: Backend[]): void {
    this.backends = backends;
  }

  setAffinity(affinity: AffinityConfig): void {
    this.affinity = affinity;
    if (affinity.timeoutMs === undefined) this.sticky.clear();
  }

  readyBackends(): Backend[] {
    return this.backends.filter((b) => b.ready);
  }

  /** The backend for a new connection from `clientIP`, skipping `exclude`; undefined: none is Ready. */
  pick(clientIP: string, exclude: ReadonlySet<string> = new Set()): Backend | undefined {
    const ready = this.readyBackends().filter((b) => !exclude.has(backendKey(b)));
    if (ready.length === 0) return undefined;
    const now = this.clock.now();
    const timeout = this.affinity.timeoutMs;
    if (timeout !== undefined) {
      const stick = this.sticky.get(clientIP);
      if (stick && now - stick.lastUsed < timeout) {
        const same = ready.find((b) => backendKey(b) === stick.backend);
        if (same) {
          stick.lastUsed = now;
          return same;
        }
      }
    }
    const chosen = ready[this.next % ready.length] as Backend;
    this.next = (this.next + 1) % Math.max(1, ready.length);
    if (timeout !== undefined) {
      this.sticky.set(clientIP, { backend: backendKey(chosen), lastUsed: now });
      this.expireSticks(now, timeout);
    }
    return chosen;
  }

  private expireSticks(now: number, timeout: number): void {
    for (const [ip, s] of this.sticky) if (now - s.lastUsed >= timeout) this.sticky.delete(ip);
  }
}
