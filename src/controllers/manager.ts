import { EventRecorderImpl } from '../store/event-recorder.js';
import type { EventRecorder, ObjectStore } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import { DeploymentController } from './deployment.js';
import { EndpointsController } from './endpoints.js';
import { GarbageCollector } from './garbage-collector.js';
import { REPLICATION_CONTROLLER_KIND, ReplicaSetController } from './replicaset.js';

/**
 * The controller manager (kube-controller-manager): starts every controller on the store and
 * stops them together. Each controller records events under its own component name
 * (`replicaset-controller`, `replication-controller`, ...), as upstream's per-controller recorders do.
 */
export interface ControllerManagerOptions {
  store: ObjectStore;
  clock: Clock;
  /** A recorder per component; by default an EventRecorderImpl on the store. */
  recorderFor?: (component: string) => EventRecorder;
  /** The events' source.host. */
  host?: string;
}

export interface RunningControllers {
  stop(): void;
}

interface Startable {
  start(): void;
  stop(): void;
}

export function startControllers(opts: ControllerManagerOptions): RunningControllers {
  const recorderFor =
    opts.recorderFor ??
    ((component: string): EventRecorder =>
      new EventRecorderImpl(opts.store, opts.clock, {
        component,
        ...(opts.host ? { host: opts.host } : {}),
      }));
  const { store, clock } = opts;
  const controllers: Startable[] = [
    new ReplicaSetController({ store, clock, recorder: recorderFor('replicaset-controller') }),
    new ReplicaSetController({
      store,
      clock,
      recorder: recorderFor('replication-controller'),
      kind: REPLICATION_CONTROLLER_KIND,
    }),
    new DeploymentController({ store, clock, recorder: recorderFor('deployment-controller') }),
    new GarbageCollector({ store, clock }),
    // Endpoints and EndpointSlices for Services (issue 4 item 2); the proxy reads them.
    new EndpointsController({ store, clock }),
  ];
  for (const c of controllers) c.start();
  return {
    stop() {
      for (const c of [...controllers].reverse()) c.stop();
    },
  };
}
