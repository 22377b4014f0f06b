import type { Pod } from '../api/types.js';
import type { InvolvedPod } from './types.js';

/** Event reasons of pkg/kubelet/events (spec §5). */
export const EventReason = {
  Created: 'Created',
  Started: 'Started',
  Failed: 'Failed',
  Killing: 'Killing',
  Unhealthy: 'Unhealthy',
  ProbeWarning: 'ProbeWarning',
  BackOff: 'BackOff',
  Scheduled: 'Scheduled',
  SandboxChanged: 'SandboxChanged',
} as const;

export function podRef(pod: Pod): InvolvedPod {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? 'default',
    uid: pod.metadata?.uid ?? '',
  };
}

/** The Pod with `fieldPath: spec.containers{<name>}` or `spec.initContainers{<name>}` (GenerateContainerRef). */
export function containerRef(pod: Pod, containerName: string): InvolvedPod {
  const list = pod.spec?.initContainers?.some((c) => c.name === containerName)
    ? 'initContainers'
    : 'containers';
  return { ...podRef(pod), fieldPath: `spec.${list}{${containerName}}` };
}

/** 1.33 wording (spec §5): `Created container: app`, `Started container app`. */
export const messages = {
  created: (name: string): string => `Created container: ${name}`,
  started: (name: string): string => `Started container ${name}`,
  stopping: (name: string): string => `Stopping container ${name}`,
  failed: (detail: string): string => `Error: ${detail}`,
  livenessKill: (name: string): string => `Container ${name} failed liveness probe`,
  startupKill: (name: string): string => `Container ${name} failed startup probe`,
  definitionChanged: (name: string): string => `Container ${name} definition changed`,
  /** Sidecars (spec §4.7): always restarted, so never ", will be restarted". */
  initLivenessKill: (name: string): string => `Init container ${name} failed liveness probe`,
  initStartupKill: (name: string): string => `Init container ${name} failed startup probe`,
  initDefinitionChanged: (name: string): string => `Init container ${name} definition changed`,
  willRestart: (message: string): string => `${message}, will be restarted`,
  /** kuberuntime_manager SyncPod, when a pod that had a sandbox gets a new one. */
  sandboxChanged: 'Pod sandbox changed, it will be killed and re-created.',
};
