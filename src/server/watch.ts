import type { ServerResponse } from 'node:http';
import type { ObjectStore, Watch, WatchOptions } from '../store/types.js';
import { StoreError } from '../store/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { failureStatus } from './status.js';

/**
 * A watch as the apiserver streams it: newline-delimited JSON `{"type":..,"object":..}` over a
 * chunked 200 response that stays open until the client leaves (or `timeoutSeconds`). A
 * resourceVersion too old for the history is an ERROR event carrying a 410 Status, then the end
 * of the stream (kubectl-surface §1.5): clients re-list on it.
 */

/** A client that lets this much pile up unread is cut off; it re-lists and watches again. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

export interface WatchRequest {
  store: ObjectStore;
  clock: Clock;
  resource: string;
  opts: WatchOptions;
  /** Close the stream after this long (informers ask for 300–600 s; kubectl get -w never does). */
  timeoutSeconds?: number;
}

/** Starts the stream. Throws (before anything is written) for errors that are a plain Status, e.g. a bad selector. */
export function serveWatch(res: ServerResponse, w: WatchRequest): void {
  let watch: Watch;
  let open = true;
  let timer: Timer | undefined;
  const cleanup = (): void => {
    if (!open) return;
    open = false;
    watch?.stop();
    timer?.cancel();
  };
  const finish = (): void => {
    cleanup();
    res.end();
  };
  try {
    watch = w.store.watch(w.resource, w.opts, (ev) => {
      if (!open) return;
      res.write(`${JSON.stringify(ev)}\n`);
      if (res.writableLength > MAX_UNREAD_BYTES) finish();
    });
  } catch (err) {
    if (err instanceof StoreError && err.code === 410) {
      startStream(res);
      res.end(`${JSON.stringify({ type: 'ERROR', object: failureStatus(410, err.reason, err.message) })}\n`);
      return;
    }
    throw err;
  }
  // Node's req 'close' fires once the request body is read; only res 'close' means the client left.
  res.on('close', cleanup);
  startStream(res);
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0)
    timer = w.clock.setTimer(w.timeoutSeconds * 1000, finish);
}

function startStream(res: ServerResponse): void {
  // No Content-Length: Node sends the body with chunked transfer encoding.
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
}
