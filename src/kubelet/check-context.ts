import type { CheckLogSource } from '../probe/checks/types.js';
import type { ContainerRuntime, TimedLine } from '../runtime/types.js';

/**
 * Where podvisor's in-process checks (`podvisor check log|silence|conn` inside an exec probe) read
 * a container instance's output and processes. At 100 checks/s nothing may re-read a log file per
 * run: each instance that a log check looks at gets a LogWindow, fed line by line from the
 * runtime's output tap and backfilled once from the log file (so output from before the first
 * check, e.g. a late first probe, is seen too).
 *
 * Memory bound per window: at most LOG_WINDOW_MAX_LINES lines and LOG_WINDOW_MAX_CHARS UTF-16
 * units of text (≤ 1 MiB of strings), each line cut to LOG_LINE_MAX_CHARS; the oldest line goes
 * first. Only instances that a log/silence check has read have a window; it is dropped when the
 * container's next instance is checked, or the pod leaves the kubelet.
 */
export const LOG_WINDOW_MAX_LINES = 2000;
export const LOG_WINDOW_MAX_CHARS = 512 * 1024;
export const LOG_LINE_MAX_CHARS = 4096;

type LogRuntime = Pick<ContainerRuntime, 'tapOutput' | 'recentLines' | 'lastOutputAt'>;

/** The newest lines of one instance's output, oldest first, in a preallocated ring. */
export class LogWindow {
  private readonly texts: string[];
  private readonly times: Float64Array;
  private head = 0;
  private count = 0;
  private chars = 0;
  private ready: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Lines tapped while the backfill reads the file: merged after it. */
  private early: TimedLine[] | undefined;
  private disposed = false;
  /** Why the backfill failed, if it did (the window then holds only what was tapped). */
  backfillError: string | undefined;

  constructor(
    private readonly runtime: LogRuntime,
    private readonly instanceId: string,
    readonly maxLines = LOG_WINDOW_MAX_LINES,
    readonly maxChars = LOG_WINDOW_MAX_CHARS,
  ) {
    this.texts = new Array<string>(maxLines).fill('');
    this.times = new Float64Array(maxLines);
  }

  get size(): number {
    return this.count;
  }

  get textChars(): number {
    return this.chars;
  }

  /** Subscribes to the tap and backfills from the log file, once. */
  ensure(): Promise<void> {
    if (this.ready) return this.ready;
    const started = this.start();
    // Kept only when the tap is on (set synchronously by start); a runtime that cannot tap this
    // instance has each use read the file again, so the window is never stale.
    if (this.unsubscribe) this.ready = started;
    return started;
  }

  private async start(): Promise<void> {
    this.clear();
    this.early = [];
    this.unsubscribe = this.runtime.tapOutput?.(this.instanceId, (text, at) => this.tapped(text, at));
    let backfill: TimedLine[] = [];
    try {
      backfill = (await this.runtime.recentLines?.(this.instanceId, this.maxLines)) ?? [];
    } catch (err) {
      this.backfillError = err instanceof Error ? err.message : String(err);
    }
    const early = this.early;
    this.early = undefined;
    if (this.disposed) return;
    for (const line of backfill) this.add(line.text, line.at);
    // Lines tapped after subscribing may also have reached the file before it was read.
    for (let i = overlap(backfill, early); i < early.length; i++) {
      const line = early[i] as TimedLine;
      this.add(line.text, line.at);
    }
  }

  private tapped(text: string, at: number): void {
    const cut = text.length > LOG_LINE_MAX_CHARS ? text.slice(0, LOG_LINE_MAX_CHARS) : text;
    if (this.early) this.early.push({ text: cut, at });
    else this.add(cut, at);
  }

  add(text: string, at: number): void {
    const line = text.length > LOG_LINE_MAX_CHARS ? text.slice(0, LOG_LINE_MAX_CHARS) : text;
    if (this.count === this.maxLines) this.dropOldest();
    const i = (this.head + this.count) % this.maxLines;
    this.texts[i] = line;
    this.times[i] = at;
    this.count++;
    this.chars += line.length;
    while (this.chars > this.maxChars && this.count > 1) this.dropOldest();
  }

  private dropOldest(): void {
    this.chars -= (this.texts[this.head] ?? '').length;
    this.texts[this.head] = '';
    this.head = (this.head + 1) % this.maxLines;
    this.count--;
  }

  /** Lines written at or after `sinceMs`, oldest first. */
  linesSince(sinceMs: number): string[] {
    let first = this.count;
    // Times only grow: find the first line in the window from the newest end.
    while (first > 0 && (this.times[(this.head + first - 1) % this.maxLines] ?? 0) >= sinceMs) first--;
    const out: string[] = [];
    for (let n = first; n < this.count; n++) out.push(this.texts[(this.head + n) % this.maxLines] ?? '');
    return out;
  }

  /** When the newest line in the window was written. */
  newest(): number | undefined {
    return this.count === 0 ? undefined : this.times[(this.head + this.count - 1) % this.maxLines];
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.clear();
  }

  private clear(): void {
    this.head = 0;
    this.count = 0;
    this.chars = 0;
    this.texts.fill('');
  }
}

/** How many leading lines of `tapped` are the trailing lines of `file` (same time and text). */
function overlap(file: readonly TimedLine[], tapped: readonly TimedLine[]): number {
  for (let k = Math.min(file.length, tapped.length); k > 0; k--) {
    let same = true;
    for (let j = 0; j < k && same; j++) {
      const a = file[file.length - k + j] as TimedLine;
      const b = tapped[j] as TimedLine;
      same = a.at === b.at && a.text.slice(0, LOG_LINE_MAX_CHARS) === b.text;
    }
    if (same) return k;
  }
  return 0;
}

/** What a check run gets from the instance it checks. */
export interface InstanceCheckSources {
  logs: CheckLogSource;
  pids: () => number[];
}

interface Entry {
  instanceId: string;
  sources: InstanceCheckSources;
  window: LogWindow | undefined;
}

/** Per kubelet: the check sources of each container's current instance (one window each at most). */
export class CheckSourceRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly runtime: ContainerRuntime) {}

  /** The sources of `instanceId` (cached: the same object for every run against that instance). */
  forInstance(
    podUid: string,
    container: string,
    instanceId: string,
    startedAt: number,
  ): InstanceCheckSources {
    const key = `${podUid}/${container}`;
    const known = this.entries.get(key);
    if (known?.instanceId === instanceId) return known.sources;
    known?.window?.dispose();
    const runtime = this.runtime;
    const entry: Entry = {
      instanceId,
      window: undefined,
      sources: {
        pids: () => runtime.processes(instanceId),
        logs: {
          linesSince: async (sinceMs) => {
            const window = this.windowOf(entry);
            await window.ensure();
            return window.linesSince(sinceMs);
          },
          lastOutputAt: async () => {
            const at = runtime.lastOutputAt?.(instanceId);
            if (at !== undefined) return at;
            const window = this.windowOf(entry);
            await window.ensure();
            return window.newest();
          },
          startedAt: async () => startedAt,
        },
      },
    };
    this.entries.set(key, entry);
    return entry.sources;
  }

  private windowOf(entry: Entry): LogWindow {
    entry.window ??= new LogWindow(this.runtime, entry.instanceId);
    return entry.window;
  }

  /** The pod left the kubelet: its windows go. */
  releasePod(podUid: string): void {
    const prefix = `${podUid}/`;
    for (const [key, entry] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      entry.window?.dispose();
      this.entries.delete(key);
    }
  }

  /** Windows alive now (for tests and stats). */
  windows(): LogWindow[] {
    const out: LogWindow[] = [];
    for (const e of this.entries.values()) if (e.window) out.push(e.window);
    return out;
  }
}
