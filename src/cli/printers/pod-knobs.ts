import {
  HEALTHY_CONDITION,
  PodvisorAnnotation,
  podKnobs,
  probesPaused,
} from '../../api/podvisor-annotations.js';
import type { Pod } from '../../api/types.js';
import { humanDuration, rfc3339 } from '../../util/duration.js';

/**
 * `describe pod` lines for the podvisor knobs that change how this pod is kept (issue 5 item 3),
 * as `Label:\tvalue` lines for the header; none for a pod with every knob at its default.
 */
export function podKnobLines(pod: Pod, now: number): string[] {
  const a = pod.metadata?.annotations ?? {};
  const knobs = podKnobs(pod.metadata);
  const lines: string[] = [];
  if (knobs.probesPausedUntil !== undefined && probesPaused(knobs, now)) {
    const left = humanDuration(knobs.probesPausedUntil - now);
    lines.push(
      `Probes:\tpaused until ${rfc3339(knobs.probesPausedUntil)} (${left} left): liveness and startup do not act`,
    );
  }
  if (knobs.livenessAction === 'report') {
    lines.push(
      `Liveness action:\treport: a failed liveness probe sets ${HEALTHY_CONDITION}=False instead of restarting; startup probe failures still restart`,
    );
  }
  const crash = a[PodvisorAnnotation.crashloopBackoff];
  if (crash !== undefined && knobs.crashloop) {
    const parts = crash.split(',').map((p) => p.trim().replace(/\s*=\s*/, '='));
    lines.push(`Crash loop back-off:\t${parts.join(', ')}`);
  }
  if (knobs.probeEvents === 'verbose') {
    lines.push(
      'Probe events:\tverbose: Unhealthy messages carry (attempt k/N); ProbeRecovered marks a recovery',
    );
  }
  return lines;
}
