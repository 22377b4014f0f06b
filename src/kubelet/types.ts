import type { KubeObject, Pod } from '../api/types.js';
import type { ProbeOutcome } from '../probe/types.js';
import type {
  ExecProbeRequest,
  GrpcProbeRequest,
  HttpProbeRequest,
  TcpProbeRequest,
} from '../probe/index.js';

/** A Pod as the store holds it (apiVersion, kind and metadata.name always present). */
export type StoredPod = Pod & KubeObject;

/**
 * What the probe handlers (src/probe) are asked to do: the kubelet resolves the target (host,
 * named port, static $(VAR) expansion, environment) before calling; a handler only probes.
 */
export type { ExecProbeRequest, GrpcProbeRequest, HttpProbeRequest, TcpProbeRequest };

/** One function per probe mechanism; the Kubelet defaults to src/probe's, tests inject fakes. */
export interface ProbeHandlers {
  http(req: HttpProbeRequest): Promise<ProbeOutcome>;
  tcp(req: TcpProbeRequest): Promise<ProbeOutcome>;
  exec(req: ExecProbeRequest): Promise<ProbeOutcome>;
  grpc(req: GrpcProbeRequest): Promise<ProbeOutcome>;
}

/**
 * A value in the kubelet's results cache (results.Result), spec §2.5: `Unknown` only ever appears
 * as the startup probe's initial value for a new container.
 */
export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

/** What one probe run (with its retries) gives the worker: an `error` means "discard" (§2.6). */
export interface ProbeRunResult {
  result: 'Success' | 'Failure';
  error?: string;
}

/** The object events are recorded against: the Pod, narrowed to a container by fieldPath (§5). */
export interface InvolvedPod {
  kind: 'Pod';
  apiVersion: 'v1';
  name: string;
  namespace: string;
  uid: string;
  fieldPath?: string;
}
