import type { KubeObject, Pod } from '../api/types.js';
import type { CheckContext, CheckResult } from '../probe/checks/types.js';
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
  /**
   * podvisor's own checks, run in-process when an exec probe's command is `podvisor check …`
   * (checkInvocation). Absent: such a command is forked like any other exec probe.
   */
  check?(args: readonly string[], ctx: CheckContext): Promise<CheckResult>;
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
  /** The handler's verdict (probe history); absent from hand-made results (tests). */
  verdict?: 'success' | 'warning' | 'failure' | 'unknown';
  /** The handler's output (not for HTTP successes: bodies are never kept). */
  output?: string;
  /** How long the run took, retries included. */
  latencyMs?: number;
  /** The event message the prober recorded — or, when quiet, would have recorded ("" for none). */
  message?: string;
}

/** How one probe run is to be reported (podvisor.io/probe-events, pauses, `check pod/NAME`). */
export interface ProbeRunOptions {
  /** Record no event (paused probes, `check pod/NAME`). */
  quiet?: boolean;
  /** `probe-events: verbose`: a failure's Unhealthy message ends ` (attempt k/n)`. */
  attempt?: { k: number; n: number };
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
