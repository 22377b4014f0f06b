import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessRuntime } from '../../../src/runtime/process-runtime.js';
import {
  collect,
  firstLines,
  freshRuntimeEach,
  isAlive,
  launch,
  tempStateDir,
  TEST_POD,
} from './runtime-helpers.js';

const POD = TEST_POD;

describe('ProcessRuntime: a container is a process group (spec §4.3, §4.4)', () => {
  const f = freshRuntimeEach();

  test('§4.4: stdout and stderr go to the CRI log with stream tags; exit 0 is Completed', async () => {
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', 'echo hi; echo err >&2']));
    assert.match(instance.id, /^podvisor:\/\/[0-9a-f]{32}$/);
    const exit = await instance.exited;
    assert.deepEqual(
      { ...exit, finishedAt: 0 },
      { exitCode: 0, signal: null, reason: 'Completed', finishedAt: 0 },
    );
    const file = join(f.stateDir, 'pods', 'default_web_uid-1', 'app', '0.log');
    const byStream = (r: string): string => r.slice(r.indexOf(' ') + 1);
    const records = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .sort((x, y) => byStream(x).localeCompare(byStream(y)));
    assert.equal(records.length, 2);
    assert.match(records[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stderr F err$/);
    assert.match(records[1] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hi$/);
    assert.deepEqual((await collect(f.runtime.readLogs(POD.uid, { container: 'app' }))).sort(), [
      'err',
      'hi',
    ]);
  });

  test('§4.4: a non-zero exit keeps its code and is reason Error', async () => {
    const exit = await (await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', 'exit 1']))).exited;
    assert.equal(exit.exitCode, 1);
    assert.equal(exit.reason, 'Error');
  });

  test('§4.3: SIGTERM with its default action gives exit code 143, without waiting for the grace period', async () => {
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sleep', '30']));
    const t0 = Date.now();
    const exit = await f.runtime.stop(instance.id, 10_000);
    assert.equal(exit.exitCode, 143);
    assert.equal(exit.signal, 'SIGTERM');
    assert.equal(exit.reason, 'Error');
    assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
    // Stopping an exited instance resolves at once with the same exit.
    assert.deepEqual(await f.runtime.stop(instance.id, 10_000), exit);
  });

  test('§4.3: a process ignoring SIGTERM is SIGKILLed once the grace period runs out (137)', async () => {
    const script = "trap '' TERM; echo ready; exec sleep 30";
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', script]));
    assert.deepEqual(await firstLines(f.runtime, POD.uid, 'app', 1), ['ready']);
    const t0 = Date.now();
    const exit = await f.runtime.stop(instance.id, 400);
    const took = Date.now() - t0;
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(took >= 390 && took < 1900, `grace of 400 ms honoured, took ${took} ms`);
  });

  test('§4.3: a process that handles SIGTERM and exits 0 is Completed', async () => {
    const script = 'trap "exit 0" TERM; echo ready; while :; do sleep 0.05; done';
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', script]));
    await firstLines(f.runtime, POD.uid, 'app', 1);
    const exit = await f.runtime.stop(instance.id, 5000);
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.reason, 'Completed');
  });

  test('principle 6: stop kills the group, a background child, an escaped child and a setsid double-forked daemon', async () => {
    const script = [
      'sleep 30 & echo "bg $!"',
      // double fork: the inner sh exits at once, its sleep is reparented away from the container's tree
      'setsid sh -c "sleep 30 & echo daemon \\$!"',
      // a child in its own session with detached stdio, whose parent stays alive
      'setsid sh -c "sleep 30 </dev/null >/dev/null 2>&1 & echo detached \\$!; wait" &',
      'exec sleep 30',
    ].join('\n');
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', script]));
    const lines = await firstLines(f.runtime, POD.uid, 'app', 3);
    const pids = Object.fromEntries(lines.map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
    const children = [pids.bg, pids.daemon, pids.detached] as number[];
    for (const pid of children) assert.ok(isAlive(pid), `child ${pid} runs`);
    const members = f.runtime.processes(instance.id);
    for (const pid of [instance.pid, ...children])
      assert.ok(members.includes(pid), `processes() lists ${pid}`);

    await f.runtime.stop(instance.id, 2000);
    for (const pid of [instance.pid, ...children])
      assert.equal(isAlive(pid), false, `pid ${pid} outlived the container`);
    assert.deepEqual(f.runtime.processes(instance.id), []);
    // Nothing in /proc is left in the container's session or process group.
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      } catch {
        continue;
      }
      const [s, , pgid, sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (s === 'Z') continue;
      assert.ok(Number(pgid) !== instance.pid && Number(sid) !== instance.pid, `pid ${name} is left over`);
    }
  });

  test('principle 6: when the leader exits on its own, the rest of its group dies with it', async () => {
    const instance = await f.runtime.start(
      launch(f.sandbox.podDir, ['sh', '-c', 'sleep 30 & echo $!; exit 3']),
    );
    const exit = await instance.exited;
    assert.equal(exit.exitCode, 3);
    const [bg] = await collect(f.runtime.readLogs(POD.uid, { container: 'app' }));
    assert.equal(isAlive(Number(bg)), false);
  });

  test('§4.4 RunContainerError: exec and chdir failures name the OS error', async () => {
    const expectStartError = (
      argv: string[],
      message: string,
      workingDir = f.sandbox.podDir,
    ): Promise<void> =>
      assert.rejects(f.runtime.start(launch(f.sandbox.podDir, argv, { workingDir })), {
        name: 'ContainerStartError',
        reason: 'RunContainerError',
        message,
      });
    await expectStartError(['nosuch'], 'exec: "nosuch": executable file not found in $PATH');
    await expectStartError(['/no/such'], 'exec: "/no/such": stat /no/such: no such file or directory');
    const notExecutable = join(f.stateDir, 'script.sh');
    writeFileSync(notExecutable, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    await expectStartError([notExecutable], `exec: "${notExecutable}": permission denied`);
    const missing = join(f.stateDir, 'missing');
    await expectStartError(['sh', '-c', 'true'], `chdir ${missing}: no such file or directory`, missing);
    // Nothing was recorded as running.
    assert.deepEqual(
      JSON.parse(readFileSync(join(f.stateDir, 'runtime', 'instances.json'), 'utf8')).instances,
      [],
    );
  });

  test('principle 4: the environment and working directory are exactly as given', async () => {
    const env = { A: '1', B: 'two words', EMPTY: '' };
    await (
      await f.runtime.start(launch(f.sandbox.podDir, ['/usr/bin/env'], { env }))
    ).exited;
    assert.deepEqual((await collect(f.runtime.readLogs(POD.uid, { container: 'app' }))).sort(), [
      'A=1',
      'B=two words',
      'EMPTY=',
    ]);
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['/bin/pwd'], { env: {}, attempt: 1 }));
    await instance.exited;
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app' })), [f.sandbox.podDir]);
  });

  test('logs -p reads the previous instance; only the current and previous instance are kept', async () => {
    const logDir = join(f.stateDir, 'pods', 'default_web_uid-1', 'app');
    await (
      await f.runtime.start(launch(f.sandbox.podDir, ['echo', 'one']))
    ).exited;
    await assert.rejects(collect(f.runtime.readLogs(POD.uid, { container: 'app', previous: true })), {
      message: 'previous terminated container "app" in pod "web" not found',
    });
    await (
      await f.runtime.start(launch(f.sandbox.podDir, ['echo', 'two'], { attempt: 1 }))
    ).exited;
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app' })), ['two']);
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app', previous: true })), [
      'one',
    ]);
    // Logs survive a podvisor restart (principle 6): a fresh runtime finds them on disk.
    const restarted = new ProcessRuntime({ stateDir: f.stateDir });
    assert.deepEqual(await collect(restarted.readLogs(POD.uid, { container: 'app' })), ['two']);
    assert.deepEqual(await collect(restarted.readLogs(POD.uid, { container: 'app', previous: true })), [
      'one',
    ]);
    await (
      await f.runtime.start(launch(f.sandbox.podDir, ['echo', 'three'], { attempt: 2 }))
    ).exited;
    assert.deepEqual(readdirSync(logDir).sort(), ['1.log', '2.log']);
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app', previous: true })), [
      'two',
    ]);
  });

  test('logs: tailLines and timestamps in kubectl form', async () => {
    await (
      await f.runtime.start(launch(f.sandbox.podDir, ['seq', '1', '10']))
    ).exited;
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app', tailLines: 3 })), [
      '8',
      '9',
      '10',
    ]);
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app', tailLines: 0 })), []);
    const stamped = await collect(
      f.runtime.readLogs(POD.uid, { container: 'app', tailLines: 1, timestamps: true }),
    );
    assert.equal(stamped.length, 1);
    assert.match(stamped[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 10$/);
    assert.deepEqual(await collect(f.runtime.readLogs(POD.uid, { container: 'app', sinceSeconds: 60 })), [
      ...Array.from({ length: 10 }, (_, i) => String(i + 1)),
    ]);
  });

  test('logs -f yields lines as they are written and ends when the instance exits', async () => {
    const script = 'echo ready; while [ ! -e go ]; do sleep 0.01; done; echo after';
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', script]));
    let exited = false;
    void instance.exited.then(() => (exited = true));
    const seen: string[] = [];
    for await (const line of f.runtime.readLogs(POD.uid, { container: 'app', follow: true })) {
      seen.push(line);
      if (line === 'ready') {
        assert.equal(exited, false);
        writeFileSync(join(f.sandbox.podDir, 'go'), '');
      }
    }
    assert.deepEqual(seen, ['ready', 'after']);
    assert.equal((await instance.exited).exitCode, 0);
  });

  test('logs -f ends when its signal aborts', async () => {
    const instance = await f.runtime.start(
      launch(f.sandbox.podDir, ['sh', '-c', 'echo ready; exec sleep 30']),
    );
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const line of f.runtime.readLogs(POD.uid, {
      container: 'app',
      follow: true,
      signal: abort.signal,
    })) {
      seen.push(line);
      abort.abort();
    }
    assert.deepEqual(seen, ['ready']);
    assert.equal(instance.pid > 0 && isAlive(instance.pid), true);
  });

  test('FallbackToLogsOnError (§4.4): tailOfInstance gives the last lines, then the last bytes', async () => {
    const instance = await f.runtime.start(launch(f.sandbox.podDir, ['sh', '-c', 'seq 1 100; exit 2']));
    await instance.exited;
    const lines = Array.from({ length: 80 }, (_, i) => `${i + 21}\n`).join('');
    assert.equal(await f.runtime.tailOfInstance(instance.id, 80, 2048), lines);
    assert.equal(await f.runtime.tailOfInstance(instance.id, 80, 7), '99\n100\n');
  });

  test('shutdown stops every instance (SIGKILL after the grace) and leaves none recorded', async () => {
    const a = await f.runtime.start(launch(f.sandbox.podDir, ['sleep', '30']));
    const b = await f.runtime.start(
      launch(f.sandbox.podDir, ['sh', '-c', "trap '' TERM; echo ready; exec sleep 30"], {
        containerName: 'b',
      }),
    );
    await firstLines(f.runtime, POD.uid, 'b', 1);
    await f.runtime.shutdown(300);
    assert.equal((await a.exited).exitCode, 143);
    assert.equal((await b.exited).exitCode, 137);
    assert.equal(isAlive(a.pid) || isAlive(b.pid), false);
    assert.deepEqual(
      JSON.parse(readFileSync(join(f.stateDir, 'runtime', 'instances.json'), 'utf8')).instances,
      [],
    );
  });
});

describe('ProcessRuntime: sandboxes (DESIGN "Local mapping")', () => {
  let state: ReturnType<typeof tempStateDir>;
  let runtime: ProcessRuntime;
  before(async () => {
    state = tempStateDir();
    runtime = await ProcessRuntime.create({ stateDir: state.dir, podIpPool: '127.78.0.0/16' });
  });
  after(async () => {
    await runtime.shutdown(200);
    state.cleanup();
  });

  test('each pod gets its own loopback IP and directory; preparePod is idempotent per uid', async () => {
    const pods = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        runtime.preparePod({ uid: `u-${n}`, namespace: 'ns', name: n, hostNetwork: false }),
      ),
    );
    const ips = pods.map((p) => p.podIP);
    assert.equal(new Set(ips).size, 3);
    for (const ip of ips) assert.match(ip, /^127\.78\.\d+\.\d+$/);
    for (const p of pods) assert.ok(statSync(p.podDir).isDirectory());
    assert.equal(pods[0]?.podDir, join(state.dir, 'pods', 'ns_a_u-a', 'dir'));
    const again = await runtime.preparePod({ uid: 'u-a', namespace: 'ns', name: 'a', hostNetwork: false });
    assert.deepEqual(again, pods[0]);
    const host = await runtime.preparePod({ uid: 'u-h', namespace: 'ns', name: 'h', hostNetwork: true });
    assert.equal(host.podIP, '127.0.0.1');
  });

  test('the pod directory survives container restarts; removePod deletes it with the logs', async () => {
    const pod = await runtime.preparePod({ uid: 'u-r', namespace: 'ns', name: 'r', hostNetwork: false });
    const l = launch(pod.podDir, ['sh', '-c', 'echo x >> state; cat state'], {
      podUid: 'u-r',
      namespace: 'ns',
      podName: 'r',
    });
    await (
      await runtime.start(l)
    ).exited;
    await (
      await runtime.start({ ...l, attempt: 1 })
    ).exited;
    assert.deepEqual(await collect(runtime.readLogs('u-r', { container: 'app' })), ['x', 'x']);
    await runtime.removePod('u-r');
    assert.equal(existsSync(join(state.dir, 'pods', 'ns_r_u-r')), false);
    await assert.rejects(collect(runtime.readLogs('u-r', { container: 'app' })), /not on this node/);
  });

  test('a pod keeps its IP across a podvisor restart', async () => {
    const pod = await runtime.preparePod({ uid: 'u-k', namespace: 'ns', name: 'k', hostNetwork: false });
    const next = new ProcessRuntime({ stateDir: state.dir, podIpPool: '127.78.0.0/16' });
    const fresh = await next.preparePod({ uid: 'u-new', namespace: 'ns', name: 'new', hostNetwork: false });
    assert.notEqual(fresh.podIP, pod.podIP);
    assert.deepEqual(
      await next.preparePod({ uid: 'u-k', namespace: 'ns', name: 'k', hostNetwork: false }),
      pod,
    );
  });
});
