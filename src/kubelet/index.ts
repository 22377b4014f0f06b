export { Kubelet, type KubeletOptions, type ProbeStats } from './kubelet.js';
export { defaultProbeHandlers } from './default-handlers.js';
export type {
  ProbeHandlers,
  HttpProbeRequest,
  TcpProbeRequest,
  ExecProbeRequest,
  GrpcProbeRequest,
  ProbeResult,
  ProbeRunResult,
} from './types.js';
export { CrashLoopBackOff, formatPod } from './backoff.js';
