/**
 * The hostile targets by name, so that a test can have them served by another process
 * (target-host.ts) and ask it what they saw.
 */
import { startGrpcHealthServer } from '../helpers/grpc-health-server.js';
import {
  startHeaderTrickleTarget,
  startHugeBodyTarget,
  startNeverAnsweringGrpcTarget,
  startNotHttpTarget,
  startPlainHttpTarget,
  startRedirectTarget,
  startResetTarget,
  startSilentTarget,
  startTlsTarget,
  type HostileTarget,
} from '../helpers/hostile-servers.js';

export type TargetSpec =
  | { kind: 'silent' | 'trickle' | 'reset' | 'tls' | 'plain-http'; host: string }
  | { kind: 'huge-body'; host: string; bodyBytes?: number }
  | { kind: 'not-http'; host: string; bytesHex: string; then: 'hold' | 'close' }
  | { kind: 'redirect'; host: string; otherHost: string }
  | { kind: 'grpc-never' | 'grpc-unimplemented' | 'grpc-not-serving'; host: string };

/** What a target did, summed over its connections (or requests / calls). */
export interface TargetStats {
  connections: number;
  openConnections: number;
  maxBytesWritten: number;
  totalBytesWritten: number;
  /** HTTP requests (redirect target) or gRPC Check calls. */
  requests: number;
}

export interface AnyTarget {
  port: number;
  stats(): TargetStats;
  close(): Promise<void>;
}

export async function startTarget(spec: TargetSpec): Promise<AnyTarget> {
  switch (spec.kind) {
    case 'silent':
      return rawStats(await startSilentTarget(spec.host));
    case 'trickle':
      return rawStats(await startHeaderTrickleTarget(spec.host));
    case 'reset':
      return rawStats(await startResetTarget(spec.host));
    case 'tls':
      return rawStats(await startTlsTarget(spec.host));
    case 'plain-http':
      return rawStats(await startPlainHttpTarget(spec.host));
    case 'huge-body':
      return rawStats(await startHugeBodyTarget(spec.host, spec.bodyBytes));
    case 'not-http':
      return rawStats(await startNotHttpTarget(spec.host, Buffer.from(spec.bytesHex, 'hex'), spec.then));
    case 'redirect': {
      const t = await startRedirectTarget(spec.host, spec.otherHost);
      return {
        port: t.port,
        stats: () => ({ ...NO_CONNECTIONS, requests: t.requests }),
        close: () => t.close(),
      };
    }
    case 'grpc-never': {
      const t = await startNeverAnsweringGrpcTarget(spec.host);
      return {
        port: t.port,
        stats: () => ({ ...NO_CONNECTIONS, requests: t.calls() }),
        close: () => t.close(),
      };
    }
    case 'grpc-unimplemented':
    case 'grpc-not-serving': {
      const t = await startGrpcHealthServer(
        spec.kind === 'grpc-unimplemented'
          ? { host: spec.host, health: false }
          : { host: spec.host, status: 'NOT_SERVING' },
      );
      return {
        port: t.port,
        stats: () => ({ ...NO_CONNECTIONS, requests: t.checks.count }),
        close: () => t.close(),
      };
    }
  }
}

const NO_CONNECTIONS = { connections: 0, openConnections: 0, maxBytesWritten: 0, totalBytesWritten: 0 };

function rawStats(t: HostileTarget): AnyTarget {
  return {
    port: t.port,
    stats: () => {
      const sent = t.connections.map((c) => c.bytesWritten);
      return {
        connections: t.connections.length,
        openConnections: t.openConnections(),
        maxBytesWritten: sent.reduce((a, b) => Math.max(a, b), 0),
        totalBytesWritten: sent.reduce((a, b) => a + b, 0),
        requests: 0,
      };
    },
    close: () => t.close(),
  };
}
