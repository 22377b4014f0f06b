import type { LogWriteProblem } from '../runtime/cri-log-writer.js';
import type { ContainerLaunch } from '../runtime/types.js';
import { EventRecorderImpl } from '../store/event-recorder.js';
import type { StateWriteProblem } from '../store/sqlite-store.js';
import type { ObjectStore } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { rfc3339 } from '../util/duration.js';

/**
 * What podvisor says when a disk fills up: a line in its own log (stderr) at once, and an Event.
 * A full log disk costs the container its output, never its run (containerd drops output too);
 * a full state disk refuses changes, which the API reports to the client that made them. The
 * Event about a full database can only be stored once the database takes writes again, so it is
 * recorded then, on the Node, saying when the outage began and how many changes were refused.
 */
export interface StorageProblemReporter {
  attach(store: ObjectStore): void;
  onStateWriteProblem(problem: StateWriteProblem): void;
  onLogProblem(launch: ContainerLaunch, problem: LogWriteProblem): void;
}

function codeOf(error: Error): string {
  return (error as Error & { code?: string }).code ?? error.message;
}

export function storageProblemReporter(
  nodeName: string,
  clock: Clock,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): StorageProblemReporter {
  let recorder: EventRecorderImpl | undefined;
  let store: ObjectStore | undefined;

  const nodeRef = (): Parameters<EventRecorderImpl['record']>[0] => {
    const node = store?.get('nodes', '', nodeName);
    return {
      kind: 'Node',
      name: nodeName,
      namespace: '',
      uid: node?.metadata.uid ?? nodeName,
      apiVersion: 'v1',
    };
  };

  return {
    attach(s) {
      store = s;
      recorder = new EventRecorderImpl(s, clock, { component: 'kubelet', host: nodeName });
    },

    onStateWriteProblem(problem) {
      const { file, error } = problem;
      if (problem.kind === 'failed') {
        log(
          `podvisor: cannot write to ${file}: ${error.message} (${codeOf(error)}): changes are refused ` +
            `(the API answers 500) until it takes writes again; pods keep running. Free space on its disk.`,
        );
        return;
      }
      const since = rfc3339(problem.since);
      log(
        `podvisor: ${file} takes writes again; ${problem.refusedWrites} change(s) were refused since ${since}`,
      );
      recorder?.record(
        nodeRef(),
        'Warning',
        'StateWriteFailed',
        `writes to ${file} failed from ${since} until ${rfc3339(clock.now())} (${codeOf(error)}: ${error.message}): ` +
          `${problem.refusedWrites} change(s) were refused, not stored`,
      );
    },

    onLogProblem(launch, problem) {
      const pod = { kind: 'Pod', namespace: launch.namespace, name: launch.podName, uid: launch.podUid };
      const involved = { ...pod, apiVersion: 'v1', fieldPath: `spec.containers{${launch.containerName}}` };
      const who = `container "${launch.containerName}" of pod ${launch.namespace}/${launch.podName}`;
      if (problem.kind === 'failed') {
        const message =
          `cannot write the log of ${who} to ${problem.path}: ${problem.error.message}; its output is dropped ` +
          `until the disk takes writes again (the container keeps running)`;
        log(`podvisor: ${message}`);
        recorder?.record(involved, 'Warning', 'LogWriteFailed', message);
        return;
      }
      const message =
        `the log of ${who} is written again; ${problem.droppedBytes} bytes (${problem.droppedRecords} log ` +
        `records) of output were dropped while ${problem.path} could not be written (${codeOf(problem.error)})`;
      log(`podvisor: ${message}`);
      recorder?.record(involved, 'Normal', 'LogWriteResumed', message);
    },
  };
}
