import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findMembers, processTable } from '../../../src/runtime/proc-scan.js';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('proc-scan: one /proc listing per event-loop turn', () => {
  test('processTable is read once per turn and anew in the next', async () => {
    const first = processTable();
    assert.equal(processTable(), first, 'a second scan in the same turn reuses the listing');
    assert.ok(
      first.some((p) => p.pid === process.pid),
      'the listing holds this process',
    );
    await nextTurn();
    assert.notEqual(processTable(), first, 'the next turn reads /proc again');
  });

  test('a process started after the listing is seen in the next turn', async () => {
    const { spawn } = await import('node:child_process');
    processTable();
    const child = spawn('sleep', ['5'], { detached: true, stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      await nextTurn();
      const clues = {
        leaderPid: child.pid!,
        leaderStartTime: 0,
        known: new Map<number, number>(),
        pipes: new Set<string>(),
        idsValid: true,
      };
      assert.deepEqual(
        findMembers(clues).map((p) => p.pid),
        [child.pid],
      );
    } finally {
      child.kill('SIGKILL');
    }
  });
});
