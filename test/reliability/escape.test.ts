/**
 * Issue 7 item 3, processes that try to escape: a container that double-forks a daemon, one that
 * calls setsid with its stdio closed, one that ignores SIGTERM, one that spawns a thousand
 * children. However the container is stopped (a liveness kill, `delete pod`, podvisor's own
 * shutdown), none of its processes may keep running (DESIGN principle 6). Both containment modes
 * run where the machine allows a cgroup v2 (`--process-containment=cgroup|scan`); the textbook
 * daemon (double fork + setsid + closed stdio, invisible to any scan) only in cgroup mode.
 *
 * Real `podvisor up` processes, real pods; each pod carries a unique marker in its env (inherited
 * by every child) and argv, so leftovers are counted in /proc by marker.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from '../../src/api/types.js';
import { CgroupTree, findCgroup2Mount, ownCgroupDir, parentCgroupName } from '../../src/runtime/cgroup.js';
import {
  isPodReady,
  markedPod,
  newMarker,
  MARKER_ENV,
  shCommand,
  summarizePod,
  uniqueName,
} from '../helpers/e2e-pods.js';
import { kubectl } from '../helpers/kubectl.js';
import {
  ApiError,
  killProcessesWithMarker,
  runPodvisor,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';

type Mode = 'cgroup' | 'scan';

/** Whether this machine gives podvisor a cgroup v2 (decided the way `up` decides it). */
function cgroupAvailable(): boolean {
  const stateDir = mkdtempSync(join(tmpdir(), 'podvisor-escape-probe-'));
  try {
    const { tree, containment } = CgroupTree.open(stateDir, 'auto');
    void tree?.remove();
    return containment.mode === 'cgroup';
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Each script arms (creates `armed` in the pod directory) once its escape is in place. */
const ESCAPES: Record<string, string> = {
  // The daemon's parent exits at once: it is reparented away from the container's tree.
  'double-fork daemon': "(sleep 1000 </dev/null >/dev/null 2>&1 &); sh -c 'sleep 1000 >/dev/null 2>&1 &'",
  // A new session, no stdio in common with the container (issue 7's example, verbatim).
  'setsid daemon with closed stdio': "setsid sh -c 'exec sleep 1000' </dev/null >/dev/null 2>&1 &",
  // SIGTERM is ignored by the leader and its children (ignored dispositions survive exec).
  'ignores SIGTERM': "trap '' TERM; sleep 1000 & sleep 1000 &",
  'a thousand children': 'i=0; while [ $i -lt 1000 ]; do sleep 1000 & i=$((i+1)); done',
};
/** Double fork + setsid + closed stdio: nothing but a cgroup can still tell it belongs to the pod. */
const TEXTBOOK_DAEMON = {
  'double-fork setsid daemon with closed stdio':
    "setsid sh -c '(sleep 1000 </dev/null >/dev/null 2>&1 &)' </dev/null >/dev/null 2>&1",
};

function escapesFor(mode: Mode): [string, string][] {
  return Object.entries(mode === 'cgroup' ? { ...ESCAPES, ...TEXTBOOK_DAEMON } : ESCAPES);
}

const GRACE_SECONDS = 2;
const LEFTOVER_DEADLINE_MS = 10_000;

function escapePod(name: string, marker: string, escape: string, how: 'liveness' | 'ready'): Pod {
  const script = `${escape}\ntouch armed\nexec sleep 1000`;
  const probe = { periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 5 };
  return markedPod(name, marker, {
    terminationGracePeriodSeconds: GRACE_SECONDS,
    // A liveness kill with restartPolicy Never is final: the kill is the only stop of the container.
    restartPolicy: how === 'liveness' ? 'Never' : 'Always',
    containers: [
      {
        name: 'app',
        image: 'escape',
        command: shCommand(script, marker),
        ...(how === 'liveness'
          ? { livenessProbe: { ...probe, exec: { command: ['sh', '-c', '! test -e armed'] } } }
          : { readinessProbe: { ...probe, exec: { command: ['test', '-e', 'armed'] } } }),
      },
    ],
  });
}

/** Marker → live processes carrying it, from one pass over /proc. */
async function scanMarkers(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  const BATCH = 256;
  for (let i = 0; i < pids.length; i += BATCH) {
    const envs = await Promise.all(
      pids.slice(i, i + BATCH).map(
        (pid) => readFile(`/proc/${pid}/environ`, 'latin1').catch(() => ''), // gone; a zombie's is empty too
      ),
    );
    for (const env of envs) {
      const marker = MARKER_IN_ENV.exec(env)?.[1];
      if (marker) counts.set(marker, (counts.get(marker) ?? 0) + 1);
    }
  }
  return counts;
}
const MARKER_IN_ENV = new RegExp(`(?:^|\\0)${MARKER_ENV}=([^\\0]*)`);

let scanning: Promise<Map<string, number>> | undefined;
let nextScan: Promise<Map<string, number>> | undefined;
/**
 * A pass over /proc that starts after this call, shared by every test that asks meanwhile: the
 * tests run concurrently and /proc holds thousands of processes, so one pass per caller would
 * keep the threadpool busy for tens of seconds. Reads are asynchronous: a synchronous scan
 * (findProcessesWithMarker) would block the test's event loop and time out concurrent API calls.
 */
function freshMarkerCounts(): Promise<Map<string, number>> {
  if (!scanning) {
    scanning = scanMarkers().finally(() => (scanning = undefined));
    return scanning;
  }
  nextScan ??= scanning.then(
    () => {
      nextScan = undefined;
      return freshMarkerCounts();
    },
    () => {
      nextScan = undefined;
      return freshMarkerCounts();
    },
  );
  return nextScan;
}

/**
 * Live processes whose environment holds `marker` (markedPod puts it in every container's env,
 * which every child inherits through fork, exec and setsid; none of these escapes clears it).
 */
async function countMarked(marker: string): Promise<number> {
  return (await freshMarkerCounts()).get(marker) ?? 0;
}

/** Marked processes right away, and after waiting (with a deadline) for the count to reach zero. */
async function leftovers(marker: string): Promise<{ atStop: number; final: number }> {
  const atStop = await countMarked(marker);
  const deadline = Date.now() + LEFTOVER_DEADLINE_MS;
  let final = atStop;
  while (final > 0 && Date.now() < deadline) {
    await sleep(100);
    final = await countMarked(marker);
  }
  return { atStop, final };
}

async function waitGone(node: PodvisorNode, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const pod = await node.getPod(name);
      if (Date.now() > deadline) throw new Error(`pod ${name} still there: ${summarizePod(pod)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return;
      throw err;
    }
    await sleep(100);
  }
}

const markers: string[] = [];
const table: string[] = [];
function record(
  t: TestContext,
  mode: Mode,
  stop: string,
  kind: string,
  n: { atStop: number; final: number },
): void {
  const line = `${mode} | ${stop} | ${kind} | ${n.atStop} | ${n.final}`;
  table.push(line);
  t.diagnostic(
    `leftovers (mode | stop | escape | when stopped | after ${LEFTOVER_DEADLINE_MS / 1000} s): ${line}`,
  );
}

const MODES: Mode[] = cgroupAvailable() ? ['cgroup', 'scan'] : ['scan'];

after(() => {
  // A failed test must not leave its thousand sleeps to the next file.
  for (const marker of markers) killProcessesWithMarker(marker);
});

describe(
  'issue 7: processes that try to escape are stopped with their container (principle 6)',
  { concurrency: true },
  () => {
    if (!MODES.includes('cgroup')) {
      test('--process-containment=cgroup refuses to start where the machine has no cgroup v2, naming the fix', async () => {
        const stateDir = mkdtempSync(join(tmpdir(), 'podvisor-escape-'));
        try {
          const run = await runPodvisor([
            'up',
            '--state-dir',
            stateDir,
            '--listen',
            '127.0.0.1:0',
            '--process-containment',
            'cgroup',
          ]);
          assert.equal(run.code, 1, run.stderr);
          assert.match(run.stderr, /--process-containment=cgroup: .*--process-containment=auto/);
        } finally {
          rmSync(stateDir, { recursive: true, force: true });
        }
      });
    }

    for (const mode of MODES) {
      describe(`--process-containment=${mode}`, { concurrency: true }, () => {
        let node: PodvisorNode;
        const nodeName = uniqueName(`escape-${mode}`);
        before(async () => {
          node = await startNode({ flags: ['--process-containment', mode, '--node-name', nodeName] });
        });
        after(async () => {
          await node?.stop();
        });

        test(`describe node shows "${mode}" (podvisor describe node and kubectl describe node)`, async () => {
          const ours = await node.runCli(['describe', 'node', nodeName]);
          assert.equal(ours.code, 0, ours.stderr);
          assert.match(ours.stdout, new RegExp(`^Process Containment: +${mode} \\(.+\\)$`, 'm'));
          assert.match(ours.stdout, new RegExp(`^ +podvisor\\.io/process-containment: ${mode}$`, 'm'));
          const theirs = await kubectl(node, ['describe', 'node', nodeName]);
          assert.equal(theirs.code, 0, theirs.stderr);
          assert.match(theirs.stdout, new RegExp(`^ +podvisor\\.io/process-containment: ${mode}$`, 'm'));
          assert.match(theirs.stdout, /podvisor\.io\/process-containment-reason: /);
          // What a start costs on this machine goes to podvisor's own log, not the annotation.
          const favor = findCgroup2Mount(readFileSync('/proc/self/mountinfo', 'utf8'))?.favorDynmods;
          const told = /^podvisor: process containment: each container start waits .* favordynmods/m.test(
            node.stderr,
          );
          assert.equal(told, mode === 'cgroup' && favor === false, node.stderr);
        });

        for (const [kind, escape] of escapesFor(mode)) {
          test(`liveness kill (§4.3) leaves none of: ${kind}`, async (t) => {
            const marker = newMarker(`esc-live-${mode}`);
            markers.push(marker);
            const name = uniqueName('esc-live');
            const t0 = Date.now();
            await node.createPod(escapePod(name, marker, escape, 'liveness'));
            const failed = await node.waitForPod(name, (p) => p.status?.phase === 'Failed', 90_000);
            const t1 = Date.now();
            const n = await leftovers(marker);
            t.diagnostic(`created → killed and Failed: ${t1 - t0} ms; leftover count: ${Date.now() - t1} ms`);
            // Killed by the kubelet (SIGTERM 143, or SIGKILL 137 after the grace), not failed by itself.
            const exitCode = failed.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
            assert.ok(exitCode === 143 || exitCode === 137, `killed by a signal: ${summarizePod(failed)}`);
            assert.equal((await node.podEvents(name, 'Killing')).length, 1, 'one Killing event');
            record(t, mode, 'liveness kill', kind, n);
            assert.equal(n.final, 0, `${n.final} process(es) of the killed container still run`);
          });

          test(`delete pod leaves none of: ${kind}`, async (t) => {
            const marker = newMarker(`esc-del-${mode}`);
            markers.push(marker);
            const name = uniqueName('esc-del');
            const t0 = Date.now();
            await node.createPod(escapePod(name, marker, escape, 'ready'));
            await node.waitForPod(name, isPodReady, 90_000);
            const t1 = Date.now();
            assert.ok((await countMarked(marker)) >= 2, 'the escape is in place before the delete');
            const t2 = Date.now();
            await node.deletePod(name);
            await waitGone(node, name, 30_000);
            const t3 = Date.now();
            const n = await leftovers(marker);
            t.diagnostic(
              `created → Ready: ${t1 - t0} ms; count: ${t2 - t1} ms; delete → gone: ${t3 - t2} ms; leftover count: ${Date.now() - t3} ms`,
            );
            record(t, mode, 'delete pod', kind, n);
            assert.equal(n.final, 0, `${n.final} process(es) of the deleted pod still run`);
          });
        }
      });

      test(`--process-containment=${mode}: podvisor shutdown (SIGTERM to up) leaves none of any escape, nor its cgroups`, async (t) => {
        const node = await startNode({ flags: ['--process-containment', mode] });
        const stateDir = node.stateDir;
        const pods = escapesFor(mode).map(([kind, escape]) => {
          const marker = newMarker(`esc-down-${mode}`);
          markers.push(marker);
          return { kind, marker, name: uniqueName('esc-down'), escape };
        });
        try {
          await Promise.all(pods.map((p) => node.createPod(escapePod(p.name, p.marker, p.escape, 'ready'))));
          await Promise.all(pods.map((p) => node.waitForPod(p.name, isPodReady, 90_000)));
        } catch (err) {
          await node.stop();
          throw err;
        }
        const exit = await node.stop('SIGTERM');
        assert.equal(exit.code, 0, `up exits 0 after a graceful stop: ${node.stderr}`);
        const counts: Record<string, number> = {};
        for (const p of pods) {
          const n = await leftovers(p.marker);
          record(t, mode, 'podvisor shutdown', p.kind, n);
          counts[p.kind] = n.final;
        }
        assert.deepEqual(counts, Object.fromEntries(pods.map((p) => [p.kind, 0])));
        if (mode === 'cgroup') {
          const parent = join(ownCgroupDir() ?? '/nonexistent', parentCgroupName(stateDir));
          assert.equal(existsSync(parent), false, `${parent} is removed at shutdown`);
        }
      });
    }
  },
);

after(() => {
  if (table.length > 0) process.stdout.write(`# leftovers table\n${table.map((l) => `# ${l}`).join('\n')}\n`);
});
