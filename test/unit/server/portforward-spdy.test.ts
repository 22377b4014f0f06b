import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { HeaderCompressor, HeaderDecompressor } from '../../../src/server/portforward/header-codec.js';
import { SPDY3_DICTIONARY } from '../../../src/server/portforward/spdy-dictionary.js';
import {
  decodeNameValues,
  encodeFrame,
  encodeNameValues,
  FrameReader,
  SpdyProtocolError,
  type SpdyFrame,
} from '../../../src/server/portforward/spdy-frames.js';
import { SpdySession, type SpdyStream } from '../../../src/server/portforward/spdy-session.js';

/** Two in-memory byte streams joined crosswise, like the two ends of a socket. */
function pipePair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const ends: [Duplex, Duplex] = [
    Duplex.from({ readable: bToA, writable: aToB }),
    Duplex.from({ readable: aToB, writable: bToA }),
  ];
  // Destroying one end aborts the other, as a socket's peer sees a reset.
  for (const end of ends) end.on('error', () => undefined);
  return ends;
}

/** The stream's bytes up to its FIN (for-await would destroy the stream, writable side included). */
function readAll(stream: SpdyStream): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('close', () => reject(new Error('stream closed before its FIN')));
  });
}

describe('SPDY/3.1 framing (kubectl-surface §2.12 step 2)', () => {
  test('§2.12 step 3: the SPDY/3 dictionary is the 1423-byte protocol constant', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
    assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith(',*,enq=0.'));
  });

  test('§2.12 step 2: every frame type survives encode → decode, split at any byte', () => {
    const frames: SpdyFrame[] = [
      { type: 'data', streamId: 7, fin: false, data: Buffer.from('hello') },
      { type: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
      {
        type: 'syn_stream',
        streamId: 1,
        associatedId: 0,
        priority: 3,
        fin: true,
        unidirectional: false,
        headerBlock: Buffer.from([1, 2, 3]),
      },
      { type: 'syn_reply', streamId: 1, fin: false, headerBlock: Buffer.from([9]) },
      { type: 'headers', streamId: 3, fin: true, headerBlock: Buffer.alloc(0) },
      { type: 'rst_stream', streamId: 5, status: 5 },
      { type: 'ping', id: 0xfffffffe },
      { type: 'goaway', lastGoodStreamId: 9, status: 0 },
      { type: 'window_update', streamId: 1, delta: 65536 },
      { type: 'other_control', controlType: 4, flags: 1, payload: Buffer.from([0, 0, 0, 0]) },
    ];
    const bytes = Buffer.concat(frames.map(encodeFrame));
    for (const split of [1, 5, 8, 13, bytes.length]) {
      const reader = new FrameReader();
      const out: SpdyFrame[] = [];
      for (let at = 0; at < bytes.length; at += split)
        out.push(...reader.push(bytes.subarray(at, at + split)));
      assert.deepEqual(out, frames);
    }
  });

  test('§2.12 step 2: control frames carry version 3, the type and a 24-bit length', () => {
    const ping = encodeFrame({ type: 'ping', id: 1 });
    assert.deepEqual([...ping], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
    const data = encodeFrame({ type: 'data', streamId: 3, fin: true, data: Buffer.from('x') });
    assert.deepEqual([...data], [0, 0, 0, 3, 0x01, 0, 0, 1, 0x78]);
  });

  test('§2.12 step 2: another SPDY version is a protocol error', () => {
    const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
    assert.throws(() => new FrameReader().push(v2), SpdyProtocolError);
  });

  test('§2.12 step 3: name/value blocks are u32 count, then u32-prefixed names and values', () => {
    const block = encodeNameValues({ streamType: 'data', port: '80' });
    assert.equal(block.readUInt32BE(0), 2);
    assert.equal(block.subarray(8, 18).toString(), 'streamtype');
    assert.deepEqual(decodeNameValues(block), {
      headers: { streamtype: 'data', port: '80' },
      length: block.length,
    });
    assert.equal(decodeNameValues(block.subarray(0, block.length - 1)), undefined);
  });

  test('§2.12 step 3: one compression context per direction spans every header block', async () => {
    const deflate = new HeaderCompressor();
    const inflate = new HeaderDecompressor();
    const blocks: Buffer[] = [];
    for (let i = 0; i < 4; i++) {
      const block = await deflate.compress({ streamtype: 'error', port: '8080', requestid: String(i) });
      assert.deepEqual([...block.subarray(-4)], [0, 0, 0xff, 0xff], 'each block ends with a sync flush');
      blocks.push(block);
      assert.deepEqual(await inflate.decompress(block), {
        streamtype: 'error',
        port: '8080',
        requestid: String(i),
      });
    }
    assert.ok((blocks[1]?.length ?? 0) < (blocks[0]?.length ?? 0), 'later blocks reuse the shared history');
    // A fresh context cannot read a later block: the contexts really are per connection.
    const fresh = new HeaderDecompressor();
    await assert.rejects(fresh.decompress(blocks[2] as Buffer), SpdyProtocolError);
    deflate.close();
    inflate.close();
    fresh.close();
  });
});

describe('SPDY/3.1 session (kubectl-surface §2.12 steps 4-8)', () => {
  test('§2.12 step 5: streams get a SYN_REPLY, carry data both ways and half-close with FIN', async () => {
    const [clientEnd, serverEnd] = pipePair();
    const seen: SpdyStream[] = [];
    const server = new SpdySession(serverEnd, {
      role: 'server',
      onStream: (s) => {
        seen.push(s);
        void readAll(s).then((text) => s.end(text.toUpperCase()));
      },
    });
    const client = new SpdySession(clientEnd, { role: 'client' });
    const stream = await client.openStream({ streamtype: 'data', port: '80', requestid: '0' });
    assert.equal(stream.id, 1);
    stream.end('ping over spdy');
    assert.equal(await readAll(stream), 'PING OVER SPDY');
    assert.deepEqual(seen[0]?.headers, { streamtype: 'data', port: '80', requestid: '0' });
    const second = await client.openStream({ streamtype: 'error', port: '80', requestid: '1' });
    assert.equal(second.id, 3, 'client stream ids are odd and increasing');
    second.end();
    assert.equal(await readAll(second), '');
    client.close();
    await once(server, 'close');
  });

  test('§2.12 step 8: RST_STREAM ends the stream on the other side', async () => {
    const [clientEnd, serverEnd] = pipePair();
    let serverStream: SpdyStream | undefined;
    const arrived = new Promise<void>((resolve) => {
      new SpdySession(serverEnd, {
        role: 'server',
        onStream: (s) => {
          serverStream = s;
          resolve();
        },
      });
    });
    const client = new SpdySession(clientEnd, { role: 'client' });
    const stream = await client.openStream({ streamtype: 'data' });
    await arrived;
    const closed = once(serverStream as SpdyStream, 'close');
    stream.reset();
    await closed;
    assert.equal(serverStream?.destroyed, true);
    client.destroy();
  });

  test('§2.12 step 7: the peer’s PING comes back unchanged', async () => {
    const [clientEnd, serverEnd] = pipePair();
    const server = new SpdySession(serverEnd, { role: 'server', onStream: () => undefined });
    const reader = new FrameReader();
    const echoed = new Promise<SpdyFrame[]>((resolve) => {
      clientEnd.on('data', (c: Buffer) => {
        const frames = reader.push(c);
        if (frames.length > 0) resolve(frames);
      });
    });
    clientEnd.write(encodeFrame({ type: 'ping', id: 11 }));
    assert.deepEqual(await echoed, [{ type: 'ping', id: 11 }]);
    server.destroy();
  });

  test('§2.12 step 8: GOAWAY closes the session and its streams', async () => {
    const [clientEnd, serverEnd] = pipePair();
    const server = new SpdySession(serverEnd, { role: 'server', onStream: () => undefined });
    const client = new SpdySession(clientEnd, { role: 'client' });
    const stream = await client.openStream({ streamtype: 'data' });
    const closed = once(server, 'close');
    const streamClosed = once(stream, 'close');
    clientEnd.write(encodeFrame({ type: 'goaway', lastGoodStreamId: 0, status: 0 }));
    await closed;
    client.destroy();
    await streamClosed;
    assert.equal(server.closed, true);
  });

  test('§2.12 step 4: a stream id of the wrong parity is refused with RST_STREAM', async () => {
    const [clientEnd, serverEnd] = pipePair();
    const opened: SpdyStream[] = [];
    const server = new SpdySession(serverEnd, { role: 'server', onStream: (s) => opened.push(s) });
    const compressor = new HeaderCompressor();
    const reader = new FrameReader();
    const answer = new Promise<SpdyFrame[]>((resolve) => {
      clientEnd.on('data', (c: Buffer) => {
        const frames = reader.push(c);
        if (frames.length > 0) resolve(frames);
      });
    });
    const headerBlock = await compressor.compress({ streamtype: 'data' });
    clientEnd.write(
      encodeFrame({
        type: 'syn_stream',
        streamId: 2,
        associatedId: 0,
        priority: 0,
        fin: false,
        unidirectional: false,
        headerBlock,
      }),
    );
    assert.deepEqual(await answer, [{ type: 'rst_stream', streamId: 2, status: 1 }]);
    assert.equal(opened.length, 0);
    compressor.close();
    server.destroy();
  });
});
