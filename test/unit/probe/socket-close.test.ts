import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { probeHttp } from '../../../src/probe/http.js';
import { TIME_WAIT_MS, TimeWaitBudget } from '../../../src/probe/socket-close.js';
import { probeTcp } from '../../../src/probe/tcp.js';
import { waitFor } from './helpers.js';

const HOST = '127.0.0.6';

/** TIME_WAIT sockets (state 06) whose local or remote end is HOST:port, from /proc/net/tcp. */
function timeWaitTo(port: number): number {
  const hex = `0600007F:${port.toString(16).toUpperCase().padStart(4, '0')}`; // 127.0.0.6, little-endian
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '06' && (f[1] === hex || f[2] === hex)) n++;
  }
  return n;
}

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

describe('probe sockets and TIME_WAIT (kubelet ProbeDialer, issue 89898)', () => {
  test('TimeWaitBudget: graceful closes per target up to the limit within the TIME_WAIT length', () => {
    let now = 1_000_000;
    const budget = new TimeWaitBudget(3, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => budget.takeGraceful('a:1')),
      [true, true, true, false],
    );
    assert.equal(budget.takeGraceful('b:1'), true, 'another target has its own budget');
    now += TIME_WAIT_MS; // the previous window still counts in full at its end
    assert.equal(budget.takeGraceful('a:1'), false);
    now += TIME_WAIT_MS / 2; // half of it has drained: 1.5 of 3 left in the window
    assert.deepEqual(
      [1, 2, 3].map(() => budget.takeGraceful('a:1')),
      [true, true, false],
    );
    now += 3 * TIME_WAIT_MS; // long quiet: nothing of it is left
    assert.equal(budget.takeGraceful('a:1'), true);
  });

  test('an HTTP probe leaves no TIME_WAIT socket on either end (reset once the verdict is in)', async () => {
    const server = createHttpServer((_req, res) => res.end('ok'));
    const port = await listen(server);
    try {
      for (let i = 0; i < 20; i++) {
        const out = await probeHttp({
          scheme: 'HTTP',
          host: HOST,
          port,
          path: '/',
          headers: [],
          timeoutMs: 1000,
        });
        assert.deepEqual(out, { result: 'success', output: 'ok' });
      }
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the last close reach both ends
      assert.equal(timeWaitTo(port), 0);
    } finally {
      server.close();
    }
  });

  test('a TCP probe within the budget closes with a FIN: the application sees an orderly end', async () => {
    const seen: string[] = [];
    const server = createServer((socket) => {
      socket.on('end', () => seen.push('end'));
      socket.on('error', (err: NodeJS.ErrnoException) => seen.push(err.code ?? 'error'));
      socket.resume();
    });
    const port = await listen(server);
    try {
      assert.deepEqual(await probeTcp({ host: HOST, port, timeoutMs: 1000 }, new TimeWaitBudget(1)), {
        result: 'success',
        output: '',
      });
      await waitFor(() => seen.length === 1, 2000, 'the application never saw the close');
      assert.deepEqual(seen, ['end']);
    } finally {
      server.close();
    }
  });

  test('a TCP probe past the budget resets the connection: no TIME_WAIT, the same verdict', async () => {
    const seen: string[] = [];
    const server = createServer((socket) => {
      socket.on('end', () => seen.push('end'));
      socket.on('error', (err: NodeJS.ErrnoException) => seen.push(err.code ?? 'error'));
      socket.resume();
    });
    const port = await listen(server);
    try {
      const spent = new TimeWaitBudget(0);
      for (let i = 0; i < 10; i++) {
        assert.deepEqual(await probeTcp({ host: HOST, port, timeoutMs: 1000 }, spent), {
          result: 'success',
          output: '',
        });
      }
      await waitFor(
        () => seen.length === 10,
        2000,
        () => `the application saw ${seen.join(',')}`,
      );
      assert.deepEqual(new Set(seen), new Set(['ECONNRESET']));
      assert.equal(timeWaitTo(port), 0);
    } finally {
      server.close();
    }
  });
});
