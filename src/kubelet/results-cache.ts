import type { ProbeType } from '../api/types.js';
import type { ProbeResult } from './types.js';

export interface ResultUpdate {
  probeType: ProbeType;
  containerId: string;
  podUid: string;
  result: ProbeResult;
}

/**
 * The kubelet's results manager (prober/results/results_manager.go), spec §2.4: the latest
 * verdict per container instance id, one cache per probe type. Edge-triggered: `set` reports an
 * update only when the stored value changes, so repeated equal verdicts are silent.
 */
export class ResultsCache {
  private readonly results = new Map<string, ProbeResult>();

  constructor(
    readonly probeType: ProbeType,
    private readonly onUpdate: (update: ResultUpdate) => void = () => {},
  ) {}

  get(containerId: string): ProbeResult | undefined {
    return this.results.get(containerId);
  }

  /** Stores `result`; returns true (and reports the update) only when the value changed. */
  set(containerId: string, result: ProbeResult, podUid: string): boolean {
    if (this.results.get(containerId) === result) return false;
    this.results.set(containerId, result);
    this.onUpdate({ probeType: this.probeType, containerId, podUid, result });
    return true;
  }

  /** Forgets an instance's result silently, as Remove does (no update is sent). */
  remove(containerId: string): void {
    this.results.delete(containerId);
  }

  get size(): number {
    return this.results.size;
  }
}
