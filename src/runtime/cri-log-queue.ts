/**
 * The CRI log writer's queue of formatted records waiting for the disk. The records of one chunk
 * of output become one buffer: a flood of short lines then costs one allocation per pipe read,
 * not one per line that would outlive a scavenge while it waits. Buffers hold whole records
 * only (each ends with its newline), so a batch can be cut at any newline.
 */

/** Bytes up to and including the first record's newline. */
function firstRecordEnd(buf: Buffer): number {
  return buf.indexOf(10) + 1 || buf.length;
}

function countRecords(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

export interface RecordBatch {
  batch: Buffer;
  bytes: number;
  records: number;
}

export class RecordQueue {
  /** Bytes queued (committed, not yet taken). */
  bytes = 0;
  private buffers: Buffer[] = [];
  /** Records in each queued buffer, so that what a failed write drops can be counted. */
  private counts: number[] = [];
  private staged: { header: string; content: Buffer }[] = [];
  private stagedBytes = 0;

  /** Adds a record (`header` is latin1, the newline is added) to the chunk being formatted. */
  stage(header: string, content: Buffer): void {
    this.staged.push({ header, content });
    this.stagedBytes += header.length + content.length + 1;
  }

  /** Queues the staged records as one buffer; returns how many records that was. */
  commit(): number {
    const n = this.staged.length;
    if (n === 0) return 0;
    const out = Buffer.allocUnsafe(this.stagedBytes);
    let pos = 0;
    for (const { header, content } of this.staged) {
      pos += out.write(header, pos, 'latin1');
      pos += content.copy(out, pos);
      out[pos++] = 10;
    }
    this.buffers.push(out);
    this.counts.push(n);
    this.bytes += out.length;
    this.staged = [];
    this.stagedBytes = 0;
    return n;
  }

  get empty(): boolean {
    return this.buffers.length === 0;
  }

  /** Size of the first queued record (0 when empty). */
  firstRecordBytes(): number {
    const first = this.buffers[0];
    return first ? firstRecordEnd(first) : 0;
  }

  /** Whole records from the front, at most `room` bytes, or the first record alone when it is larger. */
  take(room: number): RecordBatch {
    const parts: Buffer[] = [];
    let bytes = 0;
    let records = 0;
    for (let buf = this.buffers[0]; buf; buf = this.buffers[0]) {
      const count = this.counts[0] ?? 0;
      if (bytes + buf.length <= room) {
        parts.push(buf);
        bytes += buf.length;
        records += count;
        this.buffers.shift();
        this.counts.shift();
        continue;
      }
      if (bytes >= room) break;
      const cut =
        parts.length === 0 && room < firstRecordEnd(buf)
          ? firstRecordEnd(buf)
          : buf.lastIndexOf(10, room - bytes - 1) + 1;
      if (cut > 0) {
        const part = buf.subarray(0, cut);
        const n = countRecords(part);
        parts.push(part);
        bytes += cut;
        records += n;
        if (cut === buf.length) {
          // A single record larger than the room: taken whole, nothing of it stays queued.
          this.buffers.shift();
          this.counts.shift();
        } else {
          this.buffers[0] = buf.subarray(cut);
          this.counts[0] = count - n;
        }
      }
      break;
    }
    this.bytes -= bytes;
    const batch = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes);
    return { batch, bytes, records };
  }

  /** Drops everything queued; returns what was dropped. */
  clear(): { bytes: number; records: number } {
    const dropped = { bytes: this.bytes, records: this.counts.reduce((a, b) => a + b, 0) };
    this.buffers = [];
    this.counts = [];
    this.bytes = 0;
    return dropped;
  }
}
