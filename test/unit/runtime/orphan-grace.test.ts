import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessRuntime } from '../../../src/runtime/process-runtime.js';
import { firstLines, isAlive, launch, tempStateDir } from './runtime-helpers.js';

/** A runtime that is never shut down (as if podvisor had crashed) with one container running `script`. */
async function crashedWith(dir: string, script: string) {
  const crashed = await ProcessRuntime.create({ stateDir: dir });
  const pod = await crashed.preparePod({
    uid: 'uid-1',
    namespace: 'default',
    name: 'web',
    hostNetwork: false,
  });
  const instance = await crashed.start(launch(pod.podDir, ['sh', '-c', script]));
  await firstLines(crashed, 'uid-1', 'app', 1); // its TERM trap is in place
  return instance;
}

describe("crash recovery with the pods' grace periods (issue 3 item 8)", () => {
  test('an orphan that handles SIGTERM ends by itself within its grace (no SIGKILL)', async () => {
    const state = tempStateDir();
    try {
      const instance = await crashedWith(
        state.dir,
        "trap 'sleep 0.3; exit 7' TERM; echo ready; while true; do sleep 0.05; done",
      );
      const asked: string[] = [];
      const started = Date.now();
      await ProcessRuntime.create({
        stateDir: state.dir,
        orphanGraceMs: (o) => {
          asked.push(`${o.podUid}/${o.container}`);
          return 10_000;
        },
      });
      const tookMs = Date.now() - started;
      assert.deepEqual(asked, ['uid-1/app'], 'the grace comes from the pod of the orphan');
      assert.equal((await instance.exited).exitCode, 7, 'it ran its SIGTERM handler to the end');
      assert.ok(tookMs >= 250 && tookMs < 5000, `create() waited for it, not the whole grace (${tookMs} ms)`);
      assert.equal(isAlive(instance.pid), false);
    } finally {
      state.cleanup();
    }
  });

  test('an orphan that ignores SIGTERM gets SIGKILL once its grace is over', async () => {
    const state = tempStateDir();
    try {
      const instance = await crashedWith(
        state.dir,
        "trap '' TERM; echo ready; while true; do sleep 0.05; done",
      );
      const started = Date.now();
      let reported: number[] = [];
      await ProcessRuntime.create({
        stateDir: state.dir,
        orphanGraceMs: () => 600,
        onOrphansKilled: (pids) => (reported = pids),
      });
      const tookMs = Date.now() - started;
      assert.equal((await instance.exited).exitCode, 137);
      assert.ok(tookMs >= 600, `SIGKILL came after the grace (${tookMs} ms)`);
      assert.ok(reported.includes(instance.pid));
      assert.equal(isAlive(instance.pid), false);
    } finally {
      state.cleanup();
    }
  });
});
