import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exceedsNestingDepth, NESTING_MESSAGE, parseYamlValue } from '../api/yaml-text.js';
import { ApiError, badRequest, statusOf, type StatusObject } from './status.js';
import { decodeKubeProtobuf } from './protobuf-config.js';
import { isStoreRefusal } from '../store/background-writes.js';

/** The apiserver's request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const COMMON_HEADERS = { 'Cache-Control': 'no-cache, private' };

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  sendJsonText(res, code, JSON.stringify(body), headers);
}

/** A JSON response whose text is already encoded (src/server/json-encoding.ts). */
export function sendJsonText(
  res: ServerResponse,
  code: number,
  text: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(code, {
    ...COMMON_HEADERS,
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: StatusObject): void {
  sendJson(res, status.code ?? 200, status);
}

export function sendError(res: ServerResponse, err: unknown): void {
  // The client went away mid-body (or the request timeout cut it off): no one to answer.
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET' && res.req.destroyed) {
    res.destroy();
    return;
  }
  const status = statusOf(err);
  // A bug is printed with its stack. A refused write is not: the client gets the reason, and the
  // store has said once in podvisor's log that its disk stopped taking writes.
  if (status.code === 500 && !isStoreRefusal(err)) console.error('podvisor: API request failed:', err);
  if (res.headersSent) {
    // A stream already started (watch, logs): all we can do is end it.
    res.destroy();
    return;
  }
  if (status.code === 413) sendStatusAndClose(res, status);
  else sendStatus(res, status);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    ...COMMON_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

/**
 * `Warning: 299 - "<text>"` values (k8s.io/apiserver/pkg/warning). Node only takes latin-1 in
 * headers, so the text goes out as its UTF-8 bytes, which is what the apiserver sends too.
 */
export function warningHeaders(warnings: readonly string[]): string[] {
  return warnings.map((w) => {
    const printable = Array.from(w, (ch) => {
      const code = ch.charCodeAt(0);
      return (code < 0x20 && ch !== '\t') || code === 0x7f ? ' ' : ch;
    }).join('');
    const escaped = printable.replace(/(["\\])/g, '\\$1');
    return Buffer.from(`299 - "${escaped}"`, 'utf8').toString('latin1');
  });
}

const bodyTooLarge = (): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);

/**
 * The request body, at most MAX_BODY_BYTES: a larger Content-Length is refused before a byte is
 * read, a chunked body as soon as it passes the limit (what is already read is dropped at once).
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(bodyTooLarge());
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      chunks = [];
      stop();
      // Not destroyed: sendError answers once the client has stopped sending (sendStatusAndClose).
      reject(bodyTooLarge());
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Resolves when the request body has been read to its end (and dropped), or after `limit` bytes of it. */
function discardBody(req: IncomingMessage, limit: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (): void => {
      req.off('data', onData);
      req.off('end', finish);
      req.off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > limit) finish();
    };
    req.on('data', onData);
    req.on('end', finish);
    req.on('close', finish);
    req.resume();
  });
}

/**
 * Answers a request that will not be served (401, 413) and closes its connection. The answer waits
 * until the client has sent its body (up to another MAX_BODY_BYTES, within the server's request
 * timeout): a socket closed with unread bytes is reset, and a client still writing would see
 * "connection reset" instead of the Status.
 */
export function sendStatusAndClose(res: ServerResponse, status: StatusObject): void {
  res.setHeader('Connection', 'close');
  void discardBody(res.req, MAX_BODY_BYTES).then(() => {
    if (!res.headersSent) sendStatus(res, status);
  });
}

/** Decodes a JSON (or YAML) request body. An empty body is `undefined`. */
export function decodeBody(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = body.toString('utf8');
  if (type === 'application/json' || type === '' || type === '*/*') {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
    // JSON.parse copes with any depth, but storing and serialising recurse (a 500 before this).
    if (exceedsNestingDepth(value)) throw badRequest(`error decoding JSON: ${NESTING_MESSAGE}`);
    return value;
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      // The manifest loader's rules: bounded aliases and nesting, linear duplicate-key check.
      return parseYamlValue(text);
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  // Typed kubectl commands (create configmap/secret) send protobuf; those kinds are decoded.
  if (type === 'application/vnd.kubernetes.protobuf') {
    const decoded = decodeKubeProtobuf(body);
    if (decoded !== undefined) return decoded;
  }
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
  );
}

/** strconv.ParseBool, as query parameters are decoded by the apiserver. */
export function boolParam(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw badRequest(`invalid value for ${name}: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw badRequest(`invalid value for ${name}: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** Compares two equal-length buffers; crypto.timingSafeEqual outside of tests. */
export type ConstantTimeEqual = (a: Buffer, b: Buffer) => boolean;

/**
 * A bearer-token check that takes the same time whatever the token: both sides are hashed first,
 * so the comparison is always of two 32-byte digests (the length of the given token does not
 * matter, and nothing returns early), then compared in constant time. Only the Authorization
 * header counts: no cookie and no query parameter carries the token (SECURITY.md).
 */
export function makeTokenCheck(
  token: string,
  equal: ConstantTimeEqual = timingSafeEqual,
): (req: IncomingMessage) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (req) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = createHash('sha256')
      .update(m?.[1] ?? '')
      .digest();
    // Evaluated first and always: the other conditions only matter once the digests matched.
    const same = equal(given, expected);
    return same && m !== null && token !== '';
  };
}
