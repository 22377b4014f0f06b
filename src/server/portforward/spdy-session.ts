import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { HeaderCompressor, HeaderDecompressor } from './header-codec.js';
import { encodeFrame, FrameReader, RST_STATUS, type SpdyFrame } from './spdy-frames.js';

/**
 * A SPDY/3.1 connection over any byte stream (a socket after a plain upgrade, or a WebSocket
 * stream), with the subset moby/spdystream needs (kubectl-surface §2.12 steps 4-8): streams,
 * replies, FIN half-closes, resets, PING echo and GOAWAY. No flow control: spdystream does none.
 * Hand-written because Node has no maintained SPDY/3 library (see spdy-frames.ts).
 */

export type SpdyRole = 'client' | 'server';
export type SpdyHeaders = Record<string, string>;

/** Larger writes go out as several DATA frames. */
const MAX_DATA_FRAME = 64 * 1024;

export class SpdyStream extends Duplex {
  private remoteReset = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** Ends the stream at once with RST_STREAM (CANCEL unless told otherwise). */
  reset(status: number = RST_STATUS.CANCEL): void {
    if (this.destroyed) return;
    this.session.sendReset(this.id, status);
    this.remoteReset = true; // nothing more to tell the peer
    this.destroy();
  }

  override _read(): void {
    // No flow control (spdystream does none): data is pushed as it arrives.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let rest = chunk;
    let sent: Promise<void> = Promise.resolve();
    do {
      const part = rest.subarray(0, MAX_DATA_FRAME);
      rest = rest.subarray(part.length);
      sent = this.session.send({ type: 'data', streamId: this.id, fin: false, data: part });
    } while (rest.length > 0);
    sent.then(
      () => cb(),
      () => {
        cb();
        this.destroy(); // the session is gone; nothing to report on this stream
      },
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session.send({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) }).then(
      () => cb(),
      () => {
        cb();
        this.destroy();
      },
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const complete = this.writableFinished && this.readableEnded;
    if (!complete && !this.remoteReset) this.session.sendReset(this.id, RST_STATUS.CANCEL);
    this.session.forget(this.id);
    cb(err);
  }

  /** @internal frames for this stream, from the session */
  receive(frame: SpdyFrame): void {
    if (frame.type === 'data') {
      if (frame.data.length > 0) this.push(frame.data);
      if (frame.fin) this.push(null);
    } else if (frame.type === 'rst_stream') {
      this.remoteReset = true;
      this.destroy();
    }
  }
}

interface Pending {
  stream: SpdyStream;
  resolve: (s: SpdyStream) => void;
  reject: (err: Error) => void;
}

export interface SpdySessionOptions {
  role: SpdyRole;
  /** Server side: a stream the peer opened; it has been answered with SYN_REPLY already. */
  onStream?: (stream: SpdyStream) => void;
}

/** Events: 'close' (once, when the transport is gone), 'error' is never emitted. */
export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly awaitingReply = new Map<number, Pending>();
  private sendChain: Promise<void> = Promise.resolve();
  private receiveChain: Promise<void> = Promise.resolve();
  private nextStreamId: number;
  private lastRemoteStreamId = 0;
  private closedFlag = false;

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    super();
    this.nextStreamId = opts.role === 'client' ? 1 : 2;
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.destroy());
    transport.on('close', () => this.destroy());
    transport.on('error', () => this.destroy());
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Opens a stream (SYN_STREAM) and resolves once the peer answered with SYN_REPLY. */
  openStream(headers: SpdyHeaders): Promise<SpdyStream> {
    if (this.closedFlag) return Promise.reject(new Error('SPDY session closed'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    return new Promise((resolve, reject) => {
      this.awaitingReply.set(id, { stream, resolve, reject });
      this.enqueue(async () => {
        const headerBlock = await this.compressor.compress(headers);
        return encodeFrame({
          type: 'syn_stream',
          streamId: id,
          associatedId: 0,
          priority: 0,
          fin: false,
          unidirectional: false,
          headerBlock,
        });
      }).catch(reject);
    });
  }

  /** Sends a frame that needs no header compression; resolves once handed to the transport. */
  send(frame: SpdyFrame): Promise<void> {
    return this.enqueue(() => Promise.resolve(encodeFrame(frame)));
  }

  sendReset(streamId: number, status: number): void {
    this.send({ type: 'rst_stream', streamId, status }).catch(() => undefined);
  }

  /** GOAWAY, then the transport is ended. */
  close(): void {
    if (this.closedFlag) return;
    this.send({ type: 'goaway', lastGoodStreamId: this.lastRemoteStreamId, status: 0 })
      .catch(() => undefined)
      .finally(() => {
        this.transport.end();
        this.destroy();
      });
  }

  destroy(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of this.awaitingReply.values()) p.reject(new Error('SPDY session closed'));
    this.awaitingReply.clear();
    for (const s of [...this.streams.values()]) s.destroy();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    if (!this.transport.destroyed) this.transport.destroy();
    this.emit('close');
  }

  /** @internal a stream is done */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private enqueue(build: () => Promise<Buffer>): Promise<void> {
    const next = this.sendChain.then(async () => {
      if (this.closedFlag) throw new Error('SPDY session closed');
      const bytes = await build();
      await new Promise<void>((resolve, reject) => {
        this.transport.write(bytes, (err) => (err ? reject(err) : resolve()));
      });
    });
    this.sendChain = next.catch(() => undefined);
    return next;
  }

  private onBytes(chunk: Buffer): void {
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) {
      // Frames are handled strictly in order: a SYN_STREAM's headers are decompressed before the
      // DATA that follows it is delivered.
      this.receiveChain = this.receiveChain.then(() => this.handle(frame)).catch(() => this.destroy());
    }
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    if (this.closedFlag) return;
    switch (frame.type) {
      case 'syn_stream':
        return this.onSynStream(frame);
      case 'syn_reply': {
        await this.decompressor.decompress(frame.headerBlock);
        const pending = this.awaitingReply.get(frame.streamId);
        if (!pending) return;
        this.awaitingReply.delete(frame.streamId);
        pending.resolve(pending.stream);
        if (frame.fin)
          pending.stream.receive({
            type: 'data',
            streamId: frame.streamId,
            fin: true,
            data: Buffer.alloc(0),
          });
        return;
      }
      case 'headers':
        // Keeps the zlib context in step; kubectl sends none on port-forward streams.
        await this.decompressor.decompress(frame.headerBlock);
        if (frame.fin)
          this.streams.get(frame.streamId)?.receive({ ...frame, type: 'data', data: Buffer.alloc(0) });
        return;
      case 'data': {
        const stream = this.streams.get(frame.streamId);
        if (!stream) {
          if (frame.streamId > 0 && (frame.data.length > 0 || !frame.fin))
            this.sendReset(frame.streamId, RST_STATUS.INVALID_STREAM);
          return;
        }
        stream.receive(frame);
        return;
      }
      case 'rst_stream': {
        const pending = this.awaitingReply.get(frame.streamId);
        if (pending) {
          this.awaitingReply.delete(frame.streamId);
          pending.reject(new Error(`stream ${frame.streamId} was reset (status ${frame.status})`));
        }
        this.streams.get(frame.streamId)?.receive(frame);
        return;
      }
      case 'ping':
        // The peer's pings are echoed; ours come back with our own parity (client odd, server even).
        if ((frame.id % 2 === 1) === (this.opts.role === 'server')) await this.send(frame);
        return;
      case 'goaway':
        this.destroy();
        return;
      case 'window_update':
      case 'other_control':
        return; // SETTINGS, WINDOW_UPDATE: spdystream does no flow control (§2.12 step 8)
    }
  }

  private async onSynStream(frame: Extract<SpdyFrame, { type: 'syn_stream' }>): Promise<void> {
    const headers = await this.decompressor.decompress(frame.headerBlock);
    const expectOdd = this.opts.role === 'server';
    const validId = frame.streamId > this.lastRemoteStreamId && (frame.streamId % 2 === 1) === expectOdd;
    if (!validId || !this.opts.onStream) {
      this.sendReset(frame.streamId, validId ? RST_STATUS.REFUSED_STREAM : RST_STATUS.PROTOCOL_ERROR);
      return;
    }
    this.lastRemoteStreamId = frame.streamId;
    const stream = new SpdyStream(this, frame.streamId, headers);
    this.streams.set(frame.streamId, stream);
    // kubectl drops DATA on a stream it has no reply for (§2.12 step 5): the reply goes first.
    // Compressed inside the send queue, so header blocks leave in the order they were compressed.
    await this.enqueue(async () =>
      encodeFrame({
        type: 'syn_reply',
        streamId: frame.streamId,
        fin: false,
        headerBlock: await this.compressor.compress({}),
      }),
    );
    if (frame.fin)
      stream.receive({ type: 'data', streamId: frame.streamId, fin: true, data: Buffer.alloc(0) });
    this.opts.onStream(stream);
  }
}
