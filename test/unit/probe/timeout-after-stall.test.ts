import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { probeHttp } from '../../../src/probe/http.js';
import { probeTcp } from '../../../src/probe/tcp.js';

const HOST = '127.0.0.7';

/** Keeps this process's event loop busy, as a burst of other work would. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/**
 * Timers run before I/O in each turn of the event loop, so after a stall a probe's deadline
 * timer would be seen before an answer that arrived in time. Both probers look at the I/O
 * already waiting before they call a timeout.
 */
describe('probe deadlines after an event-loop stall', () => {
  test('a TCP probe whose connection completed during a stall past its deadline is a Success', async () => {
    const server = createServer((socket) => socket.on('error', () => undefined).resume());
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const probe = probeTcp({ host: HOST, port, timeoutMs: 50 });
      stall(300); // the kernel completes the handshake meanwhile; the 50 ms timer is due too
      assert.deepEqual(await probe, { result: 'success', output: '' });
    } finally {
      server.close();
    }
  });

  test('an HTTP probe whose answer arrived during a stall past its deadline is a Success', async () => {
    // The server must answer while this process is stalled, so it lives in another process.
    const script = `
      const s = require('node:http').createServer((req, res) => setTimeout(() => res.end('late but in time'), 20));
      s.listen(0, '${HOST}', () => process.stdout.write(s.address().port + '\\n'));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const port = Number(line.toString().trim());
      const probe = probeHttp({ scheme: 'HTTP', host: HOST, port, path: '/', headers: [], timeoutMs: 150 });
      await new Promise((resolve) => setTimeout(resolve, 30)); // connected, request written
      // From the check phase, so the next turn of the loop starts with its timers.
      await new Promise((resolve) => setImmediate(resolve));
      stall(400); // the answer (at ~20 ms) arrives meanwhile; the 150 ms deadline passes
      assert.deepEqual(await probe, { result: 'success', output: 'late but in time' });
    } finally {
      child.kill();
    }
  });
});
