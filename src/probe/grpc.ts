import type { ProbeOutcome } from './types.js';

export interface GrpcProbeRequest {
  host: string;
  port: number;
  service: string;
  timeoutMs: number;
}

let client: Promise<typeof import('./grpc-client.js')> | undefined;

/**
 * One gRPC health probe (spec §3.4); see grpc-client.ts. @grpc/grpc-js costs a node about 14 MiB
 * of memory once loaded, so it is loaded when the first gRPC probe runs, not at start-up.
 */
export async function probeGrpc(req: GrpcProbeRequest): Promise<ProbeOutcome> {
  client ??= import('./grpc-client.js');
  try {
    return (await client).runGrpcProbe(req);
  } catch (err) {
    client = undefined;
    return { result: 'unknown', output: '', error: `gRPC client unavailable: ${(err as Error).message}` };
  }
}
