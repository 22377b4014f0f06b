/**
 * Pure helpers of the dashboard (no DOM), unit-tested in test/unit/web. The pods table shows what
 * `kubectl get pods` shows: the STATUS, READY and RESTARTS cells come from the same code as the
 * CLI's printers and the server's Tables (src/api/pod-summary.ts, spec §6.3), bundled by esbuild.
 */
import type { ContainerState, ContainerStatus, Pod } from '../../src/api/types.js';
import { formatRestarts, summarizePod } from '../../src/api/pod-summary.js';
import { parseTime, since } from '../../src/api/kube-time.js';
import { humanDuration } from '../../src/util/duration.js';
import { parseGoDuration } from '../../src/util/go-duration.js';

export { humanDuration, parseTime, since };

export interface PodRow {
  namespace: string;
  name: string;
  ready: string;
  status: string;
  restarts: string;
  age: string;
}

/** One row of the pods table, as `kubectl get pods` prints it at `now`. */
export function podRow(pod: Pod, now: number): PodRow {
  const s = summarizePod(pod);
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    ready: `${s.ready}/${s.total}`,
    status: s.status,
    restarts: formatRestarts(s, now),
    age: since(pod.metadata?.creationTimestamp, now),
  };
}

/** A CSS class for a STATUS cell: healthy, in progress, or failing. */
export function statusTone(status: string): 'ok' | 'warn' | 'bad' {
  if (status === 'Running' || status === 'Completed' || status === 'Succeeded') return 'ok';
  if (/BackOff|Error|Failed|ExitCode|Signal|OOMKilled|Unknown|CreateContainer|InvalidImage/.test(status))
    return 'bad';
  return 'warn';
}

/** A row's tone: a Running pod with unready containers is not healthy yet, whatever STATUS says. */
export function rowTone(row: PodRow): 'ok' | 'warn' | 'bad' {
  const tone = statusTone(row.status);
  const [ready, total] = row.ready.split('/');
  return tone === 'ok' && row.status === 'Running' && ready !== total ? 'warn' : tone;
}

/**
 * The back-off still to wait before the kubelet starts a container again, in ms, or undefined when
 * it is not in CrashLoopBackOff. The kubelet's waiting message says the whole back-off
 * (`back-off 20s restarting failed container=app pod=web_default(uid)`, spec §4.2) and it counts
 * from the moment the last instance finished, so the remaining time is
 * `lastState.terminated.finishedAt + back-off − now`, never below zero.
 */
export function backOffRemainingMs(status: ContainerStatus, now: number): number | undefined {
  const waiting = status.state?.waiting;
  if (waiting?.reason !== 'CrashLoopBackOff') return undefined;
  const m = /back-off (\S+) restarting/.exec(waiting.message ?? '');
  const backOff = m?.[1] ? parseGoDuration(m[1]) : undefined;
  const finishedAt = parseTime(status.lastState?.terminated?.finishedAt);
  if (backOff === undefined || finishedAt === undefined) return undefined;
  return Math.max(0, finishedAt + backOff - now);
}

/** A container state in one line: `Running, started 3m ago`, `Waiting: CrashLoopBackOff (…)`, `Terminated: Error, exit code 1`. */
export function describeState(state: ContainerState | undefined, now: number): string {
  if (!state) return 'unknown';
  if (state.running) return `Running, started ${since(state.running.startedAt, now)} ago`;
  if (state.waiting) {
    const w = state.waiting;
    return `Waiting: ${w.reason ?? 'unknown'}${w.message ? ` (${w.message})` : ''}`;
  }
  if (state.terminated) {
    const t = state.terminated;
    const signal = t.signal ? `, signal ${t.signal}` : '';
    const ago = t.finishedAt ? `, ${since(t.finishedAt, now)} ago` : '';
    return `Terminated: ${t.reason ?? 'no reason'}, exit code ${t.exitCode}${signal}${ago}`;
  }
  return 'unknown';
}

/** Seconds as the countdown shows them: `17s`, `1m05s`. */
export function countdownText(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return minutes > 0 ? `${minutes}m${String(seconds).padStart(2, '0')}s` : `${seconds}s`;
}

/** The pause annotation's end (epoch ms) while it is in the future, else undefined. */
export function probesPausedUntil(pod: Pod, now: number): number | undefined {
  const until = parseTime(pod.metadata?.annotations?.['podvisor.io/probes-paused-until']);
  return until !== undefined && until > now ? until : undefined;
}
