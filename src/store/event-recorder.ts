import { hostname } from 'node:os';
import type { KubeObject, ObjectReference } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';
import { LruCache } from './lru.js';
import type { EventRecorder, ObjectStore } from './types.js';

/**
 * The kubelet's event recorder: client-go's EventCorrelator (tools/record/events_cache.go), spec
 * §5 — aggregation of similar events, dedup into count/lastTimestamp, and a per-object spam
 * filter — writing core/v1 Events into the store.
 */

/** A core/v1 Event as the recorder writes it (eventTime is serialised as null, as kubelet events have it). */
export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: { component: string; host: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: string;
  eventTime: string | null;
  reportingComponent: string;
  reportingInstance: string;
}

export type InvolvedObject = Parameters<EventRecorder['record']>[0];

export interface EventRecorderStats {
  /** New Event objects written. */
  created: number;
  /** Repeats folded into an existing Event (count++). */
  patched: number;
  /** Events the spam filter dropped (spec §5: counts are then lower bounds). */
  dropped: number;
  /** Events the store refused. */
  failed: number;
}

/** spec §5 / events_cache.go constants. */
const LRU_ENTRIES = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;

/** golang.org/x/time/rate as flowcontrol uses it: starts full, refills continuously. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  tryAccept(now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface AggregateRecord {
  /** Distinct messages seen for this source+object+type+reason (insertion order). */
  localKeys: Set<string>;
  lastTimestamp: number;
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
}

function eventKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return [
    e.source.component,
    e.source.host,
    o.kind,
    o.namespace,
    o.name,
    o.fieldPath,
    o.uid,
    o.apiVersion,
    e.type,
    e.reason,
    e.message,
  ].join('\u0000');
}

/** Source + involved object, deliberately without fieldPath: one bucket per pod (spec §5). */
function spamKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return [e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion].join('\u0000');
}

/** EventAggregatorByReasonFunc: everything but the message (and the fieldPath). */
function aggregateKey(e: CoreEvent): string {
  const o = e.involvedObject;
  return [
    e.source.component,
    e.source.host,
    o.kind,
    o.namespace,
    o.name,
    o.uid,
    o.apiVersion,
    e.type,
    e.reason,
    e.reportingComponent,
    e.reportingInstance,
  ].join('\u0000');
}

export class EventRecorderImpl implements EventRecorder {
  private readonly component: string;
  private readonly host: string;
  private readonly spam = new LruCache<string, TokenBucket>(LRU_ENTRIES);
  private readonly aggregates = new LruCache<string, AggregateRecord>(LRU_ENTRIES);
  private readonly observations = new LruCache<string, Observation>(LRU_ENTRIES);
  private readonly counters: EventRecorderStats = { created: 0, patched: 0, dropped: 0, failed: 0 };
  /** Sub-millisecond counter: our clock has ms precision, Event names use nanoseconds. */
  private nanoSeq = 0;
  /** Events the store refused since the last one it took (one log line per outage, not per event). */
  private refusedInARow = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    opts: { component?: string; host?: string } = {},
  ) {
    this.component = opts.component ?? 'kubelet';
    this.host = opts.host ?? hostname();
  }

  record(involved: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = this.clock.now();
    const made = this.makeEvent(involved, type, reason, message, now);
    // EventCorrelate's order: aggregate, observe (dedup), then the spam filter.
    const { event: aggregated, key } = this.aggregate(made, now);
    const observed = this.observe(aggregated, key);
    let bucket = this.spam.get(spamKey(observed));
    if (!bucket) bucket = new TokenBucket(SPAM_BURST, SPAM_QPS, now);
    this.spam.set(spamKey(observed), bucket);
    if (!bucket.tryAccept(now)) {
      this.counters.dropped++;
      return;
    }
    this.write(observed);
  }

  /** Counters since start; `dropped` tells how many events the spam filter swallowed. */
  stats(): EventRecorderStats {
    return { ...this.counters };
  }

  private makeEvent(
    involved: InvolvedObject,
    type: string,
    reason: string,
    message: string,
    now: number,
  ): CoreEvent {
    const ref: ObjectReference = {
      kind: involved.kind,
      namespace: involved.namespace,
      name: involved.name,
      uid: involved.uid,
      apiVersion: involved.apiVersion,
    };
    if (involved.fieldPath) ref.fieldPath = involved.fieldPath;
    const t = rfc3339(now);
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.eventName(involved.name, now), namespace: involved.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      source: { component: this.component, host: this.host },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.host,
    };
  }

  /** `<name>.<UnixNano in hex>`, as makeEvent names Events. */
  private eventName(involvedName: string, now: number): string {
    const nanos = BigInt(now) * 1_000_000n + BigInt(this.nanoSeq++ % 1_000_000);
    return `${involvedName}.${nanos.toString(16)}`;
  }

  /**
   * EventAggregate: once AGGREGATE_MAX_EVENTS distinct messages for the same key were seen with
   * no gap over AGGREGATE_INTERVAL_MS, the event becomes `(combined from similar events): <msg>`
   * and is deduplicated under the aggregate key, so later ones count up one combined Event.
   */
  private aggregate(e: CoreEvent, now: number): { event: CoreEvent; key: string } {
    const aggKey = aggregateKey(e);
    let record = this.aggregates.get(aggKey);
    if (!record || now - record.lastTimestamp > AGGREGATE_INTERVAL_MS)
      record = { localKeys: new Set(), lastTimestamp: now };
    record.localKeys.add(e.message);
    record.lastTimestamp = now;
    this.aggregates.set(aggKey, record);
    if (record.localKeys.size < AGGREGATE_MAX_EVENTS) return { event: e, key: eventKey(e) };
    // Keep the set below the threshold (client-go pops an arbitrary key; we pop the oldest).
    const oldest = record.localKeys.values().next();
    if (!oldest.done) record.localKeys.delete(oldest.value);
    const t = rfc3339(now);
    const combined: CoreEvent = {
      ...e,
      metadata: { name: this.eventName(e.involvedObject.name ?? '', now), namespace: e.metadata.namespace },
      message: `(combined from similar events): ${e.message}`,
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
    };
    return { event: combined, key: aggKey };
  }

  /** eventObserve: a repeat takes the first occurrence's name and firstTimestamp, count + 1. */
  private observe(e: CoreEvent, key: string): CoreEvent {
    const last = this.observations.get(key);
    let out = e;
    if (last && last.count > 0) {
      out = {
        ...e,
        metadata: { ...e.metadata, name: last.name },
        firstTimestamp: last.firstTimestamp,
        count: last.count + 1,
      };
    }
    this.observations.set(key, {
      count: out.count,
      firstTimestamp: out.firstTimestamp,
      name: out.metadata.name,
    });
    return out;
  }

  /** recordToSink: PATCH count/lastTimestamp/message of a repeat; create when new or gone (TTL). */
  private write(e: CoreEvent): void {
    const ns = e.metadata.namespace ?? 'default';
    try {
      let written: CoreEvent | undefined;
      if (e.count > 1) {
        written = this.store.mutate<CoreEvent>('events', ns, e.metadata.name, (cur) => ({
          ...cur,
          count: e.count,
          lastTimestamp: e.lastTimestamp,
          message: e.message,
        }));
        if (written) this.counters.patched++;
      }
      if (!written) {
        written = this.store.create<CoreEvent>('events', {
          ...e,
          metadata: { name: e.metadata.name, namespace: ns },
        });
        this.counters.created++;
      }
      if (this.refusedInARow > 0) {
        console.error(
          `podvisor: events are recorded again; ${this.refusedInARow} event(s) could not be recorded meanwhile`,
        );
        this.refusedInARow = 0;
      }
      // UpdateState: remember what the server holds under the written event's own key.
      this.observations.set(eventKey(written), {
        count: written.count,
        firstTimestamp: written.firstTimestamp,
        name: written.metadata.name,
      });
    } catch (err) {
      this.counters.failed++;
      // A full disk refuses every event: say so once, then count until the store takes them again.
      if (this.refusedInARow++ === 0) {
        console.error(
          `podvisor: could not record event ${e.reason} (${e.type}: ${e.message}) for ` +
            `${e.involvedObject.kind}/${e.involvedObject.name}: ${(err as Error).message}; ` +
            `further events are counted until the store takes them again`,
        );
      }
    }
  }
}
