/**
 * Issue 7 item 4, full disks (a small tmpfs): containers keep running, podvisor says what failed
 * as an Event and in its own log (stderr), never crashes, and recovers when space returns.
 *  - logs: output is dropped while the log disk is full (LogWriteFailed), never torn, and
 *    written again once there is room (LogWriteResumed, with what was dropped);
 *  - database: a change SQLite cannot store is refused (500, memory does not run ahead of the
 *    disk); the Event about it can only be stored once the database takes writes again
 *    (StateWriteFailed on the Node), so the own log says it at once.
 * Mounting needs root (CI runs as root); elsewhere the tests are skipped with that reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Event } from '../../src/api/types.js';
import { markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import {
  ApiError,
  findProcessesWithMarker,
  killProcessesWithMarker,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

const MARKER = newMarker('diskfull');
const TICK = /^tick (\d+)$/;
/** Prints `tick N` twenty times a second, forever. */
const TICKER = 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.05; done';

const mounts: string[] = [];
const dirs: string[] = [];
const nodes: PodvisorNode[] = [];

function canMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs as root)';
  const probe = mkdtempSync(join(tmpdir(), 'podvisor-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const SKIP = canMount();

function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  mounts.push(dir);
}

/** Writes zeros into `file` until the file system refuses (ENOSPC); returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    for (;;) total += writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // The last blocks: what a 64 KiB write could not take.
  try {
    const fd2 = openSync(file, 'a');
    try {
      for (;;) total += writeSync(fd2, Buffer.alloc(512));
    } finally {
      closeSync(fd2);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  return total;
}

after(async () => {
  for (const node of nodes) await node.stop();
  killProcessesWithMarker(MARKER);
  for (const dir of mounts.reverse()) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await fn();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ticks(node: PodvisorNode, pod: string): Promise<number[]> {
  const out = (await node.runCli(['logs', pod])).stdout.split('\n').filter((l) => l !== '');
  const bad = out.filter((l) => !TICK.test(l));
  assert.deepEqual(bad, [], 'every line of the log is whole (no torn records)');
  return out.map((l) => Number(TICK.exec(l)?.[1]));
}

/** The container's shell (the marker is its $0; its short-lived `sleep`s carry it only in env). */
function shells(marker: string): number[] {
  return findProcessesWithMarker(marker).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker);
    } catch {
      return false;
    }
  });
}

function alive(node: PodvisorNode): boolean {
  try {
    process.kill(node.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Asserts `up` is alive; when it is not, the failure carries what it printed last. */
function assertAlive(node: PodvisorNode): void {
  assert.ok(alive(node), `podvisor is still running; its stderr ended with:\n${node.stderr.slice(-4000)}`);
}

describe('issue 7 item 4: full disks', { skip: SKIP, timeout: 180_000 }, () => {
  test('a full log disk: the container runs on, LogWriteFailed + own log, and logs resume with room', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'podvisor-logfull-'));
    dirs.push(stateDir);
    const logDisk = join(stateDir, 'pods');
    mountTmpfs(logDisk, '2m');
    const node = await startNode({ stateDir });
    nodes.push(node);
    const name = uniqueName('ticker');
    const marker = `${MARKER}-${name}`;
    await node.createPod(
      markedPod(name, marker, {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: 'busybox', command: shCommand(TICKER, marker) }],
      }),
    );
    await until(
      'first ticks in the log',
      async () => ((await ticks(node, name)).length > 5 ? true : undefined),
      30_000,
    );
    const pids = shells(marker);
    const filler = join(logDisk, 'filler');
    fillUp(filler);

    const failed = await node.waitForEvent(
      `involvedObject.name=${name},reason=LogWriteFailed`,
      () => true,
      15_000,
    );
    assert.equal(failed.type, 'Warning');
    assert.match(
      failed.message ?? '',
      /cannot write the log of container "app".*ENOSPC.*the container keeps running/,
    );
    assert.match(node.stderr, /podvisor: cannot write the log of container "app" of pod default\/.*ENOSPC/);
    const before = await ticks(node, name);
    // Output goes on being dropped for a while; the container is the same process throughout.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(pids.length, 1);
    assert.deepEqual(shells(marker), pids, 'the container runs on untouched');
    const pod = await node.getPod(name);
    assert.equal(pod.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.ok(pod.status?.containerStatuses?.[0]?.state?.running);

    rmSync(filler);
    const resumed = await node.waitForEvent(
      `involvedObject.name=${name},reason=LogWriteResumed`,
      () => true,
      15_000,
    );
    assert.equal(resumed.type, 'Normal');
    const dropped = /(\d+) bytes \((\d+) log records\) of output were dropped/.exec(resumed.message ?? '');
    assert.ok(dropped && Number(dropped[2]) > 0, resumed.message);
    const afterwards = await until(
      'new ticks after space returned',
      async () => {
        const now = await ticks(node, name);
        return (now.at(-1) ?? 0) > (before.at(-1) ?? 0) + 5 ? now : undefined;
      },
      15_000,
    );
    // What was dropped is a gap of whole lines; everything written is in order.
    for (let i = 1; i < afterwards.length; i++)
      assert.ok((afterwards[i] as number) > (afterwards[i - 1] as number), `in order at ${i}`);
    assert.match(node.stderr, /podvisor: the log of container "app" .* is written again; \d+ bytes/);
    assertAlive(node);
  });

  test('a full database disk: changes are refused with 500, nothing crashes, writes resume and persist', async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'podvisor-dbfull-'));
    dirs.push(stateDir);
    mountTmpfs(stateDir, '3m');
    // Logs on their own disk, so this test is about the database alone.
    mountTmpfs(join(stateDir, 'pods'), '16m');
    // A crash loop at a 1 s back-off keeps the kubelet writing status and events all along.
    // A 2 s node heartbeat (a third of the grace period): the 4 s with every write refused below
    // always span heartbeats, whose refused status posts once ended podvisor (CI, issue 7).
    const flags = [
      '--crash-loop-backoff-initial',
      '1s',
      '--max-container-restart-period',
      '1s',
      '--node-monitor-grace-period',
      '6s',
    ];
    let node = await startNode({ stateDir, flags });
    nodes.push(node);
    const name = uniqueName('ticker');
    const marker = `${MARKER}-${name}`;
    await node.createPod(
      markedPod(name, marker, {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: 'busybox', command: shCommand(TICKER, marker) }],
      }),
    );
    const crasher = uniqueName('crasher');
    await node.createPod(
      markedPod(crasher, MARKER, {
        containers: [{ name: 'app', image: 'busybox', command: shCommand('echo boom; exit 1', MARKER) }],
      }),
    );
    await node.waitForPod(
      name,
      (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined,
      30_000,
    );
    await node.waitForPod(crasher, (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 30_000);
    const pids = shells(marker);
    const filler = join(stateDir, 'filler');
    fillUp(filler);

    // ~900 KiB: more than SQLite's write-ahead log has room for, so the write needs new pages.
    const big = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { blob: 'z'.repeat(900_000) },
    };
    const refused = await node.request('POST', '/api/v1/namespaces/default/configmaps', big).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof ApiError, `the create was refused: ${String(refused)}`);
    assert.equal(refused.status, 500);
    assert.match(
      refused.message,
      /cannot write to .*podvisor\.db: .*full.*the change was not made; .*free space/,
    );
    // Memory did not run ahead of the disk.
    const missing = await node
      .request('GET', '/api/v1/namespaces/default/configmaps/big')
      .catch((e: unknown) => e);
    assert.ok(missing instanceof ApiError && missing.status === 404, 'the refused object does not exist');
    assert.match(node.stderr, /podvisor: cannot write to .*podvisor\.db: .*changes are refused/);
    // Small writes until SQLite refuses them too (its log has no room left to reuse either):
    // from then on every status update and event of the crash loop is refused.
    let small = 0;
    for (; small < 3000; small++) {
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `small-${small}` },
        data: { v: 'q'.repeat(4000) },
      };
      const err = await node.request('POST', '/api/v1/namespaces/default/configmaps', cm).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err instanceof ApiError && err.status === 500) break;
      if (err) throw err;
    }
    assert.ok(small < 3000, 'the database refused small writes too');
    const restartsWhenFull = (await node.getPod(crasher)).status?.containerStatuses?.[0]?.restartCount ?? 0;
    // A few crash-loop rounds with every write refused: podvisor and the other container live on.
    await new Promise((r) => setTimeout(r, 4000));
    assertAlive(node);
    assert.equal(pids.length, 1);
    assert.deepEqual(shells(marker), pids, 'the container runs on untouched');

    rmSync(filler);
    await node.request('POST', '/api/v1/namespaces/default/configmaps', big);
    // The kubelet's status writes resume: the crash loop's restarts are counted again.
    await node.waitForPod(
      crasher,
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > restartsWhenFull + 1,
      20_000,
    );
    const ev = await until(
      'StateWriteFailed event',
      async () => {
        const list = await node.request<{ items: Event[] }>(
          'GET',
          '/api/v1/events?fieldSelector=reason%3DStateWriteFailed',
        );
        return list.items[0];
      },
      10_000,
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject?.kind, 'Node');
    assert.match(
      ev.message ?? '',
      /writes to .*podvisor\.db failed from .* until .*: \d+ change\(s\) were refused, not stored/,
    );
    const refusedCount = Number(/(\d+) change\(s\) were refused, not stored/.exec(ev.message ?? '')?.[1]);
    // Ours (the big one and one small one) and the kubelet's status writes and events.
    assert.ok(refusedCount > 2, `the kubelet's writes were refused too: ${ev.message}`);
    assert.match(
      node.stderr,
      /podvisor: .*podvisor\.db takes writes again; \d+ change\(s\) were refused since/,
    );
    t.diagnostic(`database outage: ${refusedCount} changes refused`);

    // What was written after the outage survives a restart of podvisor.
    await node.stop();
    // The crash loop's instance records could not be saved during the outage either; none of the
    // half-written copies stays (checked once podvisor is gone: a write in flight is not a leftover).
    assert.deepEqual(
      readdirSync(join(stateDir, 'runtime')).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary files left behind by refused writes',
    );
    node = await startNode({ stateDir });
    nodes.push(node);
    const back = await node.request<{ data?: Record<string, string> }>(
      'GET',
      '/api/v1/namespaces/default/configmaps/big',
    );
    assert.equal(back.data?.blob?.length, 900_000);
  });
});
