/**
 * Object types are Kubernetes' own (the `kubernetes-types` package, generated from the OpenAPI
 * schema). Only these re-exports and a few narrow helpers live here.
 */
export type {
  Pod,
  PodSpec,
  PodStatus,
  PodCondition,
  Container,
  ContainerPort,
  ContainerStatus,
  ContainerState,
  ContainerStateTerminated,
  ContainerStateWaiting,
  ContainerStateRunning,
  EnvVar,
  Probe,
  HTTPGetAction,
  TCPSocketAction,
  ExecAction,
  GRPCAction,
  Event,
  ObjectReference,
} from 'kubernetes-types/core/v1.js';
export type { ObjectMeta, Status, StatusDetails, ListMeta } from 'kubernetes-types/meta/v1.js';

/** The three probe types, as the kubelet names them in events (`probeType.String()`). */
export type ProbeType = 'Liveness' | 'Readiness' | 'Startup';

/** Any object in the store: apiVersion, kind and metadata are always present. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: import('kubernetes-types/meta/v1.js').ObjectMeta & { name: string };
}
