import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CgroupTree,
  cgroupPopulated,
  cgroupProcs,
  findCgroup2Mount,
  killCgroup,
  ownCgroupDir,
  parentCgroupName,
  removeCgroup,
  unifiedCgroupPath,
} from '../../../src/runtime/cgroup.js';
import { ProcessRuntime } from '../../../src/runtime/process-runtime.js';
import { firstLines, isAlive, launch, tempStateDir, TEST_POD } from './runtime-helpers.js';

const HYBRID_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

/** Whether this machine gives podvisor a cgroup v2 (the cgroup-mode tests below need one). */
function machineHasCgroups(): boolean {
  const state = tempStateDir();
  try {
    const { tree, containment } = CgroupTree.open(state.dir, 'auto');
    void tree?.remove();
    return containment.mode === 'cgroup';
  } finally {
    state.cleanup();
  }
}

describe('cgroup containment: reading the machine', () => {
  test('the cgroup2 mount is found in mountinfo, hybrid or pure v2, with escaped paths', () => {
    assert.deepEqual(findCgroup2Mount(HYBRID_MOUNTINFO), {
      mountPoint: '/sys/fs/cgroup/unified',
      root: '/',
      favorDynmods: false,
    });
    const pure =
      '29 23 0:26 /kubepods/x /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,favordynmods';
    assert.deepEqual(findCgroup2Mount(pure), {
      mountPoint: '/sys/fs/cgroup',
      root: '/kubepods/x',
      favorDynmods: true,
    });
    const escaped = '29 23 0:26 / /mnt/my\\040cgroups rw - cgroup2 none rw';
    assert.equal(findCgroup2Mount(escaped)?.mountPoint, '/mnt/my cgroups');
    assert.equal(findCgroup2Mount(HYBRID_MOUNTINFO.split('\n')[1] ?? ''), undefined);
  });

  test('the unified path is the "0::" line of /proc/self/cgroup', () => {
    assert.equal(
      unifiedCgroupPath('4:memory:/a\n0::/user.slice/session-1.scope\n'),
      '/user.slice/session-1.scope',
    );
    assert.equal(unifiedCgroupPath('4:memory:/a\n'), undefined);
  });

  test('one parent per state directory, the same for a later podvisor with that directory', () => {
    assert.match(parentCgroupName('/var/lib/podvisor'), /^podvisor-[0-9a-f]{12}$/);
    assert.equal(parentCgroupName('/var/lib/podvisor'), parentCgroupName('/var/lib/podvisor/'));
    assert.notEqual(parentCgroupName('/var/lib/podvisor'), parentCgroupName('/var/lib/other'));
  });

  test('auto falls back to the scan and says why; scan is taken as asked; cgroup refuses, naming the flag', () => {
    const state = tempStateDir();
    try {
      const noV2 = { mountinfo: () => HYBRID_MOUNTINFO.split('\n')[1] ?? '', selfCgroup: () => '0::/\n' };
      const auto = CgroupTree.open(state.dir, 'auto', noV2);
      assert.equal(auto.tree, undefined);
      assert.equal(auto.containment.mode, 'scan');
      assert.match(auto.containment.reason, /no cgroup2 mount in \/proc\/self\/mountinfo/);
      assert.match(auto.containment.reason, /run as root with a writable cgroup v2/);
      const asked = CgroupTree.open(state.dir, 'scan');
      assert.deepEqual(asked.containment, {
        mode: 'scan',
        reason: 'descendant scan of /proc, as asked by --process-containment=scan',
      });
      assert.throws(() => CgroupTree.open(state.dir, 'cgroup', noV2), {
        message:
          /^--process-containment=cgroup: no cgroup2 mount .*or pass --process-containment=auto \(or scan\)$/,
      });
      const other = {
        mountinfo: () => '41 31 0:38 /elsewhere /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
        selfCgroup: () => '0::/\n',
      };
      assert.match(
        CgroupTree.open(state.dir, 'auto', other).containment.reason,
        /podvisor's cgroup \/ is not visible/,
      );
    } finally {
      state.cleanup();
    }
  });
});

const available = machineHasCgroups();

describe(`cgroup containment on this machine (${available ? 'cgroup v2 available' : 'no cgroup v2: scan'})`, () => {
  if (!available) {
    test('without a usable cgroup v2, a runtime runs with the scan and reports why', async () => {
      const state = tempStateDir();
      try {
        const runtime = await ProcessRuntime.create({ stateDir: state.dir });
        assert.equal(runtime.containment().mode, 'scan');
        assert.match(runtime.containment().reason, /^descendant scan of \/proc: no cgroup v2 here \(.+\)/);
        await runtime.shutdown(0);
      } finally {
        state.cleanup();
      }
    });
    return;
  }

  test('a container is born in its own cgroup; podvisor is back in its own right after the spawn', async () => {
    const state = tempStateDir();
    const home = ownCgroupDir();
    try {
      const runtime = await ProcessRuntime.create({ stateDir: state.dir, processContainment: 'cgroup' });
      assert.equal(runtime.containment().mode, 'cgroup');
      const pod = await runtime.preparePod(TEST_POD);
      const instance = await runtime.start(
        launch(pod.podDir, ['sh', '-c', 'sleep 30 & echo $!; exec sleep 30']),
      );
      assert.equal(ownCgroupDir(), home, 'podvisor went home');
      const [child] = await firstLines(runtime, TEST_POD.uid, 'app', 1);
      const parent = join(home ?? '', parentCgroupName(state.dir));
      const [dir] = readdirSync(parent).filter((n) => n.startsWith('c-'));
      assert.ok(dir, `a container cgroup under ${parent}`);
      assert.deepEqual(cgroupProcs(join(parent, dir)).sort(), [instance.pid, Number(child)].sort());
      assert.equal(killCgroup(home ?? ''), false, 'podvisor never kills the cgroup it is in');
      await runtime.stop(instance.id, 2000);
      assert.equal(isAlive(Number(child)), false);
      await runtime.shutdown(0);
      assert.equal(existsSync(parent), false, 'the parent is removed at shutdown');
    } finally {
      state.cleanup();
    }
  });

  test('without favordynmods, a note says what each start costs and how to avoid it; the reason stays short', async () => {
    const state = tempStateDir();
    try {
      const mount = findCgroup2Mount(readFileSync('/proc/self/mountinfo', 'utf8'));
      assert.ok(mount);
      const runtime = await ProcessRuntime.create({ stateDir: state.dir, processContainment: 'cgroup' });
      const { reason, note } = runtime.containment();
      assert.doesNotMatch(reason, /favordynmods/, 'kubectl describe node cuts annotations at 140 characters');
      if (mount.favorDynmods) assert.equal(note, undefined);
      else {
        assert.equal(
          note,
          "each container start waits for the kernel's cgroup migration lock (an RCU grace period, " +
            '~7 ms on an idle machine): mount cgroup2 with favordynmods (Linux 6.0+) to avoid it, ' +
            `e.g. mount -o remount,favordynmods ${mount.mountPoint}`,
        );
      }
      await runtime.shutdown(0);
    } finally {
      state.cleanup();
    }
  });

  test('principle 6: after a crash, the next runtime ends a double-fork setsid daemon the scan cannot see, and removes the cgroups', async () => {
    const state = tempStateDir();
    try {
      const crashed = await ProcessRuntime.create({ stateDir: state.dir });
      const pod = await crashed.preparePod(TEST_POD);
      // The daemon: new session, parent gone at once, no stdio in common with the container.
      const script =
        "setsid sh -c '(sleep 30 </dev/null >/dev/null 2>&1 & echo $! > daemon.pid)' </dev/null >/dev/null 2>&1; " +
        'while [ ! -s daemon.pid ]; do sleep 0.01; done; cat daemon.pid; exec sleep 30';
      const instance = await crashed.start(launch(pod.podDir, ['sh', '-c', script]));
      const [daemon] = await firstLines(crashed, TEST_POD.uid, 'app', 1);
      const stat = readFileSync(`/proc/${daemon}/stat`, 'latin1');
      const [, ppid, , sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      assert.equal(
        Number(ppid) !== instance.pid && Number(sid) !== instance.pid,
        true,
        'the daemon escaped the tree and session',
      );

      // A container cgroup that was never recorded (a crash between mkdir and the record).
      const parent = join(ownCgroupDir() ?? '', parentCgroupName(state.dir));
      mkdirSync(join(parent, 'c-unrecorded'));
      let reported: number[] = [];
      const next = await ProcessRuntime.create({
        stateDir: state.dir,
        onOrphansKilled: (pids) => (reported = pids),
      });
      assert.equal(isAlive(Number(daemon)), false, 'the daemon is gone');
      assert.equal(isAlive(instance.pid), false);
      assert.ok(reported.includes(Number(daemon)), `reported ${reported.join(',')}`);
      // Another podvisor starting meanwhile (another test file) may have removed the emptied parent
      // (by design: a live one makes it again on demand); a parent rmdir removed had no children.
      assert.deepEqual(
        existsSync(parent) ? readdirSync(parent).filter((n) => n.startsWith('c-')) : [],
        [],
        'no container cgroup is left',
      );
      await next.shutdown(0);
      assert.equal(existsSync(parent), false);
    } finally {
      state.cleanup();
    }
  });

  test('start-up removes empty podvisor-* parents that no podvisor uses, never a populated one', async () => {
    const state = tempStateDir();
    const home = ownCgroupDir() ?? '';
    const stale = join(home, parentCgroupName(`${state.dir}-gone`));
    const busy = join(home, parentCgroupName(`${state.dir}-busy`));
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      mkdirSync(join(stale, 'c-1'), { recursive: true });
      mkdirSync(join(busy, 'c-1'), { recursive: true });
      await new Promise((resolve) => sleeper.once('spawn', resolve));
      // The sleeper moves into the "busy" parent's child, as a live podvisor's container would be.
      writeFileSync(join(busy, 'c-1', 'cgroup.procs'), String(sleeper.pid));
      const runtime = await ProcessRuntime.create({ stateDir: state.dir });
      assert.equal(existsSync(stale), false, 'the empty parent is removed');
      assert.equal(cgroupPopulated(busy), true, 'the populated parent is left alone');
      assert.equal(isAlive(sleeper.pid ?? 0), true);
      await runtime.shutdown(0);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
      await removeCgroup(join(busy, 'c-1'));
      await removeCgroup(busy);
      await removeCgroup(join(stale, 'c-1'));
      await removeCgroup(stale);
      state.cleanup();
    }
  });
});
