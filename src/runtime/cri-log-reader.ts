/**
 * Reads one container instance's CRI log files the way `kubectl logs` shows them (the kubelet's
 * kuberuntime/logs ReadLogs): whole lines, optionally with their timestamps, filtered by
 * sinceSeconds and tailLines, and with `follow` keeps reading until the instance has exited.
 *
 * Files are opened all at once (synchronously, so a rotation cannot slip in between) and then
 * read through their descriptors, which stay valid when the writer renames or deletes the files.
 * Tails are read backwards from the end, so `--tail` and FallbackToLogsOnError stay cheap on big
 * logs. Following waits on the writer's notifications; nothing polls.
 */
import { closeSync, fstatSync, openSync, read, readdirSync } from 'node:fs';
import type { CriLogWriter } from './cri-log-writer.js';
import {
  criTimestamp,
  LineAssembler,
  parseCriTimestamp,
  parseRecord,
  renderLine,
  type CriRecord,
  type LogLine,
} from './cri-log-format.js';
import { logFile, rotatedLogFile } from './pod-paths.js';

const CHUNK = 64 * 1024;

export interface InstanceLogSource {
  dir: string;
  attempt: number;
  /** Present while podvisor is writing this instance's log; followed until it closes. */
  writer?: CriLogWriter;
}

export interface InstanceReadOptions {
  /** Lines from the end; negative or undefined = all. */
  tailLines?: number;
  /** Only lines stamped at or after this epoch ms. */
  sinceMs?: number;
  timestamps?: boolean;
  follow?: boolean;
  signal?: AbortSignal;
}

function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

function openQuietly(path: string | undefined): number | undefined {
  if (path === undefined) return undefined;
  try {
    return openSync(path, 'r');
  } catch {
    return undefined;
  }
}

function parseAll(text: string, out: CriRecord[]): void {
  for (const line of text.split('\n')) {
    const record = parseRecord(line);
    if (record) out.push(record);
  }
}

/** Complete records from `start`; reports where the last complete one ended (a torn write waits). */
async function recordsForward(fd: number, start: number, progress: { offset: number }): Promise<CriRecord[]> {
  const out: CriRecord[] = [];
  let buf = Buffer.allocUnsafe(CHUNK);
  let pos = start;
  for (;;) {
    const n = await readAt(fd, buf, buf.length, pos);
    if (n === 0) break;
    const last = buf.lastIndexOf(10, n - 1);
    if (last < 0) {
      if (n < buf.length) break;
      buf = Buffer.allocUnsafe(buf.length * 2);
      continue;
    }
    parseAll(buf.toString('utf8', 0, last), out);
    pos += last + 1;
    // One read's worth per call: records wait while the caller streams them out, and a big
    // batch of them outlives the young generation during a flood.
    if (out.length > 0) break;
  }
  progress.offset = pos;
  return out;
}

/** Records before `end` (which ends a record), newest first, `CHUNK` bytes per read. */
async function* recordsBackward(fd: number, end: number): AsyncGenerator<CriRecord> {
  let pos = end;
  let head = Buffer.alloc(0);
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const chunk = Buffer.allocUnsafe(len);
    const n = await readAt(fd, chunk, len, pos);
    const buf = head.length > 0 ? Buffer.concat([chunk.subarray(0, n), head]) : chunk.subarray(0, n);
    // The bytes before the first newline belong to a record that started in an earlier chunk.
    const split = pos === 0 ? -1 : buf.indexOf(10);
    if (split < 0 && pos > 0) {
      head = Buffer.from(buf);
      continue;
    }
    head = Buffer.from(buf.subarray(0, split + 1));
    const records: CriRecord[] = [];
    parseAll(buf.toString('utf8', split + 1, Math.max(split + 1, buf.length - 1)), records);
    for (let i = records.length - 1; i >= 0; i--) yield records[i] as CriRecord;
  }
}

/** Where the last complete record of a growing file ends. */
async function completeEnd(fd: number): Promise<number> {
  const size = fstatSync(fd).size;
  let pos = size;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len);
    const n = await readAt(fd, buf, len, pos);
    const last = buf.subarray(0, n).lastIndexOf(10);
    if (last >= 0) return pos + last + 1;
  }
  return 0;
}

/** Rotated files of an instance on disk, oldest first, then the live file. */
function filesOnDisk(dir: string, attempt: number): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const pattern = new RegExp(`^${attempt}\\.log\\.(\\d+)$`);
  const rotated = names
    .map((n) => Number(pattern.exec(n)?.[1] ?? Number.NaN))
    .filter((i) => Number.isInteger(i))
    .sort((a, b) => b - a)
    .map((i) => rotatedLogFile(dir, attempt, i));
  return [...rotated, logFile(dir, attempt)];
}

interface Snapshot {
  /** Oldest first; the last one is the live file. */
  fds: number[];
  /** The writer's generation of the live file. */
  generation: number;
}

function takeSnapshot(source: InstanceLogSource): Snapshot {
  const { writer } = source;
  if (!writer || writer.closed) {
    const fds = filesOnDisk(source.dir, source.attempt)
      .map(openQuietly)
      .filter((fd): fd is number => fd !== undefined);
    return { fds, generation: 0 };
  }
  const fds: number[] = [];
  for (let g = writer.oldestGeneration(); g <= writer.generation; g++) {
    const fd = openQuietly(writer.fileFor(g));
    if (fd !== undefined) fds.push(fd);
  }
  return { fds, generation: writer.generation };
}

/** Wakes a follower when the writer reports progress or the reader is aborted. */
class Wakeup {
  private dirty = false;
  private resolve: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly onAbort = (): void => this.poke();

  constructor(
    writer: CriLogWriter,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.unsubscribe = writer.subscribe(() => this.poke());
    signal?.addEventListener('abort', this.onAbort);
  }

  private poke(): void {
    this.dirty = true;
    this.resolve?.();
  }

  clear(): void {
    this.dirty = false;
  }

  wait(): Promise<void> {
    if (this.dirty || this.signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.resolve = () => {
        this.resolve = undefined;
        resolve();
      };
    });
  }

  dispose(): void {
    this.unsubscribe();
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

function keep(line: LogLine, sinceMs: number | undefined): boolean {
  return sinceMs === undefined || !(parseCriTimestamp(line.timestamp) < sinceMs);
}

/** The last `tail` lines (and the offset in the live file they end at), read from the end. */
async function readTail(
  fds: number[],
  tail: number,
  sinceMs: number | undefined,
  assembler: LineAssembler,
): Promise<{ lines: LogLine[]; liveEnd: number }> {
  const collected: CriRecord[] = [];
  let whole = 0;
  let cutShort = false;
  const liveFd = fds[fds.length - 1];
  const liveEnd = liveFd === undefined ? 0 : await completeEnd(liveFd);
  outer: for (let i = fds.length - 1; i >= 0; i--) {
    const fd = fds[i] as number;
    for await (const record of recordsBackward(fd, fd === liveFd ? liveEnd : fstatSync(fd).size)) {
      if (sinceMs !== undefined && parseCriTimestamp(record.timestamp) < sinceMs) break outer;
      collected.push(record);
      // One complete line more than asked for, whose beginning may be missing: dropped below.
      if (!record.partial && ++whole > tail) {
        cutShort = true;
        break outer;
      }
    }
  }
  collected.reverse();
  const lines: LogLine[] = [];
  for (const [i, record] of collected.entries()) {
    if (cutShort && i === 0) continue;
    const line = assembler.push(record);
    if (line) lines.push(line);
  }
  return { lines, liveEnd };
}

/**
 * What a follower says when generations `from` … `to - 1` were deleted by rotation before it got
 * to them: the exact bytes and records lost, from the writer's bookkeeping.
 */
export function skippedLine(writer: CriLogWriter, from: number, to: number, timestamps: boolean): string {
  const end = writer.startOf(to);
  const exact = writer.startOf(from);
  // Lagging more than the writer remembers: count from the oldest start it still knows.
  const start = exact ?? writer.startOf(writer.oldestKnownGeneration());
  const bytes = end && start ? end.bytes - start.bytes : 0;
  const records = end && start ? end.records - start.records : 0;
  const text =
    `podvisor: skipped ${exact ? '' : 'at least '}${bytes} bytes (${records} log records) of this ` +
    `container's output: the log was rotated away before it could be read ` +
    `(--container-log-max-size and --container-log-max-files keep more)`;
  return timestamps ? `${criTimestamp(end?.at ?? Date.now())} ${text}` : text;
}

/** Lines of one instance's log in `kubectl logs` form, without trailing newlines. */
export async function* readInstanceLog(
  source: InstanceLogSource,
  opts: InstanceReadOptions = {},
): AsyncGenerator<string> {
  const snapshot = takeSnapshot(source);
  const { fds } = snapshot;
  const timestamps = opts.timestamps ?? false;
  const assembler = new LineAssembler();
  const writer = source.writer && !source.writer.closed ? source.writer : undefined;
  const following = opts.follow === true && writer !== undefined;
  const wake = following && writer ? new Wakeup(writer, opts.signal) : undefined;
  let liveFd = fds[fds.length - 1];
  let offset = 0;
  try {
    if (opts.tailLines !== undefined && opts.tailLines >= 0) {
      const tail = opts.tailLines;
      const { lines, liveEnd } = await readTail(fds, tail, opts.sinceMs, assembler);
      if (!following) lines.push(...assembler.flush());
      for (const line of lines.slice(Math.max(0, lines.length - tail))) yield renderLine(line, timestamps);
      offset = liveEnd;
    } else {
      const progress = { offset: 0 };
      for (const fd of fds) {
        progress.offset = 0;
        for (;;) {
          const records = await recordsForward(fd, progress.offset, progress);
          if (records.length === 0) break;
          for (const record of records) {
            const line = assembler.push(record);
            if (line && keep(line, opts.sinceMs)) yield renderLine(line, timestamps);
          }
        }
      }
      offset = progress.offset;
    }
    if (!following || !writer || !wake || liveFd === undefined) {
      // A pending piece is shown as it stands, as the kubelet prints a trailing `P` record.
      for (const line of assembler.flush()) if (keep(line, opts.sinceMs)) yield renderLine(line, timestamps);
      return;
    }
    let generation = snapshot.generation;
    for (;;) {
      wake.clear();
      const rotated = writer.generation !== generation;
      const ended = writer.closed;
      const progress = { offset };
      for (;;) {
        const records = await recordsForward(liveFd, progress.offset, progress);
        if (records.length === 0) break;
        for (const record of records) {
          const line = assembler.push(record);
          if (line && keep(line, opts.sinceMs)) yield renderLine(line, timestamps);
        }
      }
      offset = progress.offset;
      if (rotated) {
        // The old file is complete (rotation happens between writes): move to the next one. If
        // the writer rotated it away meanwhile, the reader jumps to the oldest kept and says so.
        const wanted = generation + 1;
        generation = Math.max(wanted, writer.oldestGeneration());
        const next = openQuietly(writer.fileFor(generation));
        if (next === undefined) break;
        fds.push(next);
        liveFd = next;
        offset = 0;
        if (generation > wanted) {
          for (const line of assembler.flush()) yield renderLine(line, timestamps);
          yield skippedLine(writer, wanted, generation, timestamps);
        }
        continue;
      }
      if (ended) {
        for (const line of assembler.flush()) yield renderLine(line, timestamps);
        break;
      }
      if (opts.signal?.aborted) break;
      await wake.wait();
      if (opts.signal?.aborted) break;
    }
  } finally {
    wake?.dispose();
    for (const fd of fds) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}
