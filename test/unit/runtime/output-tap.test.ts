import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firstLines, freshRuntimeEach, launch, TEST_POD as POD } from './runtime-helpers.js';

describe('ProcessRuntime: output tap, last output time and recent lines (issue 5, in-process checks)', () => {
  const f = freshRuntimeEach();

  test('the tap sees each line with the time its CRI record carries; recentLines reads them back from the file', async () => {
    // One line before the tap is likely set, two after a pause that certainly come after it.
    const instance = await f.runtime.start(
      launch(f.sandbox.podDir, ['sh', '-c', 'echo one; sleep 0.3; echo two; echo three >&2; sleep 30']),
    );
    assert.equal(f.runtime.lastOutputAt('podvisor://unknown'), undefined);
    const tapped: { line: string; at: number }[] = [];
    const unsubscribe = f.runtime.tapOutput(instance.id, (line, at) => tapped.push({ line, at }));
    assert.ok(unsubscribe, 'a running instance can be tapped');
    await firstLines(f.runtime, POD.uid, 'app', 3);
    unsubscribe();
    const recent = await f.runtime.recentLines(instance.id, 10);
    assert.deepEqual(recent.map((l) => l.text).sort(), ['one', 'three', 'two']);
    // Lines after the tap was set are identical, time included, to what the file holds.
    for (const t of tapped) {
      const same = recent.find((r) => r.text === t.line);
      assert.ok(same, `${t.line} is in the file`);
      assert.equal(same.at, t.at);
    }
    assert.ok(tapped.some((t) => t.line === 'two'));
    const last = f.runtime.lastOutputAt(instance.id);
    assert.ok(last !== undefined && last >= Math.max(...recent.map((r) => r.at)));
    assert.deepEqual((await f.runtime.recentLines(instance.id, 1)).length, 1, 'maxLines bounds what is read');
    await f.runtime.stop(instance.id, 200);
    assert.equal(
      f.runtime.tapOutput(instance.id, () => {}),
      undefined,
      'no tap on a closed log',
    );
  });
});
