import type { ServerResponse } from 'node:http';
import type { KubeObject, Pod } from '../api/types.js';
import type { FieldError } from '../api/validation.js';
import type { LogReadOptions } from '../runtime/types.js';
import { StoreError } from '../store/types.js';
import { boolParam, intParam } from './http-io.js';
import type { RequestContext } from './resource-types.js';
import { ApiError, badRequest, invalid } from './status.js';

/** Where container logs come from (the runtime, passed in by the composition root). */
export interface LogSource {
  readLogs(podUid: string, opts: LogReadOptions): AsyncIterable<string>;
}

/** How long to wait for a first line before answering 200 anyway (a quiet `logs -f`). */
const FIRST_LINE_WAIT_MS = 250;

const invalidField = (field: string, value: number, detail: string): FieldError => ({
  type: 'Invalid value',
  field,
  value,
  detail,
});
const forbidden = (field: string, detail: string): FieldError => ({ type: 'Forbidden', field, detail });

const names = (cs: readonly { name: string }[] | undefined): string[] => (cs ?? []).map((c) => c.name);

/** The container a log request means (pod strategy LogLocation), with the apiserver's 400s. */
export function chooseContainer(pod: Pod & KubeObject, requested: string): string {
  const name = pod.metadata.name;
  const containers = names(pod.spec?.containers);
  const inits = names(pod.spec?.initContainers);
  const ephemeral = names(pod.spec?.ephemeralContainers);
  if (requested === '') {
    if (containers.length === 1) return containers[0] as string;
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (inits.length > 0) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    throw badRequest(msg);
  }
  if (![...containers, ...inits, ...ephemeral].includes(requested))
    throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/** PodLogOptions from the query, validated as ValidatePodLogOptions does. */
function logOptions(
  ctx: RequestContext,
  podName: string,
): { opts: Omit<LogReadOptions, 'container' | 'signal'>; limitBytes?: number } {
  const q = ctx.query;
  const tailLines = intParam(q, 'tailLines');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const limitBytes = intParam(q, 'limitBytes');
  const sinceTimeText = q.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime))
      throw badRequest(`sinceTime: parsing time "${sinceTimeText}" as RFC3339 failed`);
  }
  const errors: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0)
    errors.push(invalidField('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1)
    errors.push(invalidField('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    errors.push(forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1)
    errors.push(invalidField('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errors.length > 0) throw invalid('PodLogOptions', podName, errors);

  const opts: Omit<LogReadOptions, 'container' | 'signal'> = {
    previous: boolParam(q, 'previous'),
    follow: boolParam(q, 'follow'),
    timestamps: boolParam(q, 'timestamps'),
  };
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  // The runtime reads "the last N seconds"; a sinceTime becomes that many seconds before now.
  if (sinceTime !== undefined)
    opts.sinceSeconds = Math.max(1, Math.ceil((ctx.clock.now() - sinceTime) / 1000));
  return limitBytes !== undefined ? { opts, limitBytes } : { opts };
}

function asApiError(err: unknown): ApiError | StoreError {
  if (err instanceof ApiError || err instanceof StoreError) return err;
  // The kubelet answers log errors (no previous instance, container not started) with 400.
  return badRequest(err instanceof Error ? err.message : String(err));
}

const BATCH_CHARS = 64 * 1024;
const NOT_YET = Symbol('not yet');

/** Resolves after the pending I/O callbacks of this turn of the event loop. */
function nextTurn(): Promise<typeof NOT_YET> {
  return new Promise((resolve) => setImmediate(() => resolve(NOT_YET)));
}

/** Resolves once `buf` is handed to the socket (or the client is gone). */
function write(res: ServerResponse, buf: Buffer): Promise<void> {
  if (res.write(buf)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** GET …/pods/{name}/log: text/plain, streamed; with follow it stays open until the log ends or the client leaves. */
export async function serveLogs(ctx: RequestContext, pod: Pod & KubeObject, logs: LogSource): Promise<void> {
  const container = chooseContainer(pod, ctx.query.get('container') ?? '');
  const { opts, limitBytes } = logOptions(ctx, pod.metadata.name);
  const res = ctx.res;
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  res.on('close', onClose);
  const source = logs.readLogs(pod.metadata.uid ?? '', { ...opts, container, signal: abort.signal });
  const lines = source[Symbol.asyncIterator]();
  try {
    // Wait briefly for the first line so that an up-front failure (no previous instance) can still be a 400 Status.
    const first = lines.next();
    let timer: { cancel(): void } | undefined;
    const quiet = new Promise<'quiet'>((resolve) => {
      timer = ctx.clock.setTimer(FIRST_LINE_WAIT_MS, () => resolve('quiet'));
    });
    let firstResult: IteratorResult<string> | 'quiet';
    try {
      firstResult = await Promise.race([first, quiet]);
    } catch (err) {
      if (abort.signal.aborted) return;
      throw asApiError(err);
    } finally {
      timer?.cancel();
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    let remaining = limitBytes ?? Infinity;
    let next = firstResult === 'quiet' ? await first : firstResult;
    // Lines that are ready together leave in one write (one per line cannot keep up with a
    // flooding container): they gather until the next line is not there yet, or 64 KiB.
    let text = '';
    const flush = async (): Promise<void> => {
      if (text === '') return;
      const buf = Buffer.from(text, 'utf8');
      text = '';
      await write(res, buf);
    };
    while (!next.done && !abort.signal.aborted) {
      const line = next.value.endsWith('\n') ? next.value : `${next.value}\n`;
      if (remaining !== Infinity) {
        const buf = Buffer.from(line, 'utf8');
        if (buf.length >= remaining) {
          await flush();
          await write(res, buf.subarray(0, remaining));
          break;
        }
        remaining -= buf.length;
      }
      text += line;
      if (text.length >= BATCH_CHARS) await flush();
      const pending = lines.next();
      const ready = text === '' ? await pending : await Promise.race([pending, nextTurn()]);
      if (ready === NOT_YET) {
        await flush();
        next = await pending;
      } else next = ready;
    }
    await flush();
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err instanceof ApiError || err instanceof StoreError ? err : asApiError(err);
    // Mid-stream failure: the status line is gone; cutting the stream is the only honest signal.
    res.destroy();
  } finally {
    res.off('close', onClose);
    abort.abort();
    void lines.return?.().catch(() => {});
  }
}
