import type { Probe } from '../../api/types.js';

/**
 * kubectl describe's probe line (describe.go DescribeProbe), spec §6.1:
 * `http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3`.
 * Fields are printed as stored: the API server has defaulted them (spec §1.1); missing numbers
 * print as Go's zero value.
 */
export function describeProbe(probe: Probe): string {
  const attrs =
    `delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 0}s ` +
    `period=${probe.periodSeconds ?? 0}s #success=${probe.successThreshold ?? 0} #failure=${probe.failureThreshold ?? 0}`;
  if (probe.exec) {
    // Go's %v of a []string: `[a b c]`.
    return `exec [${(probe.exec.command ?? []).join(' ')}] ${attrs}`;
  }
  if (probe.httpGet) {
    const get = probe.httpGet;
    const port = String(get.port ?? '');
    const host = port.length > 0 ? joinHostPort(get.host ?? '', port) : (get.host ?? '');
    return `http-get ${goUrlString((get.scheme ?? '').toLowerCase(), host, get.path ?? '')} ${attrs}`;
  }
  if (probe.tcpSocket) {
    return `tcp-socket ${probe.tcpSocket.host ?? ''}:${String(probe.tcpSocket.port ?? '')} ${attrs}`;
  }
  if (probe.grpc) {
    // An empty service still leaves its space: `grpc <pod>:2379  delay=...` (spec §6.1).
    return `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ''} ${attrs}`;
  }
  return `unknown ${attrs}`;
}

/** Go's net.JoinHostPort: IPv6 literals are bracketed. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's url.URL{Scheme, Host, Path}.String(). */
function goUrlString(scheme: string, host: string, path: string): string {
  let out = '';
  if (scheme !== '') out += `${scheme}:`;
  if (scheme !== '' || host !== '') out += `//${host}`;
  let escaped = escapePath(path);
  if (escaped !== '' && !escaped.startsWith('/') && host !== '') escaped = `/${escaped}`;
  return out + escaped;
}

// Go's shouldEscape(c, encodePath): unreserved characters and `$&+,/:;=@` stay, everything else
// (including `?`, spec §6.1) is percent-encoded byte by byte.
const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

function escapePath(path: string): string {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PATH_SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
