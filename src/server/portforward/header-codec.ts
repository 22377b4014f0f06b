import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { decodeNameValues, encodeNameValues, SpdyProtocolError } from './spdy-frames.js';

/**
 * SPDY/3 header compression (kubectl-surface §2.12 step 3): ONE zlib context per direction for the
 * whole connection, preloaded with the SPDY/3 dictionary, sync-flushed after each header block.
 * Node's synchronous zlib calls cannot keep a context across calls, so these use the stream
 * classes: a block is written, flushed with Z_SYNC_FLUSH, and the output is taken from the
 * stream's buffer in the flush callback (zlib pushes all output before it calls back). Calls are
 * serialized, so each flush's output belongs to exactly one block.
 */

type Task<T> = () => Promise<T>;

class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: Task<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function flushThrough(z: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new SpdyProtocolError(`header block: ${err.message}`));
    z.once('error', onError);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off('error', onError);
      const chunks: Buffer[] = [];
      for (let c = z.read() as Buffer | null; c !== null; c = z.read() as Buffer | null) chunks.push(c);
      resolve(Buffer.concat(chunks));
    });
  });
}

export class HeaderCompressor {
  private readonly z = createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly serial = new Serial();

  compress(headers: Readonly<Record<string, string>>): Promise<Buffer> {
    const block = encodeNameValues(headers);
    return this.serial.run(() => flushThrough(this.z, block));
  }

  close(): void {
    this.z.destroy();
  }
}

export class HeaderDecompressor {
  private readonly z = createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly serial = new Serial();

  decompress(compressed: Buffer): Promise<Record<string, string>> {
    return this.serial.run(async () => {
      const block = await flushThrough(this.z, compressed);
      const parsed = decodeNameValues(block);
      if (!parsed || parsed.length !== block.length)
        throw new SpdyProtocolError('header block does not hold a complete name/value list');
      return parsed.headers;
    });
  }

  close(): void {
    this.z.destroy();
  }
}
