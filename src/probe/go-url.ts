/**
 * The subset of Go's net/url the HTTP prober needs (spec §3.1): url.Parse, URL.String,
 * ResolveReference and Hostname. Hand-written rather than WHATWG `URL` on purpose: the probe
 * URL appears verbatim in outputs (`Get "<url>": ...`) and WHATWG normalises what Go keeps
 * (default ports, host case, IDNA, dot segments in absolute URLs), and Go's redirect checker
 * compares hostnames exactly as written.
 */
import { goQuote } from './go-text.js';

export interface GoUrl {
  /** Lower-case, as url.Parse stores it. */
  scheme: string;
  /** Raw userinfo without the "@", if any. */
  userinfo?: string;
  /** host[:port] as written; IPv6 literals keep their brackets. */
  host: string;
  /** The escaped path as it goes on the wire (Go's EscapedPath()). */
  path: string;
  rawQuery: string;
  forceQuery: boolean;
  fragment: string;
}

export type ParsedGoUrl = { url: GoUrl } | { error: string };

const SCHEME_CHAR = /[A-Za-z0-9+\-.]/;
const HEX = /^[0-9A-Fa-f]{2}$/;
// eslint-disable-next-line no-control-regex
const CTL_BYTE = /[\x00-\x1f\x7f]/;

/** Go's url.Parse (fragment split first, then parse(rest, viaRequest=false)). */
export function parseGoUrl(raw: string): ParsedGoUrl {
  const fail = (why: string): ParsedGoUrl => ({ error: `parse ${goQuote(raw)}: ${why}` });
  if (CTL_BYTE.test(raw)) return fail('net/url: invalid control character in URL');
  const hashAt = raw.indexOf('#');
  const fragment = hashAt >= 0 ? raw.slice(hashAt + 1) : '';
  let rest = hashAt >= 0 ? raw.slice(0, hashAt) : raw;

  let scheme = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] as string;
    if (c === ':') {
      if (i === 0) return fail('missing protocol scheme');
      scheme = rest.slice(0, i).toLowerCase();
      rest = rest.slice(i + 1);
      break;
    }
    if (!SCHEME_CHAR.test(c) || (i === 0 && !/[A-Za-z]/.test(c))) break;
  }

  let rawQuery = '';
  let forceQuery = false;
  const qAt = rest.indexOf('?');
  if (qAt >= 0) {
    rawQuery = rest.slice(qAt + 1);
    forceQuery = rawQuery === '';
    rest = rest.slice(0, qAt);
  }

  if (scheme === '' && !rest.startsWith('/')) {
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) {
      return fail('first path segment in URL cannot contain colon');
    }
  }

  let userinfo: string | undefined;
  let host = '';
  if (rest.startsWith('//') && !rest.startsWith('///')) {
    const slash = rest.indexOf('/', 2);
    let authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    rest = slash >= 0 ? rest.slice(slash) : '';
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      userinfo = authority.slice(0, at);
      authority = authority.slice(at + 1);
    }
    const hostError = checkHost(authority);
    if (hostError !== undefined) return fail(hostError);
    host = authority;
  }

  const unescaped = unescapePath(rest);
  if (unescaped === undefined) {
    const bad = /%(?![0-9A-Fa-f]{2}).{0,2}/.exec(rest)?.[0] ?? '%';
    return fail(`invalid URL escape ${goQuote(bad)}`);
  }
  const path = validEncoded(rest) ? rest : escapePath(unescaped);
  const url: GoUrl = { scheme, host, path, rawQuery, forceQuery, fragment };
  if (userinfo !== undefined) url.userinfo = userinfo;
  return { url };
}

function checkHost(host: string): string | undefined {
  let portPart = '';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return "missing ']' in host";
    portPart = host.slice(close + 1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) portPart = host.slice(colon);
  }
  if (portPart !== '' && !/^:[0-9]*$/.test(portPart)) {
    return `invalid port ${goQuote(portPart)} after host`;
  }
  return undefined;
}

/**
 * The probe target URL as the kubelet's formatURL builds it: the user path goes through
 * url.Parse (so a query survives), then scheme and host:port are overwritten. A path Go
 * cannot parse is kept as a literal (unescaped) path.
 */
export function probeUrl(scheme: string, hostPort: string, path: string): GoUrl {
  const parsed = parseGoUrl(path);
  if ('error' in parsed) {
    return {
      scheme,
      host: hostPort,
      path: escapePath(path),
      rawQuery: '',
      forceQuery: false,
      fragment: '',
    };
  }
  const { userinfo: _dropped, ...rest } = parsed.url;
  return { ...rest, scheme, host: hostPort };
}

/** Go's URL.String(), with the password masked as url.Error does (stripPassword). */
export function formatGoUrl(u: GoUrl): string {
  let out = '';
  if (u.scheme !== '') out += `${u.scheme}:`;
  if (u.scheme !== '' || u.host !== '' || u.userinfo !== undefined) {
    if (u.host !== '' || u.path !== '' || u.userinfo !== undefined) out += '//';
    if (u.userinfo !== undefined) out += `${maskPassword(u.userinfo)}@`;
    out += u.host;
  }
  if (u.path !== '' && !u.path.startsWith('/') && u.host !== '') out += '/';
  out += u.path;
  if (u.forceQuery || u.rawQuery !== '') out += `?${u.rawQuery}`;
  if (u.fragment !== '') out += `#${u.fragment}`;
  return out;
}

function maskPassword(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  return colon >= 0 ? `${userinfo.slice(0, colon)}:***` : userinfo;
}

/**
 * The request-target on the wire (URL.RequestURI()). Bytes Node refuses in a request path
 * (controls, spaces, non-Latin-1) are percent-encoded in the query; Go would send them raw.
 */
export function requestUri(u: GoUrl): string {
  let out = u.path === '' ? '/' : u.path.startsWith('/') ? u.path : `/${u.path}`;
  if (u.forceQuery || u.rawQuery !== '') out += `?${escapeUnsendable(u.rawQuery)}`;
  return out;
}

function escapeUnsendable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x20\x7f-\uffff]/g, (c) => percentEncode(c));
}

/** URL.Hostname(): host without port and without IPv6 brackets. */
export function goHostname(host: string): string {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close >= 0 ? host.slice(1, close) : host.slice(1);
  }
  const colon = host.indexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** URL.Port(): the digits after the host, or "". */
export function goPort(host: string): string {
  const m = /:([0-9]*)$/.exec(host.startsWith('[') ? host.slice(host.indexOf(']') + 1) : host);
  return m?.[1] ?? '';
}

/** Go's URL.ResolveReference (RFC 3986 §5.2), used to follow a Location header. */
export function resolveGoUrl(base: GoUrl, ref: GoUrl): GoUrl {
  const out: GoUrl = { ...ref };
  if (ref.scheme === '') out.scheme = base.scheme;
  if (ref.scheme !== '' || ref.host !== '' || ref.userinfo !== undefined) {
    out.path = removeDotSegments(ref.path);
    return out;
  }
  if (ref.path === '' && !ref.forceQuery && ref.rawQuery === '') {
    out.rawQuery = base.rawQuery;
    out.forceQuery = base.forceQuery;
    if (ref.fragment === '') out.fragment = base.fragment;
  }
  out.host = base.host;
  if (base.userinfo !== undefined) out.userinfo = base.userinfo;
  else delete out.userinfo;
  let full: string;
  if (ref.path === '') full = base.path;
  else if (!ref.path.startsWith('/')) full = base.path.slice(0, base.path.lastIndexOf('/') + 1) + ref.path;
  else full = ref.path;
  out.path = removeDotSegments(full);
  return out;
}

function removeDotSegments(path: string): string {
  if (path === '') return '';
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    const last = i === segments.length - 1;
    if (seg === '.' || seg === '..') {
      if (seg === '..' && out.length > 1) out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  return joined.startsWith('/') ? joined : `/${joined}`;
}

/** Go's shouldEscape(c, encodePath) for one ASCII character. */
function pathCharNeedsEscape(c: string): boolean {
  if (/[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c)) return false;
  return true;
}

/** Go's validEncoded(s, encodePath): may the raw path be sent as written? */
function validEncoded(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if ("!$&'()*+,;=:@[]%".includes(c)) {
      if (c === '%' && !HEX.test(s.slice(i + 1, i + 3))) return false;
      continue;
    }
    if (c.charCodeAt(0) > 0x7f || pathCharNeedsEscape(c)) return false;
  }
  return true;
}

function unescapePath(s: string): string | undefined {
  if (!s.includes('%')) return s;
  const parts: Buffer[] = [];
  for (const m of s.matchAll(/%([0-9A-Fa-f]{2})|%|[^%]+/g)) {
    if (m[0] === '%') return undefined;
    parts.push(m[1] !== undefined ? Buffer.from([parseInt(m[1], 16)]) : Buffer.from(m[0], 'utf8'));
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Go's escape(s, encodePath): UTF-8 bytes outside the allowed set become %XX. */
export function escapePath(s: string): string {
  let out = '';
  for (const ch of s) {
    out += ch.length === 1 && ch.charCodeAt(0) < 0x80 && !pathCharNeedsEscape(ch) ? ch : percentEncode(ch);
  }
  return out;
}

function percentEncode(ch: string): string {
  let out = '';
  for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
