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
}

export class ProxyStats {
  private readonly byService = new Map<string, ServiceConnectionStats>();

  private entry(service: string): ServiceConnectionStats {
    let s = this.byService.get(service);
    if (!s) this.byService.set(service, (s = { total: {}, active: {}, rejected: 0 }));
    return s;
  }

  opened(service: string, backend: string): void {
    const s = this.entry(service);
    s.total[backend] = (s.total[backend] ?? 0) + 1;
    s.active[backend] = (s.active[backend] ?? 0) + 1;
  }

  closed(service: string, backend: string): void {
    const s = this.entry(service);
    const left = (s.active[backend] ?? 1) - 1;
    if (left > 0) s.active[backend] = left;
    else delete s.active[backend];
  }

  rejected(service: string): void {
    this.entry(service).rejected++;
  }

  /** A copy of one service's counters (`namespace/name`); zeros when it has had no traffic. */
  forService(service: string): ServiceConnectionStats {
    const s = this.byService.get(service);
    return s
      ? { total: { ...s.total }, active: { ...s.active }, rejected: s.rejected }
      : { total: {}, active: {}, rejected: 0 };
  }

  /** Every service's counters. */
  snapshot(): Record<string, ServiceConnectionStats> {
    const out: Record<string, ServiceConnectionStats> = {};
    for (const key of this.byService.keys()) out[key] = this.forService(key);
    return out;
  }
}
