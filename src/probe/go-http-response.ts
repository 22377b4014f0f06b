import { goQuoteBytes } from './go-text.js';

/**
 * The errors Go's http.ReadResponse (net/http/response.go + net/textproto) gives for a response
 * head it cannot parse, so a probe of a server that does not speak HTTP fails with the kubelet's
 * text (spec §3.1) instead of Node's parser codes. Node's parser does the real parsing; this only
 * re-reads the bytes it rejected, the way Go would have, to name the cause.
 */

/** Go's Transport.MaxResponseHeaderBytes default (transport.go maxHeaderResponseSize). */
export const GO_MAX_RESPONSE_HEADER_BYTES = 10 << 20;

/** How a Go client reports a read failure on a connection that has already delivered bytes. */
export const GO_CONNECTION_BROKEN = 'net/http: HTTP/1.x transport connection broken: ';

export const GO_HEADERS_TOO_LARGE = `net/http: server response headers exceeded ${GO_MAX_RESPONSE_HEADER_BYTES} bytes; aborted`;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Go's verdict on a response head: the error text, or undefined when Go would accept these bytes
 * (or still wait for more). `eof`: the connection ended right after `head`.
 */
export function goResponseHeadError(head: Buffer, eof: boolean): string | undefined {
  const reader = new LineReader(head, eof);
  const first = reader.line();
  if (first === undefined) return eof ? 'unexpected EOF' : undefined;
  const statusLineError = goStatusLineError(first);
  if (statusLineError !== undefined) return statusLineError;
  // textproto.readMIMEHeader: the first header line cannot start with a space.
  const next = reader.peek();
  if (next === ' '.charCodeAt(0) || next === '\t'.charCodeAt(0)) {
    const line = reader.line();
    if (line === undefined) return eof ? 'unexpected EOF' : undefined;
    return `malformed MIME header initial line: ${line.toString('utf8')}`;
  }
  for (;;) {
    const line = reader.line();
    if (line === undefined) return eof ? 'unexpected EOF' : undefined;
    if (line.length === 0) return undefined; // end of the head: Go accepts it
    if (line[0] === 0x20 || line[0] === 0x09) continue; // a folded continuation of the last header
    const colon = line.indexOf(':');
    if (colon < 0) return `malformed MIME header: missing colon: ${goQuoteBytes(line)}`;
    const key = line.subarray(0, colon);
    if (key.length === 0 || !key.every(isTokenByte)) {
      return `malformed MIME header line: ${line.toString('utf8')}`;
    }
  }
}

/** http.ReadResponse's checks of `HTTP/1.1 200 OK`, in Go's order. */
function goStatusLineError(line: Buffer): string | undefined {
  const space = line.indexOf(' ');
  if (space < 0) return `malformed HTTP response ${goQuoteBytes(line)}`;
  const proto = line.subarray(0, space);
  let rest = space + 1;
  while (line[rest] === 0x20) rest++; // strings.TrimLeft(status, " ")
  const status = line.subarray(rest);
  const codeEnd = status.indexOf(' ');
  const code = codeEnd < 0 ? status : status.subarray(0, codeEnd);
  // strconv.Atoi takes a sign; a negative code is refused afterwards.
  if (code.length !== 3 || !/^[+-]?[0-9]+$/.test(code.toString('latin1')) || code[0] === 0x2d) {
    return `malformed HTTP status code ${goQuoteBytes(code)}`;
  }
  if (!isGoHttpVersion(proto.toString('latin1'))) return `malformed HTTP version ${goQuoteBytes(proto)}`;
  return undefined;
}

/** http.ParseHTTPVersion: "HTTP/X.Y" with single digits. */
function isGoHttpVersion(v: string): boolean {
  return /^HTTP\/[0-9]\.[0-9]$/.test(v);
}

/** httpguts token characters (RFC 7230 tchar), what a header name may contain. */
function isTokenByte(b: number): boolean {
  if (b >= 0x30 && b <= 0x39) return true;
  if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return true;
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b));
}

/**
 * bufio.Reader.ReadLine as textproto uses it: lines end at LF, one CR before it is dropped; a
 * last line without LF counts only once the connection has ended.
 */
class LineReader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly eof: boolean,
  ) {}

  peek(): number | undefined {
    return this.buf[this.pos];
  }

  line(): Buffer | undefined {
    if (this.pos >= this.buf.length) return undefined;
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf < 0) {
      if (!this.eof) return undefined;
      const rest = this.buf.subarray(this.pos);
      this.pos = this.buf.length;
      return rest;
    }
    let end = lf;
    if (end > this.pos && this.buf[end - 1] === CR) end--;
    const line = this.buf.subarray(this.pos, end);
    this.pos = lf + 1;
    return line;
  }
}
