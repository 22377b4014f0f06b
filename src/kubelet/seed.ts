import type { ContainerStateTerminated, Pod } from '../api/types.js';
import type { ContainerRecord, InstanceRecord } from './container-record.js';

/** The kubelet's text for an instance that vanished while running (kubelet_pods.go). */
export const STATUS_UNKNOWN_MESSAGE = 'The container could not be located when the pod was terminated';

function parseTime(t: string | undefined, fallback: number): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? fallback : ms;
}

function fromTerminated(t: ContainerStateTerminated, id: string, now: number): InstanceRecord {
  const exit: InstanceRecord['exit'] = {
    exitCode: t.exitCode,
    reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
    finishedAt: parseTime(t.finishedAt, now),
  };
  if (t.message) exit.message = t.message;
  return {
    id: t.containerID || id,
    startedAt: parseTime(t.startedAt, 0),
    specHash: '',
    env: {},
    workingDir: '',
    exit,
    exitRecorded: Promise.resolve(),
  };
}

/**
 * Container records rebuilt from a stored status, for a pod admitted again after podvisor
 * restarted (DESIGN principle 6: restart counts survive). Its processes are gone: an instance
 * that was running is recorded as exited with `ContainerStatusUnknown` (exit 137), as the kubelet
 * reports a container it can no longer locate; restartCount carries on from the stored value.
 */
export function seedRecords(pod: Pod, now: number): ContainerRecord[] {
  const out: ContainerRecord[] = [];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const rec: ContainerRecord = { name: s.name, restartCount: s.restartCount ?? 0 };
    const last = s.lastState?.terminated;
    const id = s.containerID ?? '';
    if (s.state?.running && id) {
      rec.current = {
        id,
        startedAt: parseTime(s.state.running.startedAt, now),
        specHash: '',
        env: {},
        workingDir: '',
        exit: {
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: STATUS_UNKNOWN_MESSAGE,
          finishedAt: now,
        },
        exitRecorded: Promise.resolve(),
      };
      if (last) rec.previous = fromTerminated(last, `${id}-previous`, now);
    } else if (s.state?.terminated && id) {
      rec.current = fromTerminated(s.state.terminated, id, now);
      if (last) rec.previous = fromTerminated(last, `${id}-previous`, now);
    } else if (last) {
      // Waiting (back-off, start error) after an earlier instance: that instance is the newest.
      rec.current = fromTerminated(last, id || `${s.name}-previous`, now);
    }
    if (rec.current || rec.restartCount > 0) out.push(rec);
  }
  return out;
}
