/**
 * How long the OS did not run this process, per time window: the test machine has 2 cores shared
 * by many agents (load 10+ is common), and a process that is not scheduled delivers every verdict
 * late, prober or not. A 5 ms ticker compares the wall time between ticks with the CPU time the
 * process used in it: a gap the process spent computing is its own lateness and is never excused;
 * a gap it spent waiting for a CPU is starvation, and verdicts falling in it may be that much later.
 */
const TICK_MS = 5;
/** Gaps shorter than this are ordinary timer jitter, not starvation. */
const MIN_STALL_MS = 5;

/** A stretch the process waited for a CPU; start and end on this process's performance clock. */
interface Stall {
  start: number;
  end: number;
  starvedMs: number;
}

/** A stall on the wall clock (epoch ms), to pass between processes. */
export interface EpochStall {
  startEpochMs: number;
  endEpochMs: number;
  starvedMs: number;
}

export class StarvationMeter {
  private readonly stalls: Stall[] = [];
  private last = performance.now();
  private lastCpu = process.cpuUsage();
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.last = performance.now();
    this.lastCpu = process.cpuUsage();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.tick();
  }

  private tick(): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const starved = now - this.last - TICK_MS - cpuMs;
    if (starved > MIN_STALL_MS) this.stalls.push({ start: this.last, end: now, starvedMs: starved });
    this.last = now;
    this.lastCpu = cpu;
  }

  /** The stalls since `sinceEpochMs`, for another process to merge (the target host's). */
  exportSince(sinceEpochMs: number): EpochStall[] {
    const origin = performance.timeOrigin;
    return this.stalls
      .filter((s) => origin + s.end >= sinceEpochMs)
      .map((s) => ({ startEpochMs: origin + s.start, endEpochMs: origin + s.end, starvedMs: s.starvedMs }));
  }

  /** Starvation (ms) within [from, to], a stall counted in proportion to its overlap. */
  starvedDuring(from: number, to: number): number {
    let total = 0;
    for (const s of this.stalls) {
      const overlap = Math.min(to, s.end) - Math.max(from, s.start);
      if (overlap > 0) total += (s.starvedMs * overlap) / (s.end - s.start);
    }
    return total;
  }

  /** The longest single stall seen. */
  longestMs(): number {
    return this.stalls.reduce((m, s) => Math.max(m, s.starvedMs), 0);
  }

  totalMs(): number {
    return this.stalls.reduce((sum, s) => sum + s.starvedMs, 0);
  }
}

/**
 * Another process's stalls (a target server starved of CPU answers late too, and a prober that
 * waits for it is right to). Windows are on this process's performance clock.
 */
export class ForeignStalls {
  private readonly stalls: Stall[];
  constructor(stalls: EpochStall[]) {
    const origin = performance.timeOrigin;
    this.stalls = stalls.map((s) => ({
      start: s.startEpochMs - origin,
      end: s.endEpochMs - origin,
      starvedMs: s.starvedMs,
    }));
  }

  starvedDuring(from: number, to: number): number {
    let total = 0;
    for (const s of this.stalls) {
      const overlap = Math.min(to, s.end) - Math.max(from, s.start);
      if (overlap > 0) total += (s.starvedMs * overlap) / (s.end - s.start);
    }
    return total;
  }

  longestMs(): number {
    return this.stalls.reduce((m, s) => Math.max(m, s.starvedMs), 0);
  }
}
