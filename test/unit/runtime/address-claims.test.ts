import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FileAddressClaims } from '../../../src/runtime/address-claims.js';
import { IpPool } from '../../../src/runtime/ip-pool.js';

describe('pod IP claims across podvisor nodes (DESIGN: two nodes side by side)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-claims-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an address another live node holds is skipped; released ones come back', async () => {
    // A second "node": a live process whose pid owns the claims it makes.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const theirs = new IpPool('127.88.0.0/24', new FileAddressClaims(dir, other.pid!));
      const ours = new IpPool('127.88.0.0/24', new FileAddressClaims(dir));
      assert.equal(theirs.allocate(), '127.88.0.1');
      assert.equal(theirs.allocate(), '127.88.0.2');
      assert.equal(ours.allocate(), '127.88.0.3', 'skips the two the other node holds');
      assert.equal(ours.reserve('127.88.0.1'), false, 'a restored sandbox cannot take a held address');
      theirs.release('127.88.0.1');
      assert.equal(ours.reserve('127.88.0.1'), true);
      assert.deepEqual(readdirSync(dir).sort(), ['127.88.0.1', '127.88.0.2', '127.88.0.3']);
      ours.release('127.88.0.3');
      assert.deepEqual(readdirSync(dir).sort(), ['127.88.0.1', '127.88.0.2']);
    } finally {
      other.kill('SIGKILL');
    }
  });

  test("a crashed node's claims (owner gone or pid recycled) are taken over", () => {
    writeFileSync(join(dir, '127.88.1.1'), '999999999 12345'); // no such process
    writeFileSync(join(dir, '127.88.1.2'), `${process.pid} 1`); // our pid, another start time
    const pool = new IpPool('127.88.1.0/24', new FileAddressClaims(dir));
    assert.equal(pool.allocate(), '127.88.1.1');
    assert.equal(pool.allocate(), '127.88.1.2');
  });
});
