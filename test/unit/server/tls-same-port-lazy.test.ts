import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { certNames, createSelfSignedCert } from '../../../src/cli/serving-cert.js';
import { acceptTlsOnSamePort } from '../../../src/server/tls-same-port.js';

function plainGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function tlsGet(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(tls: {
  key: string;
  cert: string;
}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => res.end(req.socket.constructor.name));
  acceptTlsOnSamePort(server, tls);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('one port for HTTP and HTTPS: the TLS context is made on the first TLS connection (memory, issue 6 S3)', () => {
  test('a valid certificate serves HTTPS from the first TLS connection on, beside plain HTTP', async () => {
    const tls = createSelfSignedCert(certNames('127.0.0.1'));
    const node = await serve(tls);
    try {
      assert.equal(await plainGet(node.port), 'Socket');
      assert.equal(await tlsGet(node.port, tls.cert), 'TLSSocket');
      assert.equal(
        await tlsGet(node.port, tls.cert),
        'TLSSocket',
        'the second connection reuses the context',
      );
    } finally {
      await node.close();
    }
  });

  test('a key that does not match the certificate: HTTP still works; the TLS connection is closed and the error names the files and the fix', async (t) => {
    const errors: string[] = [];
    t.mock.method(console, 'error', (msg: unknown) => errors.push(String(msg)));
    const one = createSelfSignedCert(certNames('127.0.0.1'));
    const other = createSelfSignedCert(certNames('127.0.0.1'));
    const node = await serve({ cert: one.cert, key: other.key });
    try {
      assert.equal(await plainGet(node.port), 'Socket');
      await assert.rejects(tlsGet(node.port, one.cert));
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', /tls\/serving\.crt and tls\/serving\.key/);
      assert.match(errors[0] ?? '', /delete both files and restart podvisor/);
      assert.equal(await plainGet(node.port), 'Socket', 'plain HTTP is unaffected');
    } finally {
      await node.close();
    }
  });
});
