import { stringify } from 'yaml';
import type { Container, Probe } from '../types.js';
import { handlerKey, handlerOnly, handlerText } from './handler.js';
import type { FindingDraft } from './rules-probe.js';
import { detectionTime, formatSeconds, probeParams, type ProbeParams } from './timing.js';

/** An initialDelaySeconds from this long up is better written as a startup probe (issue 5, item 4). */
export const LARGE_INITIAL_DELAY_SECONDS = 30;

/** Rules that compare a container's probes with each other. `path` is the container's field path. */
export function containerFindings(container: Container, path: string): FindingDraft[] {
  return [...livenessVersusReadiness(container, path), ...initialDelayRule(container, path)];
}

/** The smallest failureThreshold at which liveness detects no sooner than `target` seconds. */
function failureThresholdFor(p: ProbeParams, target: number): number {
  let f = p.failureThreshold;
  while (detectionTime({ ...p, failureThreshold: f }).seconds < target && f < 1000) f++;
  return f;
}

/** The advice for a readiness probe that must give up before liveness does (after `liveness` seconds). */
function readinessFix(rp: ProbeParams, liveness: number): string {
  for (let f = rp.failureThreshold - 1; f >= 1; f--) {
    const d = detectionTime({ ...rp, failureThreshold: f }).seconds;
    if (d < liveness)
      return `lower readiness failureThreshold to ${f} (detection ${formatSeconds(d)}), or raise liveness failureThreshold`;
  }
  return 'shorten readiness periodSeconds, or raise liveness failureThreshold or periodSeconds';
}

function livenessVersusReadiness(container: Container, path: string): FindingDraft[] {
  const liveness = container.livenessProbe;
  const readiness = container.readinessProbe;
  if (!liveness || !readiness) return [];
  const lp = probeParams(liveness);
  const rp = probeParams(readiness);
  const l = detectionTime(lp).seconds;
  const r = detectionTime(rp).seconds;
  const sameEndpoint = handlerKey(liveness, container) === handlerKey(readiness, container);
  const sameTiming =
    lp.period === rp.period && lp.timeout === rp.timeout && lp.failureThreshold === rp.failureThreshold;
  const out: FindingDraft[] = [];
  const why =
    'readiness is meant to fail when the app is busy, draining or waiting on a dependency, so that the pod leaves ' +
    'its Services for a while; a liveness probe asking the same question fails at the same moment and restarts ' +
    'the container, so under load pods are restarted instead of rested, and their traffic moves to the remaining ' +
    'replicas, which then fail too';
  const suggested = failureThresholdFor(lp, 2 * r);
  const fix =
    'give liveness a cheaper endpoint that only says the process is not wedged (e.g. /livez, or a tcpSocket), and/or ' +
    `let it give up well after readiness (e.g. failureThreshold: ${suggested}, detection ${formatSeconds(detectionTime({ ...lp, failureThreshold: suggested }).seconds)} ≥ 2 × ${formatSeconds(r)})`;
  if (sameEndpoint && sameTiming) {
    out.push({
      severity: 'warning',
      rule: 'liveness-identical-to-readiness',
      fieldPath: `${path}.livenessProbe`,
      message: `liveness and readiness are identical (${handlerText(liveness)}, period ${lp.period}s, timeout ${lp.timeout}s, failureThreshold ${lp.failureThreshold})`,
      why,
      fix,
    });
    return out; // identical probes give up together: the ordering rule below has nothing to add
  }
  if (sameEndpoint && l < 2 * r) {
    out.push({
      severity: 'warning',
      rule: 'liveness-uses-readiness-endpoint',
      fieldPath: `${path}.livenessProbe`,
      message:
        `liveness probes the same endpoint as readiness (${handlerText(liveness)}) and gives up after ` +
        `${formatSeconds(l)}, readiness after ${formatSeconds(r)}`,
      why:
        `${why}; here, when the app reports not-ready on purpose (a drain, an overload), it is restarted ` +
        (l > r
          ? `about ${formatSeconds(l - r)} later`
          : 'even before readiness has taken it out of its Services'),
      fix,
    });
  }
  if (r >= l) {
    const equal = r === l;
    out.push({
      severity: equal ? 'info' : 'warning',
      rule: 'readiness-not-sooner-than-liveness',
      fieldPath: `${path}.readinessProbe`,
      message:
        `readiness gives up after ${formatSeconds(r)}, liveness after ${formatSeconds(l)}: ` +
        `readiness should give up sooner than liveness (rule: readiness detection time < liveness detection time, ` +
        `detection = periodSeconds + (failureThreshold-1) × max(periodSeconds, timeoutSeconds) + timeoutSeconds)`,
      why: equal
        ? 'they flip at about the same moment, so whether the pod leaves its Services before it is killed depends on the tick phase'
        : 'when the app stops answering, liveness kills it before readiness marks it NotReady: every trouble longer ' +
          `than ${formatSeconds(l)} becomes a restart instead of a rest out of rotation, and the Services keep sending ` +
          'requests to the failing pod until the kill has ended it',
      fix: readinessFix(rp, l),
    });
  }
  return out;
}

function initialDelayRule(container: Container, path: string): FindingDraft[] {
  const liveness = container.livenessProbe;
  if (!liveness || container.startupProbe) return [];
  const p = probeParams(liveness);
  const detect = detectionTime(p).seconds;
  if (p.initialDelay < LARGE_INITIAL_DELAY_SECONDS && p.initialDelay <= 2 * detect) return [];
  const failureThreshold = Math.max(1, Math.ceil(p.initialDelay / p.period));
  const startup: Probe = { ...handlerOnly(liveness), periodSeconds: p.period, failureThreshold };
  const snippet = `startupProbe: ${stringify(startup, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`;
  return [
    {
      severity: 'warning',
      rule: 'liveness-initial-delay-instead-of-startup-probe',
      fieldPath: `${path}.livenessProbe.initialDelaySeconds`,
      message:
        `liveness waits initialDelaySeconds: ${p.initialDelay} before its first probe ` +
        (p.initialDelay >= LARGE_INITIAL_DELAY_SECONDS
          ? `(≥ ${LARGE_INITIAL_DELAY_SECONDS}s)`
          : `(more than twice its ${formatSeconds(detect)} detection time)`) +
        ', and the container has no startup probe',
      why:
        'the delay holds liveness back on every start of the container, not only the first: after each restart a ' +
        `dead app goes unnoticed for ${formatSeconds(p.initialDelay)}; and a start slower than the delay is still killed. ` +
        'A startup probe ends the moment the app answers and only then hands over to liveness (spec §2.3)',
      fix:
        `add \`${snippet}\` (${failureThreshold} × ${p.period}s = ${failureThreshold * p.period}s covers the ` +
        `${p.initialDelay}s delay) and remove initialDelaySeconds from the liveness probe`,
    },
  ];
}
