/**
 * In-memory connection counters of the service proxy (for tests and the dashboard): per
 * service, connections forwarded to each backend (`ip:port`), those still open, and connections
 * rejected because no endpoint was Ready.
 */

export interface ServiceConnectionStats {
  /** Connections forwarded since start, by backend `ip:port`. */
  total: Record<string, number>;
  /** Connections open now, by backend. */
  active: Record<string, number>;
  rejected: number;
  /** The same rejections by the service port's name ("" for an unnamed port). */
  rejectedByPort: Record<string, number>;
}

/** Told the service (`namespace/name`) whose counters just changed. */
export type StatsListener = (service: string) => void;

export class ProxyStats {
  private readonly byService = new Map<string, ServiceConnectionStats>();
  private readonly listeners = new Set<StatsListener>();

  /**
   * Calls `listener` after every counter change until the returned function is called (the
   * servicetraffics watch bumps a version; it reads the counters only when a watcher wants them).
   */
  onChange(listener: StatsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(service: string): void {
    for (const listener of this.listeners) listener(service);
  }

  private entry(service: string): ServiceConnectionStats {
    let s = this.byService.get(service);
    if (!s) this.byService.set(service, (s = { total: {}, active: {}, rejected: 0, rejectedByPort: {} }));
    return s;
  }

  opened(service: string, backend: string): void {
    const s = this.entry(service);
    s.total[backend] = (s.total[backend] ?? 0) + 1;
    s.active[backend] = (s.active[backend] ?? 0) + 1;
    this.changed(service);
  }

  closed(service: string, backend: string): void {
    const s = this.entry(service);
    const left = (s.active[backend] ?? 1) - 1;
    if (left > 0) s.active[backend] = left;
    else delete s.active[backend];
    this.changed(service);
  }

  rejected(service: string, portName = ''): void {
    const s = this.entry(service);
    s.rejected++;
    s.rejectedByPort[portName] = (s.rejectedByPort[portName] ?? 0) + 1;
    this.changed(service);
  }

  /** A copy of one service's counters (`namespace/name`); zeros when it has had no traffic. */
  forService(service: string): ServiceConnectionStats {
    const s = this.byService.get(service);
    return s
      ? {
          total: { ...s.total },
          active: { ...s.active },
          rejected: s.rejected,
          rejectedByPort: { ...s.rejectedByPort },
        }
      : { total: {}, active: {}, rejected: 0, rejectedByPort: {} };
  }

  /** Every service's counters. */
  snapshot(): Record<string, ServiceConnectionStats> {
    const out: Record<string, ServiceConnectionStats> = {};
    for (const key of this.byService.keys()) out[key] = this.forService(key);
    return out;
  }
}
