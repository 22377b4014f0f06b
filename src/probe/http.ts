import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { startDeadline } from './deadline.js';
import {
  asSystemError,
  goConnError,
  goDialError,
  goQuote,
  joinHostPort,
  type NodeSystemError,
} from './go-text.js';
import {
  formatGoUrl,
  goHostname,
  goPort,
  parseGoUrl,
  probeUrl,
  requestUri,
  resolveGoUrl,
  type GoUrl,
} from './go-url.js';
import {
  GO_CONNECTION_BROKEN,
  GO_HEADERS_TOO_LARGE,
  GO_MAX_RESPONSE_HEADER_BYTES,
  goResponseHeadError,
} from './go-http-response.js';
import { invalidHeaderError, probeHeaders, wireHeaders, type GoHeaders } from './http-headers.js';
import { resetSocket } from './socket-close.js';
import { PROBE_OUTPUT_LIMIT, type ProbeOutcome } from './types.js';

export interface HttpProbeRequest {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path: string;
  headers: { name: string; value: string }[];
  timeoutMs: number;
  /**
   * Sees the final response's status and its body (at most 10 KiB) before the verdict: lets
   * `podvisor check http --expect-status/--expect-body` judge what the kubelet's handler read.
   */
  observe?: (status: number, body: string) => void;
}

/** Go's http.Client redirect codes (redirectBehavior); 300, 304, 305 are returned as is. */
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** The kubelet's RedirectChecker stops when `len(via) >= 10`. */
const MAX_VIA = 10;
const HEADERS_TIMEOUT = 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
const BODY_TIMEOUT = 'context deadline exceeded (Client.Timeout or context cancellation while reading body)';
/**
 * How much of a response head is kept to name a parse error in Go's words (Go quotes the whole
 * offending line; a longer line is quoted up to here).
 */
const HEAD_RECORD_LIMIT = 64 * 1024;

/**
 * One HTTP(S) probe, as the kubelet's pkg/probe/http (spec §3.1). Never rejects.
 * Follows same-hostname redirects (at most 10 requests), reads at most 10 KiB of body, and
 * keeps one deadline for the whole exchange, like Go's http.Client.Timeout.
 */
export function probeHttp(req: HttpProbeRequest): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    new HttpProbeRun(req, resolve).start();
  });
}

interface Hop {
  url: GoUrl;
  /** The Host header value. */
  host: string;
  referer?: string;
}

class HttpProbeRun {
  private settled = false;
  private cancelDeadline: (() => void) | undefined;
  private phase: 'headers' | 'body' = 'headers';
  private readonly via: GoUrl[] = [];
  private current: http.ClientRequest | undefined;
  private currentUrl = '';
  private socket: Socket | undefined;
  private socketError: NodeSystemError | undefined;
  private localAddr: string | undefined;
  private remoteAddr: string | undefined;
  /** The first bytes of the current hop's response (until its headers are parsed). */
  private head: Buffer[] = [];
  private headSize = 0;
  /** Bytes the current hop received before its headers were parsed, recorded or not. */
  private headReceived = 0;
  private readonly headers: GoHeaders;
  /** The user's Host header (req.Host in Go); "" means "use the URL's host". */
  private readonly hostOverride: string;

  constructor(
    private readonly req: HttpProbeRequest,
    private readonly resolve: (o: ProbeOutcome) => void,
  ) {
    this.headers = probeHeaders(req.headers);
    this.hostOverride = this.headers.get('Host')?.[0] ?? '';
  }

  start(): void {
    const hostPort = joinHostPort(this.req.host, this.req.port);
    const url = probeUrl(this.req.scheme.toLowerCase(), hostPort, this.req.path);
    this.currentUrl = formatGoUrl(url);
    const invalid = invalidHeaderError(this.headers);
    if (invalid !== undefined) return this.failTransport(invalid);
    this.cancelDeadline = startDeadline(this.req.timeoutMs, () => this.onTimeout());
    this.send({ url, host: this.hostOverride !== '' ? this.hostOverride : url.host });
  }

  private send(hop: Hop): void {
    const { url } = hop;
    this.via.push(url);
    this.currentUrl = formatGoUrl(url);
    this.phase = 'headers';
    this.socket = undefined;
    this.socketError = undefined;
    this.localAddr = undefined;
    this.remoteAddr = undefined;
    this.head = [];
    this.headSize = 0;
    this.headReceived = 0;
    if (url.scheme !== 'http' && url.scheme !== 'https') {
      return this.failTransport(`unsupported protocol scheme ${goQuote(url.scheme)}`);
    }
    const hostname = goHostname(url.host);
    if (hostname === '') return this.failTransport('http: no Host in request URL');
    const tls = url.scheme === 'https';
    const port = Number(goPort(url.host) || (tls ? 443 : 80));
    const headers = wireHeaders(this.headers, hop.host);
    if (hop.referer !== undefined) headers.Referer = hop.referer;
    const options: https.RequestOptions = {
      host: hostname,
      port,
      method: 'GET',
      path: requestUri(url),
      headers,
      setHost: false,
      // A fresh connection per probe, no pooling: Go's DisableKeepAlives (spec §3.1).
      agent: false,
      // Go's client limit (Node's default is 16 KiB, which would fail heads the kubelet reads).
      maxHeaderSize: GO_MAX_RESPONSE_HEADER_BYTES,
    };
    if (tls) {
      options.rejectUnauthorized = false; // InsecureSkipVerify (spec §3.1)
      options.servername = isIP(hostname) === 0 ? hostname : ''; // SNI from the URL, as Go
    }
    let request: http.ClientRequest;
    try {
      request = tls ? https.request(options) : http.request(options);
    } catch (err) {
      return this.failTransport(asSystemError(err).message);
    }
    this.current = request;
    request.on('socket', (socket) => this.onSocket(request, socket));
    request.on('response', (res) => this.onResponse(request, url, res));
    request.on('error', (err) => this.onRequestError(request, hostname, port, err));
    request.end();
  }

  private onSocket(request: http.ClientRequest, socket: Socket): void {
    if (request !== this.current) return;
    this.socket = socket;
    // Prepended so the cause is known before the http client turns it into a request error.
    socket.prependListener('error', (err: Error) => {
      if (request === this.current) this.socketError = asSystemError(err);
    });
    // Ahead of the http client's parser, which destroys the socket on a byte it rejects: the head
    // is needed to say what Go would have said about it.
    const record = (chunk: Buffer): void => {
      if (request !== this.current) return;
      this.headReceived += chunk.length;
      const room = HEAD_RECORD_LIMIT - this.headSize;
      if (room <= 0) return;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.head.push(kept);
      this.headSize += kept.length;
    };
    socket.prependListener('data', record);
    request.once('response', () => socket.removeListener('data', record));
    socket.once('connect', () => {
      if (request !== this.current) return;
      if (socket.localAddress !== undefined) {
        this.localAddr = joinHostPort(socket.localAddress, socket.localPort ?? 0);
      }
      if (socket.remoteAddress !== undefined) {
        this.remoteAddr = joinHostPort(socket.remoteAddress, socket.remotePort ?? 0);
      }
    });
  }

  private onResponse(request: http.ClientRequest, url: GoUrl, res: http.IncomingMessage): void {
    if (this.settled || request !== this.current) {
      res.destroy();
      return;
    }
    const code = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECT_CODES.has(code) && location !== undefined && location !== '') {
      const socket = this.socket;
      if (this.redirect(url, location)) {
        res.destroy();
        if (socket !== undefined) resetSocket(socket);
        request.destroy();
        return;
      }
    }
    this.readBody(request, res, code);
  }

  /**
   * Go's Client redirect step with the kubelet's RedirectChecker(false). Returns false when the
   * response itself is the answer (ErrUseLastResponse: another hostname).
   */
  private redirect(base: GoUrl, location: string): boolean {
    const parsed = parseGoUrl(location);
    if ('error' in parsed) {
      this.failTransport(`failed to parse Location header ${goQuote(location)}: ${parsed.error}`);
      return true;
    }
    const next = resolveGoUrl(base, parsed.url);
    const first = this.via[0] as GoUrl;
    if (goHostname(next.host) !== goHostname(first.host)) return false;
    if (this.via.length >= MAX_VIA) {
      // Go reports the raw Location of the refused hop (client.go: ue.URL = loc).
      this.settle({ result: 'failure', output: `Get ${goQuote(location)}: stopped after 10 redirects` });
      return true;
    }
    // A user Host header survives only a relative redirect (Go issue 22233).
    const keepHost = this.hostOverride !== '' && this.hostOverride !== first.host && parsed.url.scheme === '';
    const hop: Hop = { url: next, host: keepHost ? this.hostOverride : next.host };
    const referer = refererFor(base, next, this.headers.get('Referer')?.[0] ?? '');
    if (referer !== '') hop.referer = referer;
    this.send(hop);
    return true;
  }

  private readBody(request: http.ClientRequest, res: http.IncomingMessage, code: number): void {
    this.phase = 'body';
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      if (this.settled || request !== this.current) return;
      const body = Buffer.concat(chunks, size).toString('utf8');
      this.req.observe?.(code, body);
      this.settle(verdict(code, body));
    };
    res.on('data', (chunk: Buffer) => {
      if (this.settled) return;
      const room = PROBE_OUTPUT_LIMIT - size;
      if (chunk.length < room) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      // Hitting the limit is not an error (utilio.ReadAtMost); stop reading right here.
      chunks.push(chunk.subarray(0, room));
      size += room;
      done();
    });
    // Ahead of the http client's own 'end' listener, which half-closes a `Connection: close`
    // socket (a FIN, after which it can no longer be reset).
    res.prependListener('end', done);
    res.on('error', () => undefined); // the verdict comes from 'close' below
    res.on('close', () => {
      if (this.settled || request !== this.current || res.complete) return;
      // A body-read error is a probe *error*: (Failure, "", err) (spec §3.1, §2.6).
      const cause = this.socketError;
      const error =
        cause?.code === 'ECONNRESET' && this.remoteAddr !== undefined
          ? goConnError('read', cause, this.localAddr, this.remoteAddr)
          : 'unexpected EOF';
      this.settle({ result: 'failure', output: '', error });
    });
  }

  private onRequestError(request: http.ClientRequest, hostname: string, port: number, raw: Error): void {
    if (this.settled || request !== this.current || this.phase !== 'headers') return;
    this.failTransport(this.transportCause(asSystemError(raw), hostname, port));
  }

  /** Go's text for an error before the response headers arrived. */
  private transportCause(err: NodeSystemError, hostname: string, port: number): string {
    if (err.syscall === 'connect' || err.syscall === 'getaddrinfo' || err.code === 'ENOTFOUND') {
      return goDialError(err, hostname, port);
    }
    if (err.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(err.message)) {
      return 'http: server gave HTTP response to HTTPS client';
    }
    const remote = this.remoteAddr ?? joinHostPort(hostname, port);
    // Go's transport reports a failure before the first response byte as is, and one after it
    // (while parsing the head) as a broken connection (transport.go mapRoundTripError).
    const broken = this.headReceived > 0 ? GO_CONNECTION_BROKEN : '';
    if (err.syscall === 'read' || err.syscall === 'write') {
      return broken + goConnError(err.syscall, err, this.localAddr, remote);
    }
    // The peer closed without a (complete) response head.
    if (err.code === 'ECONNRESET') {
      if (this.headReceived === 0) return 'EOF';
      return broken + (goResponseHeadError(this.recordedHead(), true) ?? 'unexpected EOF');
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') return GO_CONNECTION_BROKEN + GO_HEADERS_TOO_LARGE;
    if (err.code?.startsWith('HPE_') === true) {
      // Node's parser stops at the first byte it rejects, Go at the end of that line; read
      // without its end, the line is taken as it stands (as if the server had closed there).
      const head = this.recordedHead();
      const why = goResponseHeadError(head, false) ?? goResponseHeadError(head, true);
      return GO_CONNECTION_BROKEN + (why ?? `malformed HTTP response (${err.code})`);
    }
    return err.message;
  }

  private recordedHead(): Buffer {
    return Buffer.concat(this.head, this.headSize);
  }

  private onTimeout(): void {
    this.cancelDeadline = undefined;
    // Timers run before I/O in each turn of the event loop: an answer that arrived in time but
    // waits behind a busy stretch is read first (setImmediate runs after pending I/O).
    setImmediate(() => this.timedOut());
  }

  private timedOut(): void {
    if (this.settled) return;
    if (this.phase === 'body') {
      this.settle({ result: 'failure', output: '', error: BODY_TIMEOUT });
    } else {
      this.failTransport(HEADERS_TIMEOUT);
    }
  }

  /** A url.Error from client.Do: Failure with `Get "<url>": <cause>` (spec §3.1). */
  private failTransport(cause: string): void {
    this.settle({ result: 'failure', output: `Get ${goQuote(this.currentUrl)}: ${cause}` });
  }

  private settle(outcome: ProbeOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelDeadline?.();
    this.cancelDeadline = undefined;
    const { current, socket } = this;
    this.current = undefined;
    this.socket = undefined;
    // A reset leaves no TIME_WAIT behind on either end (socket-close.ts: what the kubelet's
    // SO_LINGER dialer is for).
    if (socket !== undefined) resetSocket(socket);
    current?.destroy();
    this.resolve(outcome);
  }
}

/** DoHTTPProbe's status mapping (spec §3.1). */
function verdict(code: number, body: string): ProbeOutcome {
  if (code >= 200 && code < 300) return { result: 'success', output: body };
  if (code >= 300 && code < 400) {
    return { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` };
  }
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
}

/** Go's refererForURL: the previous URL without userinfo, never from https to http. */
function refererFor(last: GoUrl, next: GoUrl, explicit: string): string {
  if (last.scheme === 'https' && next.scheme === 'http') return '';
  if (explicit !== '') return explicit;
  const { userinfo: _u, ...rest } = last;
  return formatGoUrl(rest);
}
