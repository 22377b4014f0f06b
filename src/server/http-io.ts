import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, statusOf, type StatusObject } from './status.js';
import { decodeKubeProtobuf } from './protobuf-config.js';

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
  const status = statusOf(err);
  if (status.code === 500) console.error('podvisor: API request failed:', err);
  if (res.headersSent) {
    // A stream already started (watch, logs): all we can do is end it.
    res.destroy();
    return;
  }
  sendStatus(res, status);
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

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(
        413,
        'RequestEntityTooLarge',
        `Request entity too large: limit is ${MAX_BODY_BYTES}`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Decodes a JSON (or YAML) request body. An empty body is `undefined`. */
export function decodeBody(req: IncomingMessage, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = body.toString('utf8');
  if (type === 'application/json' || type === '' || type === '*/*') {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  }
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      return parseYaml(text) as unknown;
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

/** A bearer-token check that takes the same time whatever the token (hashes compared in constant time). */
export function makeTokenCheck(token: string): (req: IncomingMessage) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (req) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = createHash('sha256')
      .update(m?.[1] ?? '')
      .digest();
    return timingSafeEqual(given, expected) && m !== null && token !== '';
  };
}
