import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { probeGrpc } from '../../../src/probe/grpc.js';

const HOST = '127.0.7.41';

describe('gRPC probe connections (spec §3.4)', () => {
  test('§3.4: against a server that never speaks HTTP/2, each probe closes its connection at the deadline', async () => {
    // grpc-js alone leaves such a connection open (waiting for SETTINGS) after its channel closes.
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const port = (server.address() as AddressInfo).port;
    const open = (): Promise<number> =>
      new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => probeGrpc({ host: HOST, port, service: '', timeoutMs: 300 })),
      );
      for (const res of results) {
        assert.deepEqual(res, {
          result: 'failure',
          output: `timeout: failed to connect service "${HOST}:${port}" within 300ms: context deadline exceeded`,
        });
      }
      let left = await open();
      const deadline = Date.now() + 2000;
      while ((left = await open()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(left, 0, 'probe connections still open 2 s after the verdicts');
    } finally {
      server.close();
    }
  });
});
