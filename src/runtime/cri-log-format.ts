/**
 * The CRI log format the kubelet reads from /var/log/pods (as containerd writes it): one record
 * per line, `<RFC3339Nano timestamp> <stream> <tag> <content>`, where tag `F` ends a line and `P`
 * is a piece of a longer one (containerd splits lines at 16 KiB).
 */

export type LogStream = 'stdout' | 'stderr';

/** containerd's default max_container_log_line_size. */
export const MAX_RECORD_CONTENT = 16 * 1024;

let cachedMs = Number.NaN;
let cachedStamp = '';

/** Fixed-width RFC3339Nano (`2024-06-04T10:00:00.123000000Z`), as the kubelet prints with --timestamps. */
export function criTimestamp(ms: number): string {
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedStamp = new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  }
  return cachedStamp;
}

/** Epoch ms of a CRI timestamp (sub-millisecond digits are dropped); NaN when malformed. */
export function parseCriTimestamp(stamp: string): number {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(stamp);
  if (!m) return Number.NaN;
  const millis = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${m[1]}.${millis}${m[3]}`);
}

export interface CriRecord {
  timestamp: string;
  stream: LogStream;
  partial: boolean;
  content: string;
}

/** Parses one record (without its newline); undefined for a line that is not a CRI record. */
export function parseRecord(line: string): CriRecord | undefined {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const c = line.indexOf(' ', b + 1);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return {
    timestamp: line.slice(0, a),
    stream,
    partial: tag === 'P',
    content: c < 0 ? '' : line.slice(c + 1),
  };
}

/** A whole log line as `kubectl logs` shows it; the timestamp is that of its first record. */
export interface LogLine {
  timestamp: string;
  text: string;
}

/**
 * Joins `P` records into lines, per stream (so interleaved stdout and stderr pieces do not mix).
 */
export class LineAssembler {
  private readonly pending = new Map<LogStream, LogLine>();

  push(record: CriRecord): LogLine | undefined {
    const head = this.pending.get(record.stream);
    if (record.partial) {
      if (head) head.text += record.content;
      else this.pending.set(record.stream, { timestamp: record.timestamp, text: record.content });
      return undefined;
    }
    if (!head) return { timestamp: record.timestamp, text: record.content };
    this.pending.delete(record.stream);
    head.text += record.content;
    return head;
  }

  /** The unfinished lines, once no more records can come (the instance has exited). */
  flush(): LogLine[] {
    const rest = [...this.pending.values()].sort((x, y) => (x.timestamp < y.timestamp ? -1 : 1));
    this.pending.clear();
    return rest;
  }
}

/** The `kubectl logs` form of a line. */
export function renderLine(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${line.timestamp} ${line.text}` : line.text;
}
