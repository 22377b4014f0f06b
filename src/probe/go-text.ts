import { goQuote } from '../util/goquote.js';

/**
 * Go's spellings of the texts the kubelet's probers print (spec §3): strconv.Quote (the `%q`
 * verb), net.JoinHostPort, syscall error strings and net.OpError layouts. Probe outputs end up
 * verbatim in events, so they must read as the kubelet's would.
 */

export { goQuote };

/** Go's net.JoinHostPort: IPv6 literals (anything with a colon) are bracketed. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Linux strerror texts as Go's syscall.Errno.Error() prints them. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ECONNABORTED: 'software caused connection abort',
  EHOSTUNREACH: 'no route to host',
  EHOSTDOWN: 'host is down',
  ENETUNREACH: 'network is unreachable',
  ENETDOWN: 'network is down',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EADDRINUSE: 'address already in use',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'broken pipe',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOEXEC: 'exec format error',
  ETXTBSY: 'text file busy',
  E2BIG: 'argument list too long',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
};

/** The errno-ish fields Node puts on system errors. */
export interface NodeSystemError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
  path?: string;
}

export function asSystemError(err: unknown): NodeSystemError {
  return err instanceof Error ? err : new Error(String(err));
}

/** The strerror part of a Go error for a Node system error ("connection refused"). */
export function errnoText(err: NodeSystemError): string {
  const known = err.code === undefined ? undefined : ERRNO_TEXT[err.code];
  if (known !== undefined) return known;
  return err.code ?? err.message;
}

/**
 * Go's dial error (net.OpError with Op "dial"): `dial tcp 10.1.2.3:3000: connect: connection
 * refused`, or for a failed name lookup `dial tcp: lookup name: no such host` (Go also names the
 * resolver; Node does not tell us which one it asked).
 */
export function goDialError(err: NodeSystemError, host: string, port: number): string {
  if (err.syscall === 'getaddrinfo' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    const why = err.code === 'EAI_AGAIN' ? 'Temporary failure in name resolution' : 'no such host';
    return `dial tcp: lookup ${err.hostname ?? host}: ${why}`;
  }
  const addr = joinHostPort(err.address ?? host, err.port ?? port);
  return `dial tcp ${addr}: connect: ${errnoText(err)}`;
}

/** Go's read/write error on an established connection: `read tcp L->R: read: connection reset by peer`. */
export function goConnError(
  op: 'read' | 'write',
  err: NodeSystemError,
  local: string | undefined,
  remote: string,
): string {
  const pair = local === undefined ? remote : `${local}->${remote}`;
  return `${op} tcp ${pair}: ${op}: ${errnoText(err)}`;
}

/**
 * `%q` of a Go string holding raw bytes: valid UTF-8 is quoted rune by rune as strconv.Quote
 * does, each byte of an invalid sequence becomes `\xNN` (a server's non-HTTP bytes quoted in an
 * error, e.g. `malformed HTTP response "\x15\x03\x01"`).
 */
export function goQuoteBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      out += `\\x${(bytes[i] ?? 0).toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    const rune = Buffer.from(bytes.subarray(i, i + n)).toString('utf8');
    out += goQuote(rune).slice(1, -1);
    i += n;
  }
  return `"${out}"`;
}

/** Length of the valid UTF-8 sequence at `i` (Go's utf8.DecodeRune rules), 0 if invalid. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c0 = b[i] ?? 0;
  if (c0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const c = b[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) return cont(1) ? 2 : 0;
  if (c0 >= 0xe0 && c0 <= 0xef) {
    // No overlongs (E0 needs A0..BF) and no surrogates (ED needs 80..9F).
    const lo = c0 === 0xe0 ? 0xa0 : 0x80;
    const hi = c0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const lo = c0 === 0xf0 ? 0x90 : 0x80;
    const hi = c0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
