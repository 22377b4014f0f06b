/**
 * Writes one container instance's stdout and stderr into CRI log files, as containerd does for
 * the kubelet: `<attempt>.log`, rotated by size into `<attempt>.log.1` (newest) … `.<maxFiles-1>`
 * (oldest), so at most `maxFiles` files per instance (kubelet containerLogMaxSize/MaxFiles; the
 * kubelet names rotated files by timestamp and gzips them, podvisor numbers them and keeps text).
 *
 * Output is batched: records queue in memory and go to disk in one write per batch. When the
 * disk falls behind, the pipes are paused (the container then blocks on write, as it would with
 * a slow log driver), so memory stays bounded however much a container prints.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, write } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Clock } from '../util/clock.js';
import { criTimestamp, MAX_RECORD_CONTENT, type LogStream } from './cri-log-format.js';
import { RecordQueue } from './cri-log-queue.js';
import { logFile, rotatedLogFile } from './pod-paths.js';

/** Pause the pipes above this many queued bytes; resume below the low mark. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** Largest single write. */
const MAX_BATCH = 1024 * 1024;
/** Generation starts remembered (16 bytes each): far more than a lagging reader can miss. */
const KEPT_STARTS = 1024;

/**
 * The disk refused output (`failed`, once per outage), or took it again (`recovered`, with what
 * was dropped in between). The container is never stopped for it: containerd drops too.
 */
export type LogWriteProblem =
  | { kind: 'failed'; path: string; error: Error }
  | { kind: 'recovered'; path: string; droppedBytes: number; droppedRecords: number; error: Error };

export interface LogWriterOptions {
  dir: string;
  attempt: number;
  maxBytes: number;
  maxFiles: number;
  clock: Clock;
  onProblem?: (problem: LogWriteProblem) => void;
}

function writeFully(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      write(fd, buf, offset, buf.length - offset, null, (err, written) => {
        if (err) reject(err);
        else if (offset + written < buf.length) step(offset + written);
        else resolve();
      });
    };
    step(0);
  });
}

/** Where a generation starts in the instance's whole output, for readers that fall behind. */
export interface GenerationStart {
  bytes: number;
  records: number;
  /** When the generation began (epoch ms). */
  at: number;
}

/** Cuts at most `limit` bytes without splitting a UTF-8 sequence (unless the bytes are not UTF-8). */
function utf8Cut(buf: Buffer, limit: number): number {
  if (buf.length <= limit) return buf.length;
  let cut = limit;
  while (cut > limit - 4 && cut > 0 && ((buf[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return cut > limit - 4 && cut > 0 ? cut : limit;
}

/** Receives one line of output (no newline) and when it was written (epoch ms). */
export type OutputTap = (line: string, at: number) => void;

interface Source {
  stream: Readable;
  name: LogStream;
  /** Bytes of an unfinished line. */
  carry: Buffer[];
  carryBytes: number;
  done: boolean;
}

export class CriLogWriter {
  readonly path: string;
  /** Bumped on every rotation; a reader holding generation g finds its file with fileFor(g). */
  generation = 0;
  /** All sources ended and every byte is on disk. */
  closed = false;
  /** The last write error, if the disk failed us (output is then dropped, the container runs on). */
  lastError: Error | undefined;
  /** When the container last wrote any byte (epoch ms), for `check silence`; undefined before. */
  lastOutputAt: number | undefined;

  private fd: number;
  private size: number;
  private readonly queue = new RecordQueue();
  private writes = 0;
  private records = 0;
  /** Bytes and records on disk before the live file, and where each kept generation began. */
  private writtenBytes = 0;
  private writtenRecords = 0;
  private readonly starts: GenerationStart[];
  /** Set while the disk refuses writes: the first error and what has been dropped since. */
  private outage: { error: Error; bytes: number; records: number } | undefined;
  private writing = false;
  private paused = false;
  private readonly sources: Source[] = [];
  private readonly listeners = new Set<() => void>();
  /** Output taps (in-process `check log`): each line's content as it is queued, with its stamp. */
  private readonly taps = new Set<OutputTap>();
  private readonly closedWaiters: Array<() => void> = [];

  private constructor(private readonly opts: LogWriterOptions) {
    // Logs are private whatever the umask (SECURITY.md §3).
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    this.path = logFile(opts.dir, opts.attempt);
    // Append: a reused attempt number continues its file, as the CRI runtimes do.
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
    this.starts = [{ bytes: 0, records: 0, at: opts.clock.now() }];
  }

  static open(opts: LogWriterOptions): CriLogWriter {
    return new CriLogWriter(opts);
  }

  /** The file that holds generation `g` now, or undefined once rotation has deleted it. */
  fileFor(g: number): string | undefined {
    if (g === this.generation) return this.path;
    const index = this.generation - g;
    if (index >= 1 && index <= this.opts.maxFiles - 1)
      return rotatedLogFile(this.opts.dir, this.opts.attempt, index);
    return undefined;
  }

  /** Bytes formatted but not yet on disk (bounded by the backpressure marks). */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /** How many write calls and records so far (batching: far fewer writes than records). */
  get counters(): { writes: number; records: number } {
    return { writes: this.writes, records: this.records };
  }

  /**
   * How many bytes and records this writer put on disk before generation `g` (for the last
   * KEPT_STARTS generations), so a reader that lost generations to rotation can say how much.
   */
  startOf(g: number): GenerationStart | undefined {
    return this.starts[g - (this.generation - (this.starts.length - 1))];
  }

  /** The oldest generation startOf() still knows. */
  oldestKnownGeneration(): number {
    return this.generation - (this.starts.length - 1);
  }

  /** The oldest generation whose file still exists. */
  oldestGeneration(): number {
    return Math.max(0, this.generation - (this.opts.maxFiles - 1));
  }

  /** Called after every write, rotation and the final close. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Hands every line (or 16 KiB piece of a longer one) to `tap` as it is queued, with the same
   * time the CRI record is stamped with; returns the unsubscribe. Costs nothing while no tap is set.
   */
  tapOutput(tap: OutputTap): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  attach(stream: Readable, name: LogStream): void {
    const source: Source = { stream, name, carry: [], carryBytes: 0, done: false };
    this.sources.push(source);
    stream.on('data', (chunk: Buffer) => this.onData(source, chunk));
    const finish = (): void => this.onSourceDone(source);
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
    if (this.paused) stream.pause();
  }

  /** Resolves when every source has ended and all output is on disk. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** Gives up on sources still open (a process that escaped still holds the pipe). */
  abandonSources(): void {
    for (const s of this.sources) if (!s.done) s.stream.destroy();
  }

  private onData(source: Source, chunk: Buffer): void {
    // One time for the chunk: its records carry the time lastOutputAt says (never later).
    const at = this.opts.clock.now();
    if (chunk.length > 0) this.lastOutputAt = at;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      let content = chunk.subarray(start, nl);
      if (source.carryBytes > 0) {
        content = Buffer.concat([...source.carry, content], source.carryBytes + content.length);
        source.carry = [];
        source.carryBytes = 0;
      }
      this.emitLine(source.name, content, false, at);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      source.carry.push(rest);
      source.carryBytes += rest.length;
      if (source.carryBytes >= MAX_RECORD_CONTENT) {
        const all = Buffer.concat(source.carry, source.carryBytes);
        const cut = all.length - (all.length % MAX_RECORD_CONTENT);
        const keep = utf8Cut(all, cut);
        this.emitLine(source.name, all.subarray(0, keep), true, at);
        const tail = Buffer.from(all.subarray(keep));
        source.carry = tail.length > 0 ? [tail] : [];
        source.carryBytes = tail.length;
      }
    }
    this.pump();
  }

  /** Splits content into 16 KiB `P` records; the last record is `F` unless `unfinished`. */
  private emitLine(
    stream: LogStream,
    content: Buffer,
    unfinished: boolean,
    at = this.opts.clock.now(),
  ): void {
    if (this.taps.size > 0 && (content.length > 0 || !unfinished)) {
      const text = content.toString('utf8');
      for (const tap of this.taps) tap(text, at);
    }
    let rest = content;
    while (rest.length > MAX_RECORD_CONTENT) {
      const cut = utf8Cut(rest, MAX_RECORD_CONTENT);
      this.enqueue(stream, 'P', rest.subarray(0, cut), at);
      rest = rest.subarray(cut);
    }
    if (rest.length > 0 || !unfinished) this.enqueue(stream, unfinished ? 'P' : 'F', rest, at);
  }

  private enqueue(stream: LogStream, tag: 'P' | 'F', content: Buffer, at: number): void {
    this.queue.stage(`${criTimestamp(at)} ${stream} ${tag} `, content);
  }

  /** The records of the chunk just read join the queue as one buffer. */
  private commitStaged(): void {
    this.records += this.queue.commit();
    if (!this.paused && this.queue.bytes > HIGH_WATER) {
      this.paused = true;
      for (const s of this.sources) s.stream.pause();
    }
  }

  private onSourceDone(source: Source): void {
    if (source.done) return;
    source.done = true;
    if (source.carryBytes > 0) {
      // The stream ended in the middle of a line: containerd writes it as a partial record.
      this.emitLine(source.name, Buffer.concat(source.carry, source.carryBytes), true);
      source.carry = [];
      source.carryBytes = 0;
    }
    this.pump();
  }

  private pump(): void {
    this.commitStaged();
    if (this.writing || this.closed) return;
    if (this.queue.empty) {
      if (this.sources.length > 0 && this.sources.every((s) => s.done)) this.finish();
      return;
    }
    this.writing = true;
    void this.writeBatch().finally(() => {
      this.writing = false;
      this.pump();
    });
  }

  private async writeBatch(): Promise<void> {
    const firstRecord = this.queue.firstRecordBytes();
    if (firstRecord === 0) return;
    try {
      if (this.fd < 0 || (this.size > 0 && this.size + firstRecord > this.opts.maxBytes)) this.rotate();
      const { batch, bytes, records } = this.queue.take(Math.min(MAX_BATCH, this.opts.maxBytes - this.size));
      try {
        this.writes++;
        await writeFully(this.fd, batch);
        this.size += bytes;
        this.writtenBytes += bytes;
        this.writtenRecords += records;
        this.recovered();
      } catch (err) {
        // A torn record would run into the next one: cut the file back to its last whole record.
        try {
          ftruncateSync(this.fd, this.size);
        } catch {
          // the descriptor itself failed; the next rotation reopens the file
        }
        this.dropped(err as Error, bytes, records);
      }
    } catch (err) {
      // Rotation failed (disk full, permissions): drop what is queued rather than grow forever.
      const { bytes, records } = this.queue.clear();
      this.dropped(err as Error, bytes, records);
    }
    if (this.paused && this.queue.bytes < LOW_WATER) {
      this.paused = false;
      for (const s of this.sources) if (!s.done) s.stream.resume();
    }
    this.notify();
  }

  private dropped(error: Error, bytes: number, records: number): void {
    this.lastError = error;
    if (this.outage) {
      this.outage.bytes += bytes;
      this.outage.records += records;
      return;
    }
    this.outage = { error, bytes, records };
    this.opts.onProblem?.({ kind: 'failed', path: this.path, error });
  }

  private recovered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    this.opts.onProblem?.({
      kind: 'recovered',
      path: this.path,
      droppedBytes: outage.bytes,
      droppedRecords: outage.records,
      error: outage.error,
    });
  }

  /** Synchronous, so readers never see the files half-renamed. */
  private rotate(): void {
    const { dir, attempt, maxFiles } = this.opts;
    // fd < 0: an earlier rotation failed after closing; the live file is only reopened then.
    if (this.fd >= 0) {
      closeSync(this.fd);
      // Never write through a stale descriptor number if reopening fails below.
      this.fd = -1;
      if (maxFiles <= 1) {
        rmSync(this.path, { force: true });
      } else {
        rmSync(rotatedLogFile(dir, attempt, maxFiles - 1), { force: true });
        for (let i = maxFiles - 2; i >= 1; i--) {
          try {
            renameSync(rotatedLogFile(dir, attempt, i), rotatedLogFile(dir, attempt, i + 1));
          } catch {
            // that generation does not exist yet
          }
        }
        renameSync(this.path, rotatedLogFile(dir, attempt, 1));
      }
      this.generation++;
      this.starts.push({ bytes: this.writtenBytes, records: this.writtenRecords, at: this.opts.clock.now() });
      if (this.starts.length > KEPT_STARTS) this.starts.shift();
    }
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private finish(): void {
    this.closed = true;
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch {
      // already closed by a failed rotation
    }
    this.notify();
    for (const resolve of this.closedWaiters.splice(0)) resolve();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
