import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import {
  GO_CONNECTION_BROKEN,
  GO_HEADERS_TOO_LARGE,
  goResponseHeadError,
} from '../../../src/probe/go-http-response.js';
import { goQuoteBytes } from '../../../src/probe/go-text.js';
import { probeHttp } from '../../../src/probe/http.js';

const HOST = '127.0.7.31';

describe("Go's http.ReadResponse errors for a response head (spec §3.1)", () => {
  const cases: [string, string, boolean, string | undefined][] = [
    ['an SSH banner', 'SSH-2.0-OpenSSH_9.6\r\n', false, 'malformed HTTP response "SSH-2.0-OpenSSH_9.6"'],
    ['words without a status code', 'NOT HTTP AT ALL\r\n', false, 'malformed HTTP status code "HTTP"'],
    ['a partial line at EOF', 'NOT HTTP', true, 'malformed HTTP status code "HTTP"'],
    ['a partial line still open', 'NOT HTTP', false, undefined],
    ['a bad version', 'HTTP/1.1x 200 OK\r\n\r\n', false, 'malformed HTTP version "HTTP/1.1x"'],
    ['a 4-digit code', 'HTTP/1.1 2000 OK\r\n\r\n', false, 'malformed HTTP status code "2000"'],
    ['a negative code', 'HTTP/1.1 -20 OK\r\n\r\n', false, 'malformed HTTP status code "-20"'],
    [
      'a header without colon',
      'HTTP/1.1 200 OK\r\nnocolon\r\n\r\n',
      false,
      'malformed MIME header: missing colon: "nocolon"',
    ],
    [
      'a header name with a space',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      false,
      'malformed MIME header line: Bad Name: x',
    ],
    [
      'a leading space on the first header',
      'HTTP/1.1 200 OK\r\n X: y\r\n\r\n',
      false,
      'malformed MIME header initial line:  X: y',
    ],
    ['headers cut by EOF', 'HTTP/1.1 200 OK\r\nX-A: b\r\n', true, 'unexpected EOF'],
    ['a complete head', 'HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n', false, undefined],
    ['a status line without reason', 'HTTP/1.0 204\n\n', false, undefined],
  ];
  for (const [name, head, eof, expected] of cases) {
    test(`§3.1: ${name}`, () => {
      assert.equal(goResponseHeadError(Buffer.from(head, 'latin1'), eof), expected);
    });
  }

  test("§3.1: raw bytes are quoted as Go's %q quotes a string holding them", () => {
    assert.equal(goQuoteBytes(Buffer.from([0x15, 0x03, 0x01, 0x00, 0x46])), '"\\x15\\x03\\x01\\x00F"');
    assert.equal(goQuoteBytes(Buffer.from([0xff, 0x41, 0xc3, 0xa9])), '"\\xffAé"');
    assert.equal(goQuoteBytes(Buffer.from([0xed, 0xa0, 0x80])), '"\\xed\\xa0\\x80"'); // a UTF-16 surrogate
  });
});

describe("HTTP probes of servers that do not speak HTTP, in Go's words (spec §3.1)", () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });
  async function serve(onRequest: (socket: Socket) => void): Promise<number> {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => onRequest(socket));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    return (server.address() as AddressInfo).port;
  }
  const probe = (port: number) =>
    probeHttp({ scheme: 'HTTP', host: HOST, port, path: '/', headers: [], timeoutMs: 3000 });

  test('§3.1: a line that is not a status line is quoted after "transport connection broken"', async () => {
    const port = await serve((s) => s.write('SSH-2.0-OpenSSH_9.6\r\n'));
    assert.deepEqual(await probe(port), {
      result: 'failure',
      output: `Get "http://${HOST}:${port}/": ${GO_CONNECTION_BROKEN}malformed HTTP response "SSH-2.0-OpenSSH_9.6"`,
    });
  });

  test('§3.1: a head cut short by the server is "unexpected EOF", not "EOF"', async () => {
    const port = await serve((s) => s.end('HTTP/1.1 200 OK\r\nX-A: b\r\n'));
    assert.deepEqual(await probe(port), {
      result: 'failure',
      output: `Get "http://${HOST}:${port}/": ${GO_CONNECTION_BROKEN}unexpected EOF`,
    });
  });

  test('§3.1: 100 KiB of headers are read as the kubelet reads them (Node alone stops at 16 KiB)', async () => {
    const big = `X-Big: ${'a'.repeat(100 * 1024)}\r\n`;
    const port = await serve((s) => s.end(`HTTP/1.1 200 OK\r\n${big}Content-Length: 2\r\n\r\nok`));
    assert.deepEqual(await probe(port), { result: 'success', output: 'ok' });
  });

  test("§3.1: headers beyond Go's 10 MiB limit fail with Go's text", async () => {
    const port = await serve((s) => {
      s.write('HTTP/1.1 200 OK\r\n');
      const line = Buffer.from(`X-Flood: ${'a'.repeat(64 * 1024)}\r\n`);
      let sent = 0;
      const pump = (): void => {
        while (sent < 11 * 1024 * 1024 && !s.destroyed) {
          sent += line.length;
          if (!s.write(line)) {
            s.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    assert.deepEqual(await probe(port), {
      result: 'failure',
      output: `Get "http://${HOST}:${port}/": ${GO_CONNECTION_BROKEN}${GO_HEADERS_TOO_LARGE}`,
    });
    assert.equal(GO_HEADERS_TOO_LARGE, 'net/http: server response headers exceeded 10485760 bytes; aborted');
  });
});
