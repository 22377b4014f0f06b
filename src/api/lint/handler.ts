import type { Container, Probe } from '../types.js';
import type { ProbeKind } from './types.js';

/** The probe types and their field names, in the order the kubelet creates workers (spec §2.1). */
export const PROBE_FIELDS: readonly {
  kind: ProbeKind;
  field: 'startupProbe' | 'readinessProbe' | 'livenessProbe';
}[] = [
  { kind: 'startup', field: 'startupProbe' },
  { kind: 'readiness', field: 'readinessProbe' },
  { kind: 'liveness', field: 'livenessProbe' },
];

/** A port as the kubelet resolves it (spec §3.0): a name through the container's ports. */
export function resolvePort(
  port: number | string | undefined,
  container: Container,
): number | string | undefined {
  if (typeof port !== 'string') return port;
  const named = (container.ports ?? []).find((p) => p.name === port);
  return named ? named.containerPort : port;
}

/**
 * A probe's handler as one comparable string: two probes with the same key ask the same question
 * of the same endpoint (named ports are resolved, so `port: http` equals `port: 8080`).
 */
export function handlerKey(probe: Probe, container: Container): string {
  if (probe.exec) return `exec ${JSON.stringify(probe.exec.command ?? [])}`;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const headers = (g.httpHeaders ?? []).map((h) => `${h.name.toLowerCase()}=${h.value}`).sort();
    return `http ${g.scheme ?? 'HTTP'} ${g.host ?? ''} ${String(resolvePort(g.port, container))} ${g.path ?? '/'} ${headers.join('&')}`;
  }
  if (probe.tcpSocket)
    return `tcp ${probe.tcpSocket.host ?? ''} ${String(resolvePort(probe.tcpSocket.port, container))}`;
  if (probe.grpc) return `grpc ${probe.grpc.port} ${probe.grpc.service ?? ''}`;
  return 'none';
}

/** A short human name for a probe's endpoint: `GET :http/ready`, `exec [cat healthy]`, `tcp :8080`. */
export function handlerText(probe: Probe): string {
  // A multi-line script stays on one line: its newlines are shown as \n.
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(' ').trim().replace(/\n/g, '\\n')}]`;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const scheme = (g.scheme ?? 'HTTP').toLowerCase();
    return `${scheme}-get ${g.host ?? ''}:${String(g.port)}${g.path ?? '/'}`;
  }
  if (probe.tcpSocket) return `tcp-socket ${probe.tcpSocket.host ?? ''}:${String(probe.tcpSocket.port)}`;
  if (probe.grpc)
    return `grpc :${probe.grpc.port}${probe.grpc.service ? ` service ${probe.grpc.service}` : ''}`;
  return 'no handler';
}

/** The handler part of a probe, for a suggested probe that asks the same question. */
export function handlerOnly(probe: Probe): Probe {
  const out: Probe = {};
  if (probe.exec) out.exec = probe.exec;
  if (probe.httpGet) {
    // The defaulted scheme is left out, as the user would write it.
    const { scheme, ...get } = probe.httpGet;
    out.httpGet = scheme === 'HTTP' ? get : probe.httpGet;
  }
  if (probe.tcpSocket) out.tcpSocket = probe.tcpSocket;
  if (probe.grpc) out.grpc = probe.grpc;
  return out;
}

/** kubectl describe's probe line (spec §6.1), unescaped: enough to recognise the probe. */
export function describeProbeShort(probe: Probe): string {
  return (
    `${handlerText(probe)} delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 1}s ` +
    `period=${probe.periodSeconds ?? 10}s #success=${probe.successThreshold ?? 1} #failure=${probe.failureThreshold ?? 3}`
  );
}
