import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { probeTcp } from '../../../src/probe/tcp.js';
import { activeResources, freePort, waitFor } from './helpers.js';

const HOST = '127.0.0.5';

/**
 * A listener whose accept queue is full, so further SYNs are dropped and a dial can only time
 * out. The listening process blocks its own event loop, so it never accepts; we then open
 * connections until one stays unanswered, which proves the queue is full.
 */
async function startFullBacklog(): Promise<{ port: number; close(): void }> {
  const script = `
    const server = require('node:net').createServer();
    server.listen({ host: '${HOST}', port: 0, backlog: 1 }, () => {
      process.stdout.write(server.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  const fillers: Socket[] = [];
  for (let i = 0; i < 64; i++) {
    const socket = connect({ host: HOST, port });
    socket.on('error', () => undefined);
    fillers.push(socket);
    const connected = await Promise.race([
      once(socket, 'connect').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
    ]);
    if (!connected) {
      return {
        port,
        close() {
          for (const s of fillers) s.destroy();
          child.kill('SIGKILL');
        },
      };
    }
  }
  child.kill('SIGKILL');
  throw new Error('could not fill the listen backlog');
}

describe('TCP probe (spec §3.2)', () => {
  let server: ReturnType<typeof createServer>;
  let port: number;
  const received: { bytes: number; ended: boolean }[] = [];

  before(async () => {
    server = createServer((socket) => {
      const record = { bytes: 0, ended: false };
      received.push(record);
      socket.on('data', (d) => (record.bytes += d.length));
      socket.on('end', () => (record.ended = true));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const address = server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('§3.2: an accepted connection is Success with empty output, closed at once without data', async () => {
    received.length = 0;
    assert.deepEqual(await probeTcp({ host: HOST, port, timeoutMs: 1000 }), {
      result: 'success',
      output: '',
    });
    await waitFor(() => received[0]?.ended === true, 2000, 'the prober never closed the connection');
    assert.equal(received[0]?.bytes, 0);
  });

  test('§3.2: a refused connection is a Failure "dial tcp <ip:port>: connect: connection refused"', async () => {
    const closed = await freePort(HOST);
    assert.deepEqual(await probeTcp({ host: HOST, port: closed, timeoutMs: 1000 }), {
      result: 'failure',
      output: `dial tcp ${HOST}:${closed}: connect: connection refused`,
    });
  });

  test('§3.2: a dial that does not complete in time is a Failure "dial tcp <ip:port>: i/o timeout"', async () => {
    const full = await startFullBacklog();
    try {
      const started = Date.now();
      const res = await probeTcp({ host: HOST, port: full.port, timeoutMs: 250 });
      const elapsed = Date.now() - started;
      assert.deepEqual(res, { result: 'failure', output: `dial tcp ${HOST}:${full.port}: i/o timeout` });
      assert.ok(elapsed >= 240 && elapsed < 1000, `took ${elapsed} ms`);
    } finally {
      full.close();
    }
  });

  test('§3.2: an invalid port is a Failure, never a throw', async () => {
    const res = await probeTcp({ host: HOST, port: 70000, timeoutMs: 1000 });
    assert.equal(res.result, 'failure');
    assert.match(res.output, /^dial tcp 127\.0\.0\.5:70000: /);
  });

  test('§3.2: probes leave no sockets or timers behind', async () => {
    const before = activeResources();
    const closed = await freePort(HOST);
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      runs.push(probeTcp({ host: HOST, port, timeoutMs: 1000 }));
      runs.push(probeTcp({ host: HOST, port: closed, timeoutMs: 1000 }));
    }
    await Promise.all(runs);
    await waitFor(
      () => {
        const now = activeResources();
        return now.TCPSocketWrap <= before.TCPSocketWrap && now.Timeout <= before.Timeout;
      },
      3000,
      () => `resources left: ${JSON.stringify(activeResources())} vs before ${JSON.stringify(before)}`,
    );
  });
});
