export * from './types.js';
export { resolvePort, type NamedContainerPort, type ResolvedPort } from './port.js';
export { probeHttp, type HttpProbeRequest } from './http.js';
export { PROBE_USER_AGENT } from './http-headers.js';
export { probeTcp, type TcpProbeRequest } from './tcp.js';
export { probeExec, killProcessGroup, PROBE_CANCELLED, type ExecProbeRequest } from './exec.js';
export { probeGrpc, type GrpcProbeRequest } from './grpc.js';
export {
  HEALTH_CHECK_PATH,
  SERVING_STATUS_NAMES,
  SERVING_STATUS_NUMBERS,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  servingStatusName,
} from './grpc-health-codec.js';
