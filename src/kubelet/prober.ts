import type { Container, Pod, Probe, ProbeType } from '../api/types.js';
import { expandCommandOnlyStatic } from '../api/expansion.js';
import { checkInvocation } from '../probe/checks/index.js';
import type { CheckContext } from '../probe/checks/types.js';
import { PROBE_CANCELLED, resolvePort } from '../probe/index.js';
import type { ProbeOutcome } from '../probe/types.js';
import type { EventRecorder } from '../store/types.js';
import { RealClock, type Clock } from '../util/clock.js';
import { goQuote } from '../util/goquote.js';
import { formatGoDuration } from '../util/duration.js';
import { formatPod } from './backoff.js';
import type { InstanceCheckSources } from './check-context.js';
import { containerRef } from './events.js';
import type { ProbeHandlers, ProbeRunOptions, ProbeRunResult } from './types.js';

/** maxProbeRetries (prober.go): a handler *error* is retried, nothing else is. */
export const MAX_PROBE_RETRIES = 3;

export interface ProbeTarget {
  pod: Pod;
  /** status.podIP: the host when the probe names none, and always for gRPC (§3.0). */
  podIP: string;
  container: Container;
  containerId: string;
  /** The instance's environment and working directory, for exec probes. */
  exec: { env: Record<string, string>; cwd: string } | undefined;
  /** Aborted when the worker stops: the attempt ends without retries or events. */
  signal?: AbortSignal;
  /** The instance's processes and output, for podvisor's in-process checks. */
  check?: InstanceCheckSources;
}

/** `Liveness probe succeeded after 2 failed attempts` (probe-events: verbose). */
export function probeRecoveredMessage(probeType: ProbeType, failures: number): string {
  return `${probeType} probe succeeded after ${failures} failed attempt${failures === 1 ? '' : 's'}`;
}

/** The ` (attempt 2/3)` that verbose probe events add to a failure's Unhealthy message. */
export function attemptSuffix(attempt: { k: number; n: number } | undefined): string {
  return attempt ? ` (attempt ${attempt.k}/${attempt.n})` : '';
}

/**
 * The kubelet's prober (prober/prober.go): resolves the target, runs the handler with up to three
 * tries on error, and turns the outcome into a cache verdict plus the events of spec §3.5
 * (1.33 wording).
 */
export class Prober {
  constructor(
    private readonly handlers: ProbeHandlers,
    private readonly recorder: EventRecorder,
    private readonly clock: Clock = new RealClock(),
  ) {}

  /**
   * One probe run with its retries. The result carries the verdict, output, latency and the event
   * message (recorded unless `opts.quiet`), for the probe history and `check pod/NAME`.
   */
  async probe(
    probeType: ProbeType,
    target: ProbeTarget,
    opts: ProbeRunOptions = {},
  ): Promise<ProbeRunResult> {
    const spec = probeSpec(target.container, probeType);
    if (!spec) return { result: 'Success' };
    const started = this.clock.now();
    let outcome: ProbeOutcome = { result: 'unknown', output: '' };
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      outcome = await this.runOnce(spec, target);
      if (target.signal?.aborted) return { result: 'Failure', error: PROBE_CANCELLED };
      if (outcome.error === undefined) break;
    }
    const latencyMs = this.clock.now() - started;
    const run = (result: 'Success' | 'Failure', message: string, output = outcome.output): ProbeRunResult => {
      if (message !== '' && !opts.quiet) {
        const reason =
          outcome.error === undefined && outcome.result === 'warning' ? 'ProbeWarning' : 'Unhealthy';
        this.recorder.record(containerRef(target.pod, target.container.name), 'Warning', reason, message);
      }
      return { result, verdict: outcome.result, output, latencyMs, message };
    };
    if (outcome.error !== undefined) {
      const r = run(
        'Failure',
        `${probeType} probe errored and resulted in ${outcome.result} state: ${outcome.error}`,
        outcome.error,
      );
      r.error = outcome.error;
      return r;
    }
    switch (outcome.result) {
      case 'success':
        // An HTTP success's output is the response body: never kept (spec: bodies stay out).
        return run('Success', '', spec.httpGet ? '' : outcome.output);
      case 'warning':
        return run(
          'Success',
          `${probeType} probe warning: ${outcome.output}`,
          spec.httpGet ? warningWithoutBody(outcome.output) : outcome.output,
        );
      case 'failure':
        return run('Failure', `${probeType} probe failed: ${outcome.output}${attemptSuffix(opts.attempt)}`);
      default:
        // [≥1.33] unknown without an error: Failure, no event.
        return run('Failure', '');
    }
  }

  /** The Normal `ProbeRecovered` event of `probe-events: verbose`. */
  recovered(pod: Pod, container: Container, probeType: ProbeType, failures: number): void {
    this.recorder.record(
      containerRef(pod, container.name),
      'Normal',
      'ProbeRecovered',
      probeRecoveredMessage(probeType, failures),
    );
  }

  /** runProbe: one attempt. Anything thrown counts as a handler error. */
  private async runOnce(p: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
    const timeoutMs = (p.timeoutSeconds || 1) * 1000;
    try {
      if (p.exec) {
        if (!t.exec)
          return { result: 'unknown', output: '', error: `container ${t.containerId} is not running` };
        // §3.0: only the container's static env values are expanded.
        const argv = expandCommandOnlyStatic(p.exec.command ?? [], t.container.env);
        const checkArgs = this.handlers.check ? checkInvocation(argv) : undefined;
        if (checkArgs) return await this.runCheckInProcess(argv, checkArgs, t, timeoutMs);
        return await this.handlers.exec({
          argv,
          env: t.exec.env,
          cwd: t.exec.cwd,
          timeoutMs,
          signal: t.signal,
        });
      }
      if (p.httpGet) {
        const port = resolvePort(p.httpGet.port, t.container.ports ?? []);
        if ('error' in port) return { result: 'unknown', output: '', error: port.error };
        return await this.handlers.http({
          scheme: p.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
          host: p.httpGet.host || t.podIP,
          port: port.port,
          path: p.httpGet.path ?? '/',
          headers: (p.httpGet.httpHeaders ?? []).map((h) => ({ name: h.name, value: h.value })),
          timeoutMs,
        });
      }
      if (p.tcpSocket) {
        const port = resolvePort(p.tcpSocket.port, t.container.ports ?? []);
        if ('error' in port) return { result: 'unknown', output: '', error: port.error };
        return await this.handlers.tcp({ host: p.tcpSocket.host || t.podIP, port: port.port, timeoutMs });
      }
      if (p.grpc) {
        return await this.handlers.grpc({
          host: t.podIP,
          port: p.grpc.port,
          service: p.grpc.service ?? '',
          timeoutMs,
        });
      }
      return {
        result: 'unknown',
        output: '',
        error: `missing probe handler for ${formatPod(t.pod)}:${t.container.name}`,
      };
    } catch (err) {
      return { result: 'unknown', output: '', error: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * podvisor's own check, without a fork: the same verdict and one-line reason the command would
   * print, within the probe's timeout (worded as the exec probe's timeout).
   */
  private async runCheckInProcess(
    argv: readonly string[],
    args: readonly string[],
    t: ProbeTarget,
    timeoutMs: number,
  ): Promise<ProbeOutcome> {
    const check = this.handlers.check;
    if (!check || !t.exec) return { result: 'unknown', output: '', error: 'no check handler' };
    const deadline = new AbortController();
    const onAbort = (): void => deadline.abort();
    t.signal?.addEventListener('abort', onAbort, { once: true });
    const ctx: CheckContext = {
      now: () => this.clock.now(),
      timeoutMs,
      signal: deadline.signal,
      podIP: t.podIP,
      env: t.exec.env,
      cwd: t.exec.cwd,
      podName: t.pod.metadata?.name ?? '',
      containerName: t.container.name,
      namespace: t.pod.metadata?.namespace ?? 'default',
    };
    if (t.check) {
      ctx.logs = t.check.logs;
      ctx.pids = t.check.pids;
    }
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<ProbeOutcome>((resolve) => {
      timer = this.clock.setTimer(timeoutMs, () => {
        deadline.abort();
        const cmd = goQuote(argv.join(' '));
        resolve({
          result: 'failure',
          output: `command timed out: ${cmd} timed out after ${formatGoDuration(timeoutMs)}`,
        });
      });
    });
    try {
      const ran = check.call(this.handlers, args, ctx).then((r): ProbeOutcome => ({
        result: r.ok ? 'success' : 'failure',
        output: r.reason,
      }));
      return await Promise.race([ran, timedOut]);
    } finally {
      timer?.cancel();
      t.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** A redirect warning's output names the body; the history keeps only the verdict's words. */
function warningWithoutBody(output: string): string {
  const at = output.indexOf(', Response body:');
  return at < 0 ? output : output.slice(0, at);
}

export function probeSpec(container: Container, probeType: ProbeType): Probe | undefined {
  switch (probeType) {
    case 'Liveness':
      return container.livenessProbe;
    case 'Readiness':
      return container.readinessProbe;
    case 'Startup':
      return container.startupProbe;
  }
}
