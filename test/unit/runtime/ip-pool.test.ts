import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { IpPool } from '../../../src/runtime/ip-pool.js';

describe('pod IP pool (DESIGN "Local mapping")', () => {
  test('skips .0 and .255 addresses and allocates round-robin', () => {
    const pool = new IpPool('127.77.0.0/23');
    const first = Array.from({ length: 256 }, () => pool.allocate());
    assert.equal(first[0], '127.77.0.1');
    assert.equal(first[253], '127.77.0.254');
    assert.equal(first[254], '127.77.1.1');
    assert.ok(first.every((ip) => !/\.(0|255)$/.test(ip)));
    assert.equal(new Set(first).size, 256);
    pool.release('127.77.0.1');
    // A released address is not handed out again before the rest of the pool has been used.
    assert.equal(pool.allocate(), '127.77.1.3');
  });

  test('reports exhaustion and rejects pools outside 127.0.0.0/8', () => {
    const pool = new IpPool('127.9.9.0/30');
    assert.deepEqual(
      [pool.allocate(), pool.allocate(), pool.allocate()],
      ['127.9.9.1', '127.9.9.2', '127.9.9.3'],
    );
    assert.throws(() => pool.allocate(), /exhausted/);
    assert.throws(() => new IpPool('10.0.0.0/16'), /127\.0\.0\.0\/8/);
    assert.equal(pool.reserve('127.9.9.2'), false);
    pool.release('127.9.9.2');
    assert.equal(pool.reserve('127.9.9.2'), true);
  });

  test('Linux answers on any 127.x address without setup', async () => {
    const ip = new IpPool('127.77.0.0/16').allocate();
    const server = createServer((socket) => socket.end('hello'));
    server.listen(0, ip);
    await once(server, 'listening');
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    const socket = connect(address.port, ip);
    const [data] = (await once(socket, 'data')) as [Buffer];
    assert.equal(data.toString(), 'hello');
    socket.destroy();
    server.close();
  });
});
