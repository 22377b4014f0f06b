/**
 * What a process costs, read from /proc as `ps` would (no cooperation from the process needed):
 * resident memory and open file descriptors. Used by the soak benchmark and the flood tests.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** VmRSS of `pid` in MiB; NaN once the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors of `pid` (entries of /proc/<pid>/fd); NaN once the process is gone. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** Samples `read()` every `everyMs` until stopped; keeps every sample (a few thousand at most). */
export class Sampler<T> {
  readonly samples: { at: number; value: T }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(read: () => T, everyMs: number) {
    const take = (): void => {
      this.samples.push({ at: Date.now(), value: read() });
    };
    take();
    this.timer = setInterval(take, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
