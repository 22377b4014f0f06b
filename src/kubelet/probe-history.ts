import type { Container, Probe, ProbeType } from '../api/types.js';
import type { ChangeFeed } from '../util/change-feed.js';
import {
  PODVISOR_API_VERSION,
  PROBE_HISTORY_LIMIT,
  PROBE_MESSAGE_LIMIT,
  RESTART_HISTORY_LIMIT,
  type ProbeHistory,
  type ProbeHistoryEntry,
  type ProbeRecord,
  type RestartRecord,
} from '../api/probe-history.js';

const VERDICTS: readonly ProbeRecord['verdict'][] = ['success', 'warning', 'failure', 'error', 'unknown'];
const VERDICT_MASK = 0b111;
const ACTED_SUCCESS = 1 << 3;
const ACTED_FAILURE = 1 << 4;
const PAUSED = 1 << 5;

/**
 * A probe's last results in a fixed ring of columns, allocated once: a run writes numbers into
 * typed arrays and two string references (the message is the handler's own string, cut only when
 * it is over PROBE_MESSAGE_LIMIT bytes), so recording allocates nothing on the hot path. Records
 * become objects only when someone reads the history.
 * Memory: capacity × (≤ 1 KiB message + ~40 bytes of columns) ≈ 105 KiB at most per probe.
 */
export class ProbeResultRing {
  private readonly times: Float64Array;
  private readonly latencies: Float64Array;
  private readonly counts: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly ids: string[];
  private readonly messages: string[];
  private next = 0;
  private filled = 0;
  /**
   * Records already built, by slot: a watched history is rebuilt after every run, and all but the
   * newest record are unchanged (a `kubectl get probehistories -w` of 200 probes/s spent most of
   * its CPU re-formatting the same times). Created on the first read, so unread rings pay nothing.
   */
  private built: (ProbeRecord | undefined)[] | undefined;

  constructor(
    readonly capacity: number = PROBE_HISTORY_LIMIT,
    /** Called after every push: the pod's history has a new version (for watches). */
    private readonly onPush?: () => void,
  ) {
    this.times = new Float64Array(capacity);
    this.latencies = new Float64Array(capacity);
    this.counts = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.ids = new Array<string>(capacity).fill('');
    this.messages = new Array<string>(capacity).fill('');
  }

  get size(): number {
    return this.filled;
  }

  /** Records one run (positional, so that recording allocates nothing). */
  push(
    time: number,
    containerId: string,
    verdict: ProbeRecord['verdict'],
    latencyMs: number,
    message: string,
    consecutive: number,
    acted: 'Success' | 'Failure' | undefined,
    paused: boolean,
  ): void {
    const i = this.next;
    this.times[i] = time;
    this.latencies[i] = latencyMs;
    this.counts[i] = consecutive;
    let flags = VERDICTS.indexOf(verdict);
    if (acted === 'Success') flags |= ACTED_SUCCESS;
    else if (acted === 'Failure') flags |= ACTED_FAILURE;
    if (paused) flags |= PAUSED;
    this.flags[i] = flags;
    this.ids[i] = containerId;
    this.messages[i] = cutMessage(message);
    if (this.built) this.built[i] = undefined;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.filled < this.capacity) this.filled++;
    this.onPush?.();
  }

  /** Oldest first. */
  records(): ProbeRecord[] {
    const out: ProbeRecord[] = [];
    for (let n = 0; n < this.filled; n++) out.push(this.at(this.indexFromOldest(n)));
    return out;
  }

  /** The newest `limit` counted (not paused) failures of one instance, oldest first. */
  lastFailures(containerId: string, limit: number): ProbeRecord[] {
    const out: ProbeRecord[] = [];
    for (let n = this.filled - 1; n >= 0 && out.length < limit; n--) {
      const i = this.indexFromOldest(n);
      const flags = this.flags[i] ?? 0;
      if (this.ids[i] !== containerId || flags & PAUSED) continue;
      if (VERDICTS[flags & VERDICT_MASK] === 'failure') out.push(this.at(i));
    }
    return out.reverse();
  }

  private indexFromOldest(n: number): number {
    const start = this.filled < this.capacity ? 0 : this.next;
    return (start + n) % this.capacity;
  }

  /** The record in slot `i`, frozen: it is shared by every read until the slot is overwritten. */
  private at(i: number): ProbeRecord {
    this.built ??= new Array<ProbeRecord | undefined>(this.capacity);
    let record = this.built[i];
    if (record === undefined) this.built[i] = record = Object.freeze(this.build(i));
    return record;
  }

  private build(i: number): ProbeRecord {
    const flags = this.flags[i] ?? 0;
    const record: ProbeRecord = {
      time: rfc3339Millis(this.times[i] ?? 0),
      containerID: this.ids[i] ?? '',
      verdict: VERDICTS[flags & VERDICT_MASK] ?? 'unknown',
      latencyMs: this.latencies[i] ?? 0,
      message: this.messages[i] ?? '',
      consecutive: this.counts[i] ?? 0,
    };
    if (flags & ACTED_SUCCESS) record.acted = 'Success';
    if (flags & ACTED_FAILURE) record.acted = 'Failure';
    if (flags & PAUSED) record.paused = true;
    return record;
  }
}

/** RFC 3339 with milliseconds (the history's times; metav1.MicroTime is finer than Time). */
export function rfc3339Millis(ms: number): string {
  return new Date(ms).toISOString();
}

/** At most PROBE_MESSAGE_LIMIT bytes of UTF-8, never cutting a character in two. */
export function cutMessage(message: string): string {
  // 3 bytes per UTF-16 unit at most: short strings need no byte count at all.
  if (message.length * 3 <= PROBE_MESSAGE_LIMIT) return message;
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= PROBE_MESSAGE_LIMIT) return message;
  let cut = PROBE_MESSAGE_LIMIT;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut).toString('utf8');
}

/** How a probe's handler reads in the history (describe's probe line, without the timing). */
export function probeHandlerText(probe: Probe): string {
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(' ')}]`;
  if (probe.httpGet) {
    const g = probe.httpGet;
    return `http-get ${(g.scheme ?? 'HTTP').toLowerCase()}://${g.host ?? ''}:${String(g.port)}${g.path ?? '/'}`;
  }
  if (probe.tcpSocket) return `tcp-socket ${probe.tcpSocket.host ?? ''}:${String(probe.tcpSocket.port)}`;
  if (probe.grpc) {
    const service = probe.grpc.service ? ` ${probe.grpc.service}` : '';
    return `grpc <pod>:${probe.grpc.port}${service}`;
  }
  return 'unknown';
}

interface ProbeSlot {
  container: string;
  probeType: ProbeType;
  probe: Probe;
  ring: ProbeResultRing;
}

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
  creationTimestamp?: string;
}

/**
 * One pod's probe history: a ring per container × probe type and the restarts probes caused.
 * It lives as long as the pod's worker in the kubelet (not only its probe workers), so a pod that
 * has finished still shows why.
 */
export class PodProbeHistory {
  private readonly slots = new Map<string, ProbeSlot>();
  private readonly restarts: RestartRecord[] = [];
  /** Bound once, so that a push tells the feed without allocating. */
  private readonly changed: () => void;

  /**
   * `changes` (shared by the kubelets of the process) gets a touch on every change, keyed by the
   * pod's uid; the watch of `probehistories` pulls the object from it (src/server/probe-histories.ts).
   */
  constructor(
    readonly pod: PodIdentity,
    private readonly changes?: ChangeFeed<PodIdentity>,
  ) {
    this.changed = () => this.changes?.touch(this.pod.uid, this.pod);
    this.changed();
  }

  /** The pod left the kubelet: watchers see its history DELETED. */
  forget(): void {
    this.changes?.remove(this.pod.uid);
  }

  /** The ring of one probe, created on first use and kept for the pod's life. */
  ring(container: Container, probeType: ProbeType, probe: Probe): ProbeResultRing {
    const key = `${container.name}/${probeType}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = {
        container: container.name,
        probeType,
        probe,
        ring: new ProbeResultRing(PROBE_HISTORY_LIMIT, this.changed),
      };
      this.slots.set(key, slot);
      this.changed();
    }
    return slot.ring;
  }

  find(container: string, probeType: ProbeType): ProbeResultRing | undefined {
    return this.slots.get(`${container}/${probeType}`)?.ring;
  }

  /** A restart a probe caused: the Killing message and that probe's last failureThreshold failures. */
  recordRestart(
    time: number,
    container: string,
    probeType: ProbeType,
    containerId: string,
    message: string,
  ): RestartRecord {
    const slot = this.slots.get(`${container}/${probeType}`);
    const threshold = slot?.probe.failureThreshold || 3;
    const record: RestartRecord = {
      time: rfc3339Millis(time),
      container,
      probeType,
      containerID: containerId,
      message,
      verdicts: slot ? slot.ring.lastFailures(containerId, threshold) : [],
    };
    this.restarts.push(record);
    if (this.restarts.length > RESTART_HISTORY_LIMIT) this.restarts.shift();
    this.changed();
    return record;
  }

  toObject(): ProbeHistory {
    const probes: ProbeHistoryEntry[] = [];
    for (const slot of this.slots.values()) {
      const p = slot.probe;
      probes.push({
        container: slot.container,
        probeType: slot.probeType,
        handler: probeHandlerText(p),
        periodSeconds: p.periodSeconds || 10,
        timeoutSeconds: p.timeoutSeconds || 1,
        successThreshold: p.successThreshold || 1,
        failureThreshold: p.failureThreshold || 3,
        results: slot.ring.records(),
      });
    }
    const metadata: ProbeHistory['metadata'] = {
      name: this.pod.name,
      namespace: this.pod.namespace,
      uid: this.pod.uid,
    };
    if (this.pod.creationTimestamp) metadata.creationTimestamp = this.pod.creationTimestamp;
    const version = this.changes?.entry(this.pod.uid)?.version;
    if (version !== undefined) metadata.resourceVersion = String(version);
    return {
      apiVersion: PODVISOR_API_VERSION,
      kind: 'ProbeHistory',
      metadata,
      probes,
      restarts: this.restarts.map((r) => ({ ...r, verdicts: [...r.verdicts] })),
    };
  }
}
