import type { Probe } from '../types.js';
import type { Timing } from './types.js';

/** A probe's timing fields with the API defaults (spec §1.1: 0 or absent means the default). */
export interface ProbeParams {
  initialDelay: number;
  period: number;
  timeout: number;
  failureThreshold: number;
  successThreshold: number;
}

export function probeParams(probe: Probe): ProbeParams {
  return {
    initialDelay: probe.initialDelaySeconds ?? 0,
    period: probe.periodSeconds || 10,
    timeout: probe.timeoutSeconds || 1,
    failureThreshold: probe.failureThreshold || 3,
    successThreshold: probe.successThreshold || 1,
  };
}

/**
 * Worst-case seconds from an app going dead to the probe's verdict (spec §2.1, §2.2 steps 10–12):
 * the app dies just after a passing probe, so the first failing attempt starts one period later;
 * the worker is serial and its ticker keeps one missed tick, so each further attempt starts
 * max(period, timeout) after the previous one; the last attempt may hang for the whole timeout.
 *
 *   period + (failureThreshold − 1) × max(period, timeout) + timeout
 *
 * With timeout < period this is failureThreshold × period + timeout. initialDelaySeconds and
 * startup gating only delay the first probe of a new instance, so they are not part of it.
 */
export function detectionTime(p: ProbeParams): Timing {
  const step = Math.max(p.period, p.timeout);
  const seconds = p.period + (p.failureThreshold - 1) * step + p.timeout;
  const stepText = p.timeout > p.period ? `max(${p.period}, ${p.timeout})` : `${step}`;
  return {
    seconds,
    formula:
      `periodSeconds + (failureThreshold-1) × max(periodSeconds, timeoutSeconds) + timeoutSeconds` +
      ` = ${p.period} + ${p.failureThreshold - 1}×${stepText} + ${p.timeout}`,
  };
}

/**
 * How long a starting container may take before it is killed. With a startup probe, spec §2.2:
 * initialDelaySeconds + failureThreshold × periodSeconds (the tick phase can make it up to one
 * period shorter). Without one, liveness runs from the start: its initial delay plus its
 * detection time. Neither: nothing limits a slow start (null).
 */
export function startupWindow(startup: Probe | undefined, liveness: Probe | undefined): Timing | null {
  if (startup) {
    const p = probeParams(startup);
    return {
      seconds: p.initialDelay + p.failureThreshold * p.period,
      formula:
        `startupProbe initialDelaySeconds + failureThreshold × periodSeconds` +
        ` = ${p.initialDelay} + ${p.failureThreshold}×${p.period}`,
    };
  }
  if (liveness) {
    const p = probeParams(liveness);
    const detect = detectionTime(p);
    return {
      seconds: p.initialDelay + detect.seconds,
      formula: `no startupProbe: liveness initialDelaySeconds + detection = ${p.initialDelay} + ${detect.seconds}`,
    };
  }
  return null;
}

/** "45s", "2m30s": short, as kubectl prints durations. */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return s === 0 ? `${m}m` : `${m}m${s}s`;
}
