import type { OutgoingHttpHeaders } from 'node:http';
import { goQuote } from './go-text.js';
import { KUBE_VERSION } from './types.js';

/** `kube-probe/1.33` (spec §3.1; the kubelet's userAgent("probe")). */
export const PROBE_USER_AGENT = `kube-probe/${KUBE_VERSION.major}.${KUBE_VERSION.minor}`;

/** Header names as Go's http.Header stores them, with values in insertion order. */
export type GoHeaders = Map<string, string[]>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
/** Headers Go's Request.write never copies from Header (reqWriteExcludeHeader). */
const NOT_WRITTEN = new Set(['Host', 'User-Agent', 'Content-Length', 'Transfer-Encoding', 'Trailer']);

/** Go's textproto.CanonicalMIMEHeaderKey: "x-foo" → "X-Foo"; invalid names stay as they are. */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN.test(name)) return name;
  let upper = true;
  let out = '';
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}

/**
 * The kubelet's v1HeaderToHTTPHeader + newProbeRequest (spec §3.1): user headers are added
 * with canonical names (repeats kept); User-Agent defaults to kube-probe/<v> unless set (an
 * empty user value means none is sent); Accept defaults to a wildcard, and a user Accept whose
 * first value is "" removes the header.
 */
export function probeHeaders(user: readonly { name: string; value: string }[]): GoHeaders {
  const headers: GoHeaders = new Map();
  for (const { name, value } of user) {
    const key = canonicalHeaderKey(name);
    const values = headers.get(key);
    if (values === undefined) headers.set(key, [value]);
    else values.push(value);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [PROBE_USER_AGENT]);
  const accept = headers.get('Accept');
  if (accept === undefined) headers.set('Accept', ['*/*']);
  else if (accept[0] === '') headers.delete('Accept');
  return headers;
}

/** Go's Transport check before dialing: `net/http: invalid header field name "x y"`. */
export function invalidHeaderError(headers: GoHeaders): string | undefined {
  for (const [name, values] of headers) {
    if (!TOKEN.test(name)) return `net/http: invalid header field name ${goQuote(name)}`;
    for (const v of values) {
      if (BAD_VALUE_CHAR.test(v)) return `net/http: invalid header field value for ${goQuote(name)}`;
    }
  }
  return undefined;
}

/**
 * The header block Go writes for one request: Host, User-Agent (first value, only if
 * non-empty), Connection: close (keep-alives are off), then the remaining headers sorted by
 * name. Values are trimmed like textproto.TrimString and sent as UTF-8 bytes.
 */
export function wireHeaders(headers: GoHeaders, host: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { Host: wireValue(host) };
  const ua = headers.get('User-Agent')?.[0];
  if (ua !== undefined && ua.trim() !== '') out['User-Agent'] = wireValue(ua);
  const connection = [...(headers.get('Connection') ?? [])];
  if (!connection.some((v) => /(^|[\s,])close($|[\s,])/i.test(v))) {
    connection.unshift('close');
  }
  out.Connection = connection.map(wireValue);
  const names = [...headers.keys()].filter((n) => !NOT_WRITTEN.has(n) && n !== 'Connection');
  for (const name of names.sort()) {
    out[name] = (headers.get(name) ?? []).map(wireValue);
  }
  return out;
}

/** Node writes header strings as Latin-1; handing it the UTF-8 bytes as Latin-1 sends Go's bytes. */
function wireValue(v: string): string {
  return Buffer.from(v.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''), 'utf8').toString('latin1');
}
