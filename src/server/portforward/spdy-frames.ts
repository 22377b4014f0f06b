/**
 * SPDY/3.1 framing (SPDY draft 3.1 §2.2), the part kubectl's port-forward uses.
 *
 * Hand-written on purpose: kubectl speaks SPDY/3.1 (Go's moby/spdystream) on the port-forward
 * upgrade, and Node has no maintained SPDY/3 library (the `spdy` packages are unmaintained and
 * patch Node's http internals). The framing is small: a control bit, a version, a type, flags and
 * a 24-bit length (kubectl-surface §2.12).
 */

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const CONTROL = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** RST_STREAM status codes (§2.6.3). */
export const RST_STATUS = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
} as const;

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'syn_stream';
      streamId: number;
      associatedId: number;
      priority: number;
      fin: boolean;
      unidirectional: boolean;
      headerBlock: Buffer;
    }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'other_control'; controlType: number; flags: number; payload: Buffer };

export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

const STREAM_ID_MASK = 0x7fffffff;
const MAX_LENGTH = 0xffffff;

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_LENGTH) throw new SpdyProtocolError('control frame too long');
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** One frame as bytes. Header blocks must already be compressed (see header-codec.ts). */
export function encodeFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > MAX_LENGTH) throw new SpdyProtocolError('data frame too long');
      const head = Buffer.alloc(8);
      head.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      head.writeUInt32BE(((frame.fin ? FLAG_FIN : 0) << 24) | frame.data.length, 4);
      return Buffer.concat([head, frame.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedId & STREAM_ID_MASK, 4);
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8);
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return control(CONTROL.SYN_STREAM, flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'syn_reply':
    case 'headers':
      return control(
        frame.type === 'syn_reply' ? CONTROL.SYN_REPLY : CONTROL.HEADERS,
        frame.fin ? FLAG_FIN : 0,
        Buffer.concat([u32s(frame.streamId & STREAM_ID_MASK), frame.headerBlock]),
      );
    case 'rst_stream':
      return control(CONTROL.RST_STREAM, 0, u32s(frame.streamId & STREAM_ID_MASK, frame.status));
    case 'ping':
      return control(CONTROL.PING, 0, u32s(frame.id));
    case 'goaway':
      return control(CONTROL.GOAWAY, 0, u32s(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status));
    case 'window_update':
      return control(
        CONTROL.WINDOW_UPDATE,
        0,
        u32s(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK),
      );
    case 'other_control':
      return control(frame.controlType, frame.flags, frame.payload);
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new SpdyProtocolError(`${what} frame too short (${payload.length} bytes)`);
}

function decodeControl(type: number, flags: number, payload: Buffer): SpdyFrame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case CONTROL.SYN_STREAM:
      need(payload, 10, 'SYN_STREAM');
      return {
        type: 'syn_stream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload.readUInt8(8) >> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      };
    case CONTROL.SYN_REPLY:
    case CONTROL.HEADERS:
      need(payload, 4, type === CONTROL.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS');
      return {
        type: type === CONTROL.SYN_REPLY ? 'syn_reply' : 'headers',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        fin,
        headerBlock: payload.subarray(4),
      };
    case CONTROL.RST_STREAM:
      need(payload, 8, 'RST_STREAM');
      return {
        type: 'rst_stream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.readUInt32BE(4),
      };
    case CONTROL.PING:
      need(payload, 4, 'PING');
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case CONTROL.GOAWAY:
      need(payload, 4, 'GOAWAY');
      return {
        type: 'goaway',
        lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.length >= 8 ? payload.readUInt32BE(4) : 0,
      };
    case CONTROL.WINDOW_UPDATE:
      need(payload, 8, 'WINDOW_UPDATE');
      return {
        type: 'window_update',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
      };
    default:
      return { type: 'other_control', controlType: type, flags, payload };
  }
}

/** Cuts a byte stream into frames; bytes of an unfinished frame wait for the next chunk. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: SpdyFrame[] = [];
    while (this.buffered.length >= 8) {
      const length = this.buffered.readUInt32BE(4) & MAX_LENGTH;
      if (this.buffered.length < 8 + length) break;
      const first = this.buffered.readUInt32BE(0);
      const flags = this.buffered.readUInt8(4);
      const payload = Buffer.from(this.buffered.subarray(8, 8 + length));
      this.buffered = this.buffered.subarray(8 + length);
      if ((first & 0x80000000) !== 0) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        frames.push(decodeControl(first & 0xffff, flags, payload));
      } else {
        frames.push({
          type: 'data',
          streamId: first & STREAM_ID_MASK,
          fin: (flags & FLAG_FIN) !== 0,
          data: payload,
        });
      }
    }
    return frames;
  }
}

/** A header block before compression (§2.6.10): u32 count, then u32-length-prefixed names and values. */
export function encodeNameValues(headers: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32s(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32s(n.length), n, u32s(v.length), v);
  }
  return Buffer.concat(parts);
}

/**
 * Parses a decompressed header block; undefined while it is incomplete. Names are lower case on
 * the wire; several values of one name are NUL-separated and kept that way.
 */
export function decodeNameValues(
  block: Buffer,
): { headers: Record<string, string>; length: number } | undefined {
  if (block.length < 4) return undefined;
  const count = block.readUInt32BE(0);
  let at = 4;
  const headers: Record<string, string> = {};
  const field = (): string | undefined => {
    if (block.length < at + 4) return undefined;
    const len = block.readUInt32BE(at);
    if (block.length < at + 4 + len) return undefined;
    const text = block.toString('utf8', at + 4, at + 4 + len);
    at += 4 + len;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const name = field();
    if (name === undefined) return undefined;
    const value = field();
    if (value === undefined) return undefined;
    headers[name.toLowerCase()] = value;
  }
  return { headers, length: at };
}
