import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderKubeconfig } from '../../../src/cli/commands/kubeconfig.js';
import { certNames, createSelfSignedCert, loadOrCreateServingCert } from '../../../src/cli/serving-cert.js';
import { acceptTlsOnSamePort } from '../../../src/server/tls-same-port.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('serving certificate (kubectl sends its token only over TLS)', () => {
  test('a self-signed certificate for loopback that verifies against itself', () => {
    const { cert, key } = createSelfSignedCert(certNames('0.0.0.0'));
    const x509 = new X509Certificate(cert);
    assert.ok(x509.verify(x509.publicKey), 'self-signed');
    assert.ok(x509.checkPrivateKey(createPrivateKey(key)));
    assert.ok(x509.ca);
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x509.checkIP('::1'), '::1');
    assert.equal(x509.checkHost('localhost'), 'localhost');
    assert.equal(x509.checkIP('10.0.0.1'), undefined);
    assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  });

  test('a specific listen address is covered too', () => {
    const x509 = new X509Certificate(createSelfSignedCert(certNames('192.168.7.9')).cert);
    assert.equal(x509.checkIP('192.168.7.9'), '192.168.7.9');
  });

  test('kept in the state directory (key 0600) and reused across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podvisor-cert-'));
    dirs.push(dir);
    const first = await loadOrCreateServingCert(dir, '127.0.0.1');
    const again = await loadOrCreateServingCert(dir, '127.0.0.1');
    assert.equal(again.cert, first.cert);
    assert.equal(statSync(join(dir, 'tls', 'serving.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'tls')).mode & 0o777, 0o700);
    const other = await loadOrCreateServingCert(dir, '192.168.7.9');
    assert.notEqual(other.cert, first.cert, 'a host the old one does not cover gets a new one');
  });

  test('one port answers http:// and https:// (verified with the certificate as CA)', async () => {
    const tls = createSelfSignedCert(certNames('127.0.0.1'));
    const server = createServer((req, res) => {
      res.end(`${'encrypted' in req.socket ? 'tls' : 'plain'} ${req.url}`);
    });
    acceptTlsOnSamePort(server, tls);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const plain = await fetch(`http://127.0.0.1:${port}/a`).then((r) => r.text());
      assert.equal(plain, 'plain /a');
      const secure = await new Promise<string>((resolve, reject) => {
        request(`https://127.0.0.1:${port}/b`, { ca: tls.cert }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(secure, 'tls /b');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('podvisor kubeconfig', () => {
  test('cluster, user and context named podvisor-<node>, current, with the CA', () => {
    const text = renderKubeconfig({
      server: 'https://127.0.0.1:6443',
      token: 'abc',
      nodeName: 'box',
      certificateAuthority: 'PEM',
    });
    assert.deepEqual(parse(text), {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'podvisor-box',
          cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'UEVN' },
        },
      ],
      users: [{ name: 'podvisor-box', user: { token: 'abc' } }],
      contexts: [
        {
          name: 'podvisor-box',
          context: { cluster: 'podvisor-box', user: 'podvisor-box', namespace: 'default' },
        },
      ],
      'current-context': 'podvisor-box',
      preferences: {},
    });
  });
});
