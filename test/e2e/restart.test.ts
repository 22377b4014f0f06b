/**
 * Issue 3 items 7 and 8: podvisor keeps what it knew across a graceful restart and across a
 * SIGKILL. Pods, restart counts, lastState and events come back from <stateDir>/podvisor.db, the
 * containers of still-desired pods start again (counted as restarts, with SandboxChanged), the
 * logs of previous instances stay readable, and a crashed node's leftovers are ended with their
 * pods' grace periods before anything resumes, without touching another node's processes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Event, Pod } from '../../src/api/types.js';
import { containerStatus, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import {
  findProcessesWithMarker,
  killProcessesWithMarker,
  startNode,
  type PodvisorNode,
} from '../helpers/podvisor-node.js';
import { describeProcess } from '../helpers/processes.js';

const TEST_TIMEOUT_MS = 120_000;
const MARKER = newMarker('restart');
const OTHER_MARKER = newMarker('restart-other');

/**
 * Each instance prints one line naming itself, then idles; `onTerm` is its SIGTERM trap. Its
 * stderr goes nowhere afterwards: once a podvisor is SIGKILLed its log pipes are gone, and the
 * shell's "Terminated" note about its `sleep` would end it with SIGPIPE instead of its trap.
 */
function loopScript(onTerm: string): string {
  return `echo "instance $$$$ $(date +%s%N)"; exec 2>/dev/null; trap '${onTerm}' TERM; while true; do sleep 0.1; done`;
}

function pods(termLog: string): Pod[] {
  return [
    // Ends at once on SIGTERM.
    markedPod(uniqueName('quick'), MARKER, {
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'app', image: 'busybox', command: shCommand(loopScript('exit 0'), MARKER) }],
    }),
    // Ignores SIGTERM for a while, then notes it got it and exits: it needs its grace period.
    markedPod(uniqueName('slow'), MARKER, {
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: 'app',
          image: 'busybox',
          command: shCommand(loopScript(`sleep 1; echo $$$$ >> ${termLog}; exit 0`), MARKER),
        },
      ],
    }),
    // Ignores SIGTERM for good: SIGKILL after its 2 s.
    markedPod(uniqueName('deaf'), MARKER, {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'app', image: 'busybox', command: shCommand(loopScript(''), MARKER) }],
    }),
  ];
}

const names = (list: Pod[]): string[] => list.map((p) => p.metadata?.name ?? '');

async function waitRunningWithRestarts(node: PodvisorNode, name: string, restarts: number): Promise<Pod> {
  return node.waitForPod(
    name,
    (p) => {
      const s = containerStatus(p);
      return s?.restartCount === restarts && s.state?.running !== undefined;
    },
    30_000,
  );
}

async function logsOf(node: PodvisorNode, name: string, previous: boolean): Promise<string> {
  const res = await node.runCli(['logs', name, ...(previous ? ['-p'] : [])]);
  assert.equal(res.code, 0, `logs ${name}${previous ? ' -p' : ''}: ${res.stderr}`);
  return res.stdout;
}

/** Field 22 of /proc/<pid>/stat, which tells a process from a later one with the same pid. */
function startTimeOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

function withStartTimes(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const start = startTimeOf(pid);
    if (start !== undefined) out.set(pid, start);
  }
  return out;
}

/** The containers' shells (the marker is in their argv), not their short-lived `sleep`s. */
function markedLeaders(marker: string): Map<number, number> {
  const shells = findProcessesWithMarker(marker).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker);
    } catch {
      return false;
    }
  });
  return withStartTimes(shells);
}

function firstLine(text: string): string {
  return `${text.split('\n')[0] ?? ''}\n`;
}

/** Every event of the node (namespace default), keyed by name with its count. */
async function eventCounts(node: PodvisorNode): Promise<Map<string, number>> {
  const list = await node.request<{ items: Event[] }>('GET', '/api/v1/namespaces/default/events');
  return new Map(list.items.map((e) => [e.metadata?.name ?? '', e.count ?? 1]));
}

describe('podvisor restart and crash recovery (issue 3 items 7, 8)', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    killProcessesWithMarker(MARKER);
    killProcessesWithMarker(OTHER_MARKER);
  });

  test('graceful stop + start, then SIGKILL + start: pods, restarts, events and logs survive', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'podvisor-e2e-restart-'));
    const otherDir = await mkdtemp(join(tmpdir(), 'podvisor-e2e-other-'));
    const termLog = join(stateDir, 'term.log');
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    cleanups.push(() => rm(otherDir, { recursive: true, force: true }));
    const list = pods(termLog);
    // The harness unrefs node processes; waiting for a SIGKILLed one's exit needs a live loop.
    const keepAlive = setInterval(() => {}, 1000);
    cleanups.push(async () => clearInterval(keepAlive));

    // --- first run ---
    const first = await startNode({ stateDir });
    cleanups.push(() => first.stop('SIGTERM'));
    for (const p of list) await first.createPod(p);
    const uids = new Map<string, string>();
    const firstLogs = new Map<string, string>();
    for (const name of names(list)) {
      const pod = await waitRunningWithRestarts(first, name, 0);
      uids.set(name, pod.metadata?.uid ?? '');
      await first.waitForEvent(`involvedObject.name=${name},reason=Started`, () => true, 10_000);
      firstLogs.set(name, await logsOf(first, name, false));
      assert.match(firstLogs.get(name) ?? '', /^instance \d+ \d+\n$/);
    }
    const stopped = await first.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    assert.deepEqual(findProcessesWithMarker(MARKER), [], 'a graceful stop leaves nothing running');

    // --- second run: graceful restart ---
    const second = await startNode({ stateDir });
    cleanups.push(() => second.stop('SIGTERM'));
    const secondLogs = new Map<string, string>();
    for (const name of names(list)) {
      const pod = await waitRunningWithRestarts(second, name, 1);
      assert.equal(pod.metadata?.uid, uids.get(name), `${name} is the same pod`);
      const last = containerStatus(pod)?.lastState?.terminated;
      assert.ok(last, `${name} has lastState.terminated`);
      assert.notEqual(last.reason, 'ContainerStatusUnknown', 'a graceful stop recorded the real exit');
      await second.waitForEvent(
        `involvedObject.name=${name},reason=SandboxChanged`,
        (e) => e.message === 'Pod sandbox changed, it will be killed and re-created.' && e.type === 'Normal',
        10_000,
      );
      await second.waitForEvent(`involvedObject.name=${name},reason=Killing`, () => true, 10_000);
      await second.waitForEvent(`involvedObject.name=${name},reason=Scheduled`, () => true, 10_000);
      // The shell may add `Terminated` (its sleep got the stop signal) after the instance line.
      assert.equal(
        firstLine(await logsOf(second, name, true)),
        firstLogs.get(name),
        `${name}: logs -p is run 1`,
      );
      secondLogs.set(name, await logsOf(second, name, false));
      assert.notEqual(secondLogs.get(name), firstLogs.get(name));
    }
    const eventsBeforeCrash = await eventCounts(second);

    // --- another node with its own state dir, running alongside ---
    const other = await startNode({ stateDir: otherDir });
    cleanups.push(() => other.stop('SIGTERM'));
    const bystander = markedPod(uniqueName('bystander'), OTHER_MARKER, {
      containers: [{ name: 'app', image: 'busybox', command: shCommand(loopScript('exit 0'), OTHER_MARKER) }],
    });
    await other.createPod(bystander);
    await waitRunningWithRestarts(other, bystander.metadata?.name ?? '', 0);
    const otherLeaders = markedLeaders(OTHER_MARKER);
    assert.equal(otherLeaders.size, 1);

    // --- crash: SIGKILL the second run while its pods run ---
    const leaders = markedLeaders(MARKER);
    assert.equal(leaders.size, list.length, 'one shell per container runs');
    process.kill(second.pid, 'SIGKILL');
    assert.equal((await second.exited).signal, 'SIGKILL');
    // Everything of the crashed instance, identified by pid + start time (pids get reused).
    const oldProcesses = withStartTimes(findProcessesWithMarker(MARKER));
    for (const [pid, start] of leaders) {
      assert.equal(oldProcesses.get(pid), start, 'the containers outlive a SIGKILLed podvisor');
    }

    const restartedAt = Date.now();
    const third = await startNode({ stateDir });
    cleanups.push(() => third.stop('SIGTERM'));
    const startupMs = Date.now() - restartedAt;
    const leftovers = [...withStartTimes(findProcessesWithMarker(MARKER))]
      .filter(([pid, start]) => oldProcesses.get(pid) === start)
      .map(([pid]) => pid);
    assert.deepEqual(leftovers.map(describeProcess), [], 'no process of the crashed instance is left');
    assert.match(third.stderr, /ended \d+ container process\(es\) left by a podvisor that did not shut down/);
    // The deaf pod had 2 s of grace before SIGKILL; the slow one used 1 s of its 10 s.
    assert.ok(startupMs >= 2000, `orphans were given their grace (start-up took ${startupMs} ms)`);
    const termed = (await readFile(termLog, 'utf8')).trim().split('\n');
    assert.equal(termed.length, 2, 'the slow pod got SIGTERM at the graceful stop and after the crash');

    for (const name of names(list)) {
      const pod = await waitRunningWithRestarts(third, name, 2);
      assert.equal(pod.metadata?.uid, uids.get(name));
      const last = containerStatus(pod)?.lastState?.terminated;
      assert.equal(last?.reason, 'ContainerStatusUnknown');
      assert.equal(last?.exitCode, 137);
      assert.equal(last?.message, 'The container could not be located when the pod was terminated');
      assert.equal(
        firstLine(await logsOf(third, name, true)),
        secondLogs.get(name),
        `${name}: logs -p is run 2`,
      );
    }
    const eventsAfter = await eventCounts(third);
    for (const [eventName, count] of eventsBeforeCrash) {
      assert.ok((eventsAfter.get(eventName) ?? 0) >= count, `event ${eventName} survived the crash`);
    }

    // The other node's pod was never touched.
    assert.deepEqual(markedLeaders(OTHER_MARKER), otherLeaders);
    const untouched = await other.getPod(bystander.metadata?.name ?? '');
    assert.equal(containerStatus(untouched)?.restartCount, 0);

    assert.equal((await third.stop('SIGTERM')).code, 0);
    assert.equal((await other.stop('SIGTERM')).code, 0);
    assert.deepEqual(findProcessesWithMarker(MARKER), []);
    assert.deepEqual(findProcessesWithMarker(OTHER_MARKER), []);
  });
});
