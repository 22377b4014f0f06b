import type { Clock, Timer } from '../util/clock.js';
import type { ObjectStore, Watch } from './types.js';

export interface EventRetentionOptions {
  /** The apiserver's --event-ttl: an Event lives this long after its last write. Default 1 h. */
  ttlMs?: number;
  /** Hard cap on stored Events; the least recently written go first. Default 10,000. */
  maxEvents?: number;
}

/**
 * Ages Events out of the store as the apiserver does (etcd leases refreshed on every write, so a
 * repeating event lives on), plus a hard cap so a noisy node cannot grow the store without bound.
 * It watches the store, so it covers events from any writer (kubelet, controllers, POST).
 */
export class EventRetention {
  private readonly ttlMs: number;
  private readonly maxEvents: number;
  /** namespace/name → expiry; Map order is write order, and with one TTL that is expiry order. */
  private readonly expiries = new Map<string, number>();
  private readonly watch: Watch;
  private timer: Timer | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    opts: EventRetentionOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 3_600_000;
    this.maxEvents = opts.maxEvents ?? 10_000;
    this.watch = store.watch('events', {}, (ev) => {
      const key = `${ev.object.metadata.namespace ?? ''}/${ev.object.metadata.name}`;
      this.expiries.delete(key);
      if (ev.type !== 'DELETED') this.expiries.set(key, this.clock.now() + this.ttlMs);
      this.enforceCap();
      this.schedule();
    });
  }

  stop(): void {
    this.stopped = true;
    this.watch.stop();
    this.timer?.cancel();
    this.timer = undefined;
  }

  private enforceCap(): void {
    while (this.expiries.size > this.maxEvents) {
      const oldest = this.expiries.keys().next();
      if (oldest.done) return;
      this.remove(oldest.value);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const first = this.expiries.values().next();
    const at = first.done ? Infinity : first.value;
    if (at === this.timerAt) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = at;
    if (at !== Infinity) this.timer = this.clock.setTimer(at - this.clock.now(), () => this.expire());
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (const [key, at] of this.expiries) {
      if (at > now) break;
      this.remove(key);
    }
    this.schedule();
  }

  private remove(key: string): void {
    this.expiries.delete(key);
    const slash = key.indexOf('/');
    try {
      this.store.delete('events', key.slice(0, slash), key.slice(slash + 1));
    } catch {
      // Already gone (deleted by a client): nothing to expire.
    }
  }
}
