/**
 * Go's spellings of the texts the kubelet's probers print (spec §3): strconv.Quote (the `%q`
 * verb), net.JoinHostPort, syscall error strings and net.OpError layouts. Probe outputs end up
 * verbatim in events, so they must read as the kubelet's would.
 */

/** Go's net.JoinHostPort: IPv6 literals (anything with a colon) are bracketed. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export { goQuote } from '../util/goquote.js';

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
