import type { Container, Pod, Probe, ProbeType } from '../api/types.js';
import { expandCommandOnlyStatic } from '../api/expansion.js';
import { PROBE_CANCELLED, resolvePort } from '../probe/index.js';
import type { ProbeOutcome } from '../probe/types.js';
import type { EventRecorder } from '../store/types.js';
import { formatPod } from './backoff.js';
import { containerRef } from './events.js';
import type { ProbeHandlers, ProbeRunResult } from './types.js';

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
  ) {}

  async probe(probeType: ProbeType, target: ProbeTarget): Promise<ProbeRunResult> {
    const spec = probeSpec(target.container, probeType);
    if (!spec) return { result: 'Success' };
    let outcome: ProbeOutcome = { result: 'unknown', output: '' };
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      outcome = await this.runOnce(spec, target);
      if (target.signal?.aborted) return { result: 'Failure', error: PROBE_CANCELLED };
      if (outcome.error === undefined) break;
    }
    if (outcome.error !== undefined) {
      this.event(
        target,
        'Unhealthy',
        `${probeType} probe errored and resulted in ${outcome.result} state: ${outcome.error}`,
      );
      return { result: 'Failure', error: outcome.error };
    }
    switch (outcome.result) {
      case 'success':
        return { result: 'Success' };
      case 'warning':
        this.event(target, 'ProbeWarning', `${probeType} probe warning: ${outcome.output}`);
        return { result: 'Success' };
      case 'failure':
        this.event(target, 'Unhealthy', `${probeType} probe failed: ${outcome.output}`);
        return { result: 'Failure' };
      default:
        // [≥1.33] unknown without an error: Failure, no event.
        return { result: 'Failure' };
    }
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

  private event(t: ProbeTarget, reason: string, message: string): void {
    this.recorder.record(containerRef(t.pod, t.container.name), 'Warning', reason, message);
  }
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
