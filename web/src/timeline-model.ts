/**
 * The probe timeline as data: which marks, threshold runs and restart markers to draw for one
 * container over a time window. Pure (no DOM, no clock of its own: `now` comes in), so the rules
 * that say "this is why it was killed" are unit-tested apart from the SVG.
 */
import type { Probe, ProbeType } from '../../src/api/types.js';
import type { ProbeHistory, ProbeHistoryEntry, ProbeRecord } from '../../src/api/probe-history.js';

/** Selectable windows, in minutes; the default is the middle one. */
export const TIMELINE_WINDOWS_MIN: readonly number[] = [1, 5, 15];
export const DEFAULT_WINDOW_MIN = 5;

/** The kubelet's order of concern: startup gates the other two (spec §2.3). */
const ROW_ORDER: readonly ProbeType[] = ['Startup', 'Liveness', 'Readiness'];

/** Default pod terminationGracePeriodSeconds: how long a kill may take to show as a termination. */
const DEFAULT_GRACE_MS = 30_000;

export type MarkKind = 'success' | 'warning' | 'failure' | 'error' | 'unknown';

export interface TimelineMark {
  time: number;
  /** 0 (window start) … 1 (now). */
  x: number;
  kind: MarkKind;
  /** Ran while probes were paused: drawn hollow, it did not count. */
  paused: boolean;
  /** This run changed the kubelet's cached result (the edge that acts). */
  acted?: 'Success' | 'Failure';
  /** The worker's consecutive count after this run. */
  consecutive: number;
  /** This failure is the one whose consecutive count reached failureThreshold. */
  reachedThreshold: boolean;
  /** Hover text: time, verdict, latency, consecutive count, message. */
  title: string;
}

/** A run of consecutive counted failures that reached failureThreshold (drawn as a band). */
export interface ThresholdRun {
  start: number;
  end: number;
  x0: number;
  x1: number;
  failures: number;
  title: string;
}

export interface TimelineRow {
  probeType: ProbeType;
  /** kubectl describe's probe line (spec §6.1). */
  line: string;
  periodSeconds: number;
  failureThreshold: number;
  successThreshold: number;
  marks: TimelineMark[];
  runs: ThresholdRun[];
  /** Results in the window by kind, for the summary beside the row. */
  counts: Record<MarkKind, number>;
}

export interface RestartMarker {
  time: number;
  x: number;
  /** `Liveness` / `Startup` when a probe caused it; `exit` when the process ended by itself. */
  cause: ProbeType | 'exit';
  title: string;
}

export interface TimelineModel {
  start: number;
  end: number;
  rows: TimelineRow[];
  restarts: RestartMarker[];
}

/** What the pod spec adds that the history does not carry (initialDelaySeconds, last exit). */
export interface TimelineExtras {
  /** The container's probes from the pod spec, for the full describe line. */
  probes?: Partial<Record<ProbeType, Probe | undefined>>;
  /** The container's last termination (status.lastState.terminated). */
  lastTermination?: { finishedAt?: string; exitCode?: number; reason?: string; containerID?: string };
  terminationGracePeriodSeconds?: number;
}

export function buildTimeline(
  history: ProbeHistory | undefined,
  container: string,
  now: number,
  windowMs: number,
  extras: TimelineExtras = {},
): TimelineModel {
  const start = now - windowMs;
  const xOf = (t: number): number => (t - start) / windowMs;
  const inWindow = (t: number): boolean => t >= start && t <= now;
  const entries = (history?.probes ?? []).filter((p) => p.container === container);
  entries.sort((a, b) => ROW_ORDER.indexOf(a.probeType) - ROW_ORDER.indexOf(b.probeType));

  const rows = entries.map((entry): TimelineRow => {
    const counts: Record<MarkKind, number> = { success: 0, warning: 0, failure: 0, error: 0, unknown: 0 };
    const marks: TimelineMark[] = [];
    for (const r of entry.results) {
      const time = Date.parse(r.time);
      if (!inWindow(time)) continue;
      const kind = markKind(r.verdict);
      counts[kind]++;
      const reached = !r.paused && kind === 'failure' && r.consecutive === entry.failureThreshold;
      const mark: TimelineMark = {
        time,
        x: xOf(time),
        kind,
        paused: r.paused === true,
        consecutive: r.consecutive,
        reachedThreshold: reached,
        title: recordTitle(r, entry, now),
      };
      if (r.acted) mark.acted = r.acted;
      marks.push(mark);
    }
    const runs = thresholdRuns(entry)
      .filter((run) => run.end >= start && run.start <= now)
      .map((run) => ({
        ...run,
        x0: Math.max(0, xOf(run.start)),
        x1: Math.min(1, xOf(run.end)),
      }));
    return {
      probeType: entry.probeType,
      line: probeLine(entry, extras.probes?.[entry.probeType]),
      periodSeconds: entry.periodSeconds,
      failureThreshold: entry.failureThreshold,
      successThreshold: entry.successThreshold,
      marks,
      runs,
      counts,
    };
  });

  const restarts: RestartMarker[] = [];
  for (const r of history?.restarts ?? []) {
    if (r.container !== container) continue;
    const time = Date.parse(r.time);
    if (!inWindow(time)) continue;
    restarts.push({
      time,
      x: xOf(time),
      cause: r.probeType,
      title: `${clock(time)} (${ago(now - time)}) restart: ${r.message}`,
    });
  }
  const term = extras.lastTermination;
  const finished = term?.finishedAt ? Date.parse(term.finishedAt) : NaN;
  if (Number.isFinite(finished) && inWindow(finished)) {
    // A probe kill shows up again as that instance's termination: draw it once. The instance's ID
    // says so; without one, a termination up to a grace period after a kill is taken as its end
    // (finishedAt has whole seconds, so it may read up to 1 s before the kill).
    const grace = (extras.terminationGracePeriodSeconds ?? DEFAULT_GRACE_MS / 1000) * 1000 + 2000;
    const sameKill = (history?.restarts ?? []).some((r) => {
      if (r.container !== container) return false;
      if (term?.containerID) return r.containerID === term.containerID;
      const t = Date.parse(r.time);
      return finished - t >= -1000 && finished - t <= grace;
    });
    if (!sameKill) {
      const how = `exit code ${term?.exitCode ?? '?'}${term?.reason ? ` (${term.reason})` : ''}`;
      restarts.push({
        time: finished,
        x: xOf(finished),
        cause: 'exit',
        title: `${clock(finished)} (${ago(now - finished)}) container ended: ${how}`,
      });
    }
  }
  restarts.sort((a, b) => a.time - b.time);
  return { start, end: now, rows, restarts };
}

export function markKind(verdict: ProbeRecord['verdict']): MarkKind {
  return verdict === 'success' || verdict === 'warning' || verdict === 'failure' || verdict === 'error'
    ? verdict
    : 'unknown';
}

/**
 * Runs of counted failures (paused runs and discarded errors neither count nor break a run,
 * spec §2.6) whose consecutive count reached failureThreshold: the stretch that made the kubelet act.
 * A run follows the worker's own count: it continues while each failure's count is one more.
 */
export function thresholdRuns(entry: ProbeHistoryEntry): Omit<ThresholdRun, 'x0' | 'x1'>[] {
  const out: Omit<ThresholdRun, 'x0' | 'x1'>[] = [];
  let run: ProbeRecord[] = [];
  const close = (): void => {
    const last = run[run.length - 1];
    const first = run[0];
    if (first && last && last.consecutive >= entry.failureThreshold) {
      const start = Date.parse(first.time);
      const end = Date.parse(last.time);
      out.push({
        start,
        end,
        failures: run.length,
        // The worker's count, not the marks seen: the ring may have dropped the run's beginning.
        title:
          `${last.consecutive} consecutive failures reached failureThreshold ${entry.failureThreshold}` +
          ` (first to last: ${seconds(end - start)})`,
      });
    }
    run = [];
  };
  for (const r of entry.results) {
    if (r.paused || r.verdict === 'error' || r.verdict === 'unknown') continue;
    if (r.verdict !== 'failure') {
      close();
      continue;
    }
    const prev = run[run.length - 1];
    if (prev && (r.consecutive !== prev.consecutive + 1 || r.containerID !== prev.containerID)) close();
    run.push(r);
  }
  close();
  return out;
}

/**
 * kubectl describe's probe line (describe.go DescribeProbe, spec §6.1). With the spec's probe it is
 * exactly the CLI's line; from the history alone, delay is unknown and left out rather than guessed.
 */
export function probeLine(entry: ProbeHistoryEntry, probe?: Probe): string {
  const delay = probe ? `delay=${probe.initialDelaySeconds ?? 0}s ` : '';
  const timeout = probe ? (probe.timeoutSeconds ?? 0) : entry.timeoutSeconds;
  const period = probe ? (probe.periodSeconds ?? 0) : entry.periodSeconds;
  const success = probe ? (probe.successThreshold ?? 0) : entry.successThreshold;
  const failure = probe ? (probe.failureThreshold ?? 0) : entry.failureThreshold;
  const handler = probe ? handlerText(probe) : entry.handler;
  return `${handler} ${delay}timeout=${timeout}s period=${period}s #success=${success} #failure=${failure}`;
}

/** The handler part of describe's probe line (src/cli/printers/probe-line.ts, without Node's Buffer). */
export function handlerText(probe: Probe): string {
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(' ')}]`;
  if (probe.httpGet) {
    const get = probe.httpGet;
    const port = String(get.port ?? '');
    const rawHost = get.host ?? '';
    const host = port ? (rawHost.includes(':') ? `[${rawHost}]:${port}` : `${rawHost}:${port}`) : rawHost;
    const scheme = (get.scheme ?? '').toLowerCase();
    let url = scheme ? `${scheme}:` : '';
    if (scheme || host) url += `//${host}`;
    let path = escapePath(get.path ?? '');
    if (path && !path.startsWith('/') && host) path = `/${path}`;
    return `http-get ${url}${path}`;
  }
  if (probe.tcpSocket)
    return `tcp-socket ${probe.tcpSocket.host ?? ''}:${String(probe.tcpSocket.port ?? '')}`;
  // An empty service still leaves its space, as kubectl prints it.
  if (probe.grpc) return `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ''}`;
  return 'unknown';
}

const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

/** Go's url path escaping: unreserved characters and `$&+,/:;=@` stay, the rest is %XX per byte. */
function escapePath(path: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(path)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PATH_SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function recordTitle(r: ProbeRecord, entry: ProbeHistoryEntry, now: number): string {
  const time = Date.parse(r.time);
  const parts = [`${clock(time)} (${ago(now - time)})`, r.verdict, latency(r.latencyMs)];
  if (r.paused) parts.push('paused: not counted');
  else if (r.verdict === 'failure') parts.push(`failure ${r.consecutive}/${entry.failureThreshold}`);
  else if (r.verdict === 'success' || r.verdict === 'warning')
    parts.push(`success ${r.consecutive}/${entry.successThreshold}`);
  if (r.acted) parts.push(`kubelet now sees ${r.acted}`);
  const head = parts.join(' · ');
  return r.message ? `${head}\n${r.message}` : head;
}

export function latency(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Seconds ago, to the tenth below a minute (times in a five-minute window differ by seconds). */
export function ago(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s ago`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${s % 60}s ago`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Wall-clock time of day in the viewer's zone, with milliseconds (probes run every second). */
function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Axis ticks: one per minute (every 15 s for a one-minute window), labelled relative to now. */
export function axisTicks(windowMs: number): { x: number; label: string }[] {
  const step = windowMs <= 60_000 ? 15_000 : windowMs <= 5 * 60_000 ? 60_000 : 3 * 60_000;
  const ticks: { x: number; label: string }[] = [];
  for (let back = windowMs; back >= 0; back -= step) {
    const label = back === 0 ? 'now' : back % 60_000 === 0 ? `-${back / 60_000}m` : `-${back / 1000}s`;
    ticks.push({ x: 1 - back / windowMs, label });
  }
  return ticks;
}
