import { connect, type Socket } from 'node:net';
import type { SpdyStream } from './spdy-session.js';
import { RST_STATUS } from './spdy-frames.js';

/**
 * The kubelet's port-forward stream handling (pkg/kubelet/cri/streaming/portforward/httpstream.go,
 * kubectl-surface §2.12 steps 4-6): the client opens an `error` and a `data` stream per TCP
 * connection, tied by `requestid`; once both are there, the data stream is relayed to the pod's
 * port. A failure is written as text on the error stream, and both streams are closed.
 */

/** Headers of a port-forward stream (Go canonical names, lower-cased on the wire). */
export const STREAM_TYPE_HEADER = 'streamtype';
export const PORT_HEADER = 'port';
export const REQUEST_ID_HEADER = 'requestid';

/** How long the first stream of a pair waits for the second (the kubelet's streamCreationTimeout). */
export const STREAM_PAIR_TIMEOUT_MS = 30_000;

/** Where the streams of one connection may go: the pod's IP, looked up afresh for every pair. */
export interface ForwardTarget {
  /** `name_namespace`, as the kubelet names the pod in its messages. */
  podFullName: string;
  uid: string;
  /** The pod's IP, or an error text when the pod can no longer be reached. */
  resolveHost(): { host: string } | { error: string };
}

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** 1-65535 in decimal, the only thing about the destination a client chooses. */
export function parseForwardPort(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function dialError(err: NodeJS.ErrnoException, host: string, port: number): string {
  // Go's wording (`dial tcp …: connect: connection refused`), which is what kubectl users know.
  const reason =
    err.code === 'ECONNREFUSED'
      ? 'connection refused'
      : err.code === 'ETIMEDOUT'
        ? 'connection timed out'
        : err.code === 'EHOSTUNREACH'
          ? 'no route to host'
          : err.message;
  return `dial tcp ${host}:${port}: connect: ${reason}`;
}

/** Returns the session's onStream handler for one pod. */
export function portForwardStreamHandler(target: ForwardTarget, pairTimeoutMs = STREAM_PAIR_TIMEOUT_MS) {
  const pairs = new Map<string, StreamPair>();

  const fail = (pair: { data?: SpdyStream; error?: SpdyStream }, message: string): void => {
    if (pair.error && !pair.error.destroyed) pair.error.end(message);
    if (pair.data && !pair.data.destroyed) {
      pair.data.resume();
      pair.data.end();
    }
  };

  const relay = (data: SpdyStream, error: SpdyStream): void => {
    const portText = data.headers[PORT_HEADER];
    const port = parseForwardPort(portText);
    const prefix = `error forwarding port ${portText ?? ''} to pod ${target.podFullName}, uid ${target.uid}`;
    if (port === undefined) {
      fail({ data, error }, `${prefix}: invalid port ${JSON.stringify(portText ?? '')}: must be 1-65535`);
      return;
    }
    const resolved = target.resolveHost();
    if ('error' in resolved) {
      fail({ data, error }, `${prefix}: ${resolved.error}`);
      return;
    }
    const socket: Socket = connect({ host: resolved.host, port, allowHalfOpen: true });
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.pipe(data);
      data.pipe(socket);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) fail({ data, error }, `${prefix}: ${dialError(err, resolved.host, port)}`);
      else data.reset(RST_STATUS.INTERNAL_ERROR);
    });
    socket.on('close', () => {
      if (connected && !data.writableEnded) data.destroy();
    });
    data.on('close', () => {
      socket.destroy();
      if (!error.writableEnded && !error.destroyed) error.end();
    });
  };

  return (stream: SpdyStream): void => {
    stream.on('error', () => undefined);
    const type = stream.headers[STREAM_TYPE_HEADER];
    const requestId = stream.headers[REQUEST_ID_HEADER];
    if ((type !== 'data' && type !== 'error') || requestId === undefined) {
      stream.reset(RST_STATUS.PROTOCOL_ERROR);
      return;
    }
    if (type === 'error') stream.resume(); // kubectl never writes to it; the bytes are dropped
    let pair = pairs.get(requestId);
    if (!pair) {
      const fresh: StreamPair = {
        timer: setTimeout(() => {
          pairs.delete(requestId);
          fail(
            fresh,
            `timed out waiting for the ${fresh.data ? 'error' : 'data'} stream of request ${requestId}`,
          );
        }, pairTimeoutMs),
      };
      fresh.timer.unref();
      pair = fresh;
      pairs.set(requestId, pair);
    }
    if (pair[type]) {
      stream.reset(RST_STATUS.PROTOCOL_ERROR);
      return;
    }
    pair[type] = stream;
    stream.once('close', () => {
      const current = pairs.get(requestId);
      if (current && current[type] === stream) {
        clearTimeout(current.timer);
        pairs.delete(requestId);
      }
    });
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      relay(pair.data, pair.error);
    }
  };
}
