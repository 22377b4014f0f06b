import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startDeadline } from '../../../src/probe/deadline.js';
import { probeTcp } from '../../../src/probe/tcp.js';
import { startBacklogFullTarget } from '../../helpers/hostile-servers.js';

describe('probe deadlines (spec §3.1–§3.3: timeoutSeconds is the full time a probe gets)', () => {
  test('a deadline never expires before its full time on the monotonic clock', async () => {
    // Node's timers count whole milliseconds, so plain setTimeout fires up to 1 ms early; many
    // deadlines started at odd sub-millisecond moments make that show.
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        return new Promise<void>((resolve) => {
          setTimeout(() => {
            const started = performance.now();
            startDeadline(20, () => {
              const elapsed = performance.now() - started;
              if (elapsed < 20) early.push(elapsed);
              resolve();
            });
          }, i % 7);
        });
      }),
    );
    assert.deepEqual(early, [], 'deadlines that expired early');
  });

  test('a cancelled deadline does not fire', async () => {
    let fired = false;
    const cancel = startDeadline(10, () => {
      fired = true;
    });
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(fired, false);
  });

  test('§3.2: a TCP probe to a full listen backlog is judged at the timeout, never before it', async () => {
    const target = await startBacklogFullTarget('127.0.7.21');
    try {
      const latencies = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const t0 = performance.now();
          const res = await probeTcp({ host: target.host, port: target.port, timeoutMs: 100 });
          assert.equal(res.output, `dial tcp ${target.host}:${target.port}: i/o timeout`);
          return performance.now() - t0;
        }),
      );
      assert.ok(Math.min(...latencies) >= 100, `a verdict came after ${Math.min(...latencies)} ms`);
    } finally {
      await target.close();
    }
  });
});
