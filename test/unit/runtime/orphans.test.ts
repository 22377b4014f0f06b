import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessRuntime } from '../../../src/runtime/process-runtime.js';
import { instancesFile, writeLeaderRecords } from '../../../src/runtime/instance-registry.js';
import { firstLines, isAlive, launch, startTimeOf, tempStateDir } from './runtime-helpers.js';

describe('crash recovery (DESIGN principle 6)', () => {
  test('a new runtime kills the process groups a crashed one recorded', async () => {
    const state = tempStateDir();
    try {
      const crashed = await ProcessRuntime.create({ stateDir: state.dir });
      const pod = await crashed.preparePod({
        uid: 'uid-1',
        namespace: 'default',
        name: 'web',
        hostNetwork: false,
      });
      const instance = await crashed.start(
        launch(pod.podDir, ['sh', '-c', "trap '' TERM; sleep 30 & echo $!; exec sleep 30"]),
      );
      const [child] = await firstLines(crashed, 'uid-1', 'app', 1);
      const recorded = JSON.parse(readFileSync(instancesFile(state.dir), 'utf8')).instances;
      // With cgroup containment in force, the record names the instance's cgroup too.
      const cgroup: unknown = recorded[0]?.cgroup;
      assert.equal(cgroup !== undefined, crashed.containment().mode === 'cgroup');
      assert.deepEqual(recorded, [
        {
          id: instance.id,
          pid: instance.pid,
          pgid: instance.pid,
          startTime: startTimeOf(instance.pid),
          ...(cgroup !== undefined ? { cgroup } : {}),
          podUid: 'uid-1',
          container: 'app',
        },
      ]);

      // The first runtime is never shut down: as if podvisor had crashed.
      let reported: number[] = [];
      await ProcessRuntime.create({ stateDir: state.dir, onOrphansKilled: (pids) => (reported = pids) });
      assert.equal((await instance.exited).exitCode, 137);
      assert.deepEqual(reported.sort(), [instance.pid, Number(child)].sort());
      assert.equal(isAlive(instance.pid), false);
      assert.equal(isAlive(Number(child)), false);
    } finally {
      state.cleanup();
    }
  });

  test('a recorded pid that now belongs to another process (different start time) is not killed', async () => {
    const state = tempStateDir();
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    await once(stranger, 'spawn');
    const pid = stranger.pid as number;
    try {
      await writeLeaderRecords(instancesFile(state.dir), [
        {
          id: 'podvisor://recycled',
          pid,
          pgid: pid,
          startTime: startTimeOf(pid) - 1,
          podUid: 'u',
          container: 'c',
        },
        { id: 'podvisor://gone', pid: 4_194_000, pgid: 4_194_000, startTime: 1, podUid: 'u', container: 'c' },
      ]);
      let reported: number[] | undefined;
      await ProcessRuntime.create({ stateDir: state.dir, onOrphansKilled: (pids) => (reported = pids) });
      assert.equal(reported, undefined);
      assert.equal(isAlive(pid), true);
      // The stale records are gone; the file is valid JSON written atomically.
      assert.deepEqual(
        JSON.parse(readFileSync(join(state.dir, 'runtime', 'instances.json'), 'utf8')).instances,
        [],
      );
    } finally {
      stranger.kill('SIGKILL');
      state.cleanup();
    }
  });
});
