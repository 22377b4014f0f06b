import type { Container, ContainerStatus, Event, Pod } from '../../../src/api/types.js';

/** kubernetes-types are read-only; tests build and then adjust their objects. */
export type Writable<T> = T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

/** Fixed "now" for every printer test: 2024-06-04T10:01:00Z. */
export const NOW = Date.UTC(2024, 5, 4, 10, 1, 0);

export const iso = (secondsBeforeNow: number): string =>
  new Date(NOW - secondsBeforeNow * 1000).toISOString().replace('.000Z', 'Z');

export function container(name: string, extra: Partial<Container> = {}): Writable<Container> {
  return { name, image: 'node:20-alpine', ...extra };
}

export function running(
  name: string,
  ready: boolean,
  extra: Partial<ContainerStatus> = {},
): Writable<ContainerStatus> {
  return {
    name,
    ready,
    restartCount: 0,
    image: 'node:20-alpine',
    imageID: '',
    started: true,
    state: { running: { startedAt: iso(50) } },
    ...extra,
  };
}

export function waiting(
  name: string,
  reason: string,
  extra: Partial<ContainerStatus> = {},
): Writable<ContainerStatus> {
  return {
    name,
    ready: false,
    restartCount: 0,
    image: 'node:20-alpine',
    imageID: '',
    state: { waiting: { reason } },
    ...extra,
  };
}

export function terminated(
  name: string,
  exitCode: number,
  reason: string | undefined,
  extra: Partial<ContainerStatus> = {},
): Writable<ContainerStatus> {
  return {
    name,
    ready: false,
    restartCount: 0,
    image: 'node:20-alpine',
    imageID: '',
    state: {
      terminated: { exitCode, ...(reason ? { reason } : {}), startedAt: iso(40), finishedAt: iso(30) },
    },
    ...extra,
  };
}

export function pod(
  name: string,
  containers: Container[],
  statuses: ContainerStatus[],
  extra: Partial<Pod> = {},
): Writable<Pod> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: iso(60) },
    spec: { containers, nodeName: 'box' },
    status: { phase: 'Running', containerStatuses: statuses },
    ...extra,
  };
}

export function event(reason: string, message: string, extra: Partial<Event> = {}): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `web.${reason}`, namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'uid-web', apiVersion: 'v1' },
    reason,
    message,
    type: 'Normal',
    source: { component: 'kubelet', host: 'box' },
    count: 1,
    firstTimestamp: iso(60),
    lastTimestamp: iso(60),
    ...extra,
  };
}
