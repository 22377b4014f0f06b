import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { DeploymentController } from '../../../src/controllers/deployment.js';
import type { Deployment, ReplicaSet } from '../../../src/controllers/deployment-util.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { EventRecorder } from '../../../src/store/types.js';
import { FakeClock, settle } from '../../../src/util/clock.js';

/**
 * A Deployment controller on a MemoryStore and FakeClock, with a stand-in for the ReplicaSet
 * controller: `reconcileReplicaSets` makes each ReplicaSet's status follow its spec, its pods
 * ready (and available) unless the test says their template never becomes ready.
 */
export interface RecordedEvent {
  name: string;
  type: string;
  reason: string;
  message: string;
}

export class DeploymentHarness {
  readonly clock = new FakeClock();
  readonly store = new MemoryStore({ clock: this.clock });
  readonly events: RecordedEvent[] = [];
  readonly controller: DeploymentController;
  /** Images whose pods never pass readiness. */
  readonly neverReady = new Set<string>();

  constructor() {
    const recorder: EventRecorder = {
      record: (involved, type, reason, message) =>
        this.events.push({ name: involved.name, type, reason, message }),
    };
    this.controller = new DeploymentController({ store: this.store, clock: this.clock, recorder });
    this.controller.start();
  }

  stop(): void {
    this.controller.stop();
  }

  createDeployment(name: string, spec: Deployment['spec'], annotations?: Record<string, string>): Deployment {
    return this.store.create<Deployment>('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default', annotations },
      spec,
    });
  }

  deployment(name: string): Deployment {
    const d = this.store.get<Deployment>('deployments', 'default', name);
    if (!d) throw new Error(`no deployment ${name}`);
    return d;
  }

  updateDeployment(name: string, change: (d: Deployment) => void): Deployment {
    const d = this.deployment(name);
    change(d);
    return this.store.update('deployments', d);
  }

  replicaSets(): ReplicaSet[] {
    return this.store.list<ReplicaSet>('replicasets', { namespace: 'default' }).items;
  }

  /** `{ rsName: spec.replicas }` for a compact view of the rollout. */
  sizes(): Record<string, number> {
    return Object.fromEntries(this.replicaSets().map((rs) => [rs.metadata.name, rs.spec?.replicas ?? 0]));
  }

  /** One step of the ReplicaSet controller's work; returns whether any status changed. */
  reconcileReplicaSets(): boolean {
    let changed = false;
    for (const rs of this.replicaSets()) {
      const want = rs.spec?.replicas ?? 0;
      const image = rs.spec?.template?.spec?.containers[0]?.image ?? '';
      const ready = this.neverReady.has(image) ? 0 : want;
      const status = {
        replicas: want,
        fullyLabeledReplicas: want,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: rs.metadata.generation,
      };
      if (JSON.stringify(rs.status) === JSON.stringify(status)) continue;
      this.store.update<ReplicaSet>('replicasets', { ...rs, status });
      changed = true;
    }
    return changed;
  }

  /** Lets the controller react, one ReplicaSet-controller step at a time, until nothing moves. */
  async converge(onStep?: () => void): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await settle();
      onStep?.();
      if (!this.reconcileReplicaSets()) {
        await settle();
        if (!this.reconcileReplicaSets()) return;
      }
    }
    throw new Error('the rollout did not settle in 100 steps');
  }
}

export function template(image: string, app = 'web'): PodTemplateSpec {
  return {
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'app', image, command: ['sleep', '1000'] }] },
  };
}

export function condition(
  d: Deployment,
  type: string,
): { status?: string; reason?: string; message?: string } {
  return d.status?.conditions?.find((c) => c.type === type) ?? {};
}
