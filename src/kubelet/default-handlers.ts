import { runCheck } from '../probe/checks/index.js';
import { probeExec, probeGrpc, probeHttp, probeTcp } from '../probe/index.js';
import type { ProbeHandlers } from './types.js';

/** The real probers of src/probe, used unless a test injects its own. */
export const defaultProbeHandlers: ProbeHandlers = {
  http: probeHttp,
  tcp: probeTcp,
  exec: probeExec,
  grpc: probeGrpc,
  check: runCheck,
};
