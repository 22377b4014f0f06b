import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ProcessRuntime } from '../../../src/runtime/process-runtime.js';
import type { PodSandbox } from '../../../src/runtime/types.js';
import { firstLines, launch, tempStateDir } from './runtime-helpers.js';

const POD = { uid: 'uid-1', namespace: 'default', name: 'web', hostNetwork: false };

describe('ProcessRuntime: output tap, last output time and recent lines (issue 5, in-process checks)', () => {
  let state: ReturnType<typeof tempStateDir>;
  let runtime: ProcessRuntime;
  let sandbox: PodSandbox;

  beforeEach(async () => {
    state = tempStateDir();
    runtime = await ProcessRuntime.create({ stateDir: state.dir });
    sandbox = await runtime.preparePod(POD);
  });
  afterEach(async () => {
    await runtime.shutdown(200);
    state.cleanup();
  });

  test('the tap sees each line with the time its CRI record carries; recentLines reads them back from the file', async () => {
    // One line before the tap is likely set, two after a pause that certainly come after it.
    const instance = await runtime.start(
      launch(sandbox.podDir, ['sh', '-c', 'echo one; sleep 0.3; echo two; echo three >&2; sleep 30']),
    );
    assert.equal(runtime.lastOutputAt('podvisor://unknown'), undefined);
    const tapped: { line: string; at: number }[] = [];
    const unsubscribe = runtime.tapOutput(instance.id, (line, at) => tapped.push({ line, at }));
    assert.ok(unsubscribe, 'a running instance can be tapped');
    await firstLines(runtime, POD.uid, 'app', 3);
    unsubscribe();
    const recent = await runtime.recentLines(instance.id, 10);
    assert.deepEqual(recent.map((l) => l.text).sort(), ['one', 'three', 'two']);
    // Lines after the tap was set are identical, time included, to what the file holds.
    for (const t of tapped) {
      const same = recent.find((r) => r.text === t.line);
      assert.ok(same, `${t.line} is in the file`);
      assert.equal(same.at, t.at);
    }
    assert.ok(tapped.some((t) => t.line === 'two'));
    const last = runtime.lastOutputAt(instance.id);
    assert.ok(last !== undefined && last >= Math.max(...recent.map((r) => r.at)));
    assert.deepEqual((await runtime.recentLines(instance.id, 1)).length, 1, 'maxLines bounds what is read');
    await runtime.stop(instance.id, 200);
    assert.equal(
      runtime.tapOutput(instance.id, () => {}),
      undefined,
      'no tap on a closed log',
    );
  });
});
