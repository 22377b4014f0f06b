/**
 * A grpc.health.v1 server for probe tests, answering like grpc-go's health server (and
 * agnhost's grpc-health-checking): known services get their status, others NotFound
 * "unknown service"; Watch is not implemented. `health: false` gives a gRPC server without
 * the health service, which answers Unimplemented.
 */
import {
  Server,
  ServerCredentials,
  status as Status,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from '@grpc/grpc-js';
import {
  HEALTH_CHECK_PATH,
  SERVING_STATUS_NUMBERS,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
} from '../../src/probe/grpc-health-codec.js';

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface GrpcHealthServerOptions {
  host?: string;
  port?: number;
  /** The service whose status `status` sets; default "" (the server as a whole). */
  service?: string;
  /** Default SERVING. The overall service "" is SERVING unless `service` is "". */
  status?: HealthStatus;
  /** false: serve no health service at all. Default true. */
  health?: boolean;
  /** Milliseconds to wait before answering Check (to exercise the RPC deadline). */
  checkDelayMs?: number;
}

export interface GrpcHealthServer {
  host: string;
  port: number;
  /** Sets a service's status (default: the service given at start). */
  setStatus(status: HealthStatus, service?: string): void;
  /** How many Check calls arrived, and the last user agent seen. */
  checks: { count: number; userAgent: string };
  close(): Promise<void>;
}

export interface CheckRequest {
  service: string;
}
export interface CheckResponse {
  status: number;
}

/** grpc.health.v1.Health/Check with the project's own codec (also the hostile targets' service). */
export const HEALTH_SERVICE: ServiceDefinition = {
  check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (r: CheckRequest) => encodeHealthCheckRequest(r.service),
    requestDeserialize: (b: Buffer): CheckRequest => decodeHealthCheckRequest(b),
    responseSerialize: (r: CheckResponse) => encodeHealthCheckResponse(r.status),
    responseDeserialize: (b: Buffer): CheckResponse => decodeHealthCheckResponse(b),
  },
};

export async function startGrpcHealthServer(
  options: GrpcHealthServerOptions = {},
): Promise<GrpcHealthServer> {
  const host = options.host ?? '127.0.0.1';
  const defaultService = options.service ?? '';
  const statuses = new Map<string, HealthStatus>([['', 'SERVING']]);
  statuses.set(defaultService, options.status ?? 'SERVING');
  const checks = { count: 0, userAgent: '' };
  const timers = new Set<NodeJS.Timeout>();

  const server = new Server();
  if (options.health !== false) {
    server.addService(HEALTH_SERVICE, {
      check: (call: ServerUnaryCall<CheckRequest, CheckResponse>, reply: sendUnaryData<CheckResponse>) => {
        checks.count++;
        checks.userAgent = String(call.metadata.get('user-agent')[0] ?? '');
        const answer = (): void => {
          const status = statuses.get(call.request.service);
          if (status === undefined) {
            reply({ code: Status.NOT_FOUND, details: 'unknown service' });
          } else {
            reply(null, { status: SERVING_STATUS_NUMBERS[status] ?? 0 });
          }
        };
        if (options.checkDelayMs === undefined) return answer();
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, options.checkDelayMs);
        timers.add(t);
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) => {
    const target = host.includes(':') ? `[${host}]:${options.port ?? 0}` : `${host}:${options.port ?? 0}`;
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) => {
      if (err !== null) reject(err);
      else resolve(bound);
    });
  });

  return {
    host,
    port,
    checks,
    setStatus(status, service = defaultService) {
      statuses.set(service, status);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      return new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still waiting on checkDelayMs would hold tryShutdown open.
        server.forceShutdown();
      });
    },
  };
}
