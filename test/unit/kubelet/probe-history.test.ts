import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PROBE_HISTORY_LIMIT,
  PROBE_MESSAGE_LIMIT,
  RESTART_HISTORY_LIMIT,
} from '../../../src/api/probe-history.js';
import type { Container, Probe } from '../../../src/api/types.js';
import { LOG_LINE_MAX_CHARS, LogWindow, CheckSourceRegistry } from '../../../src/kubelet/check-context.js';
import { cutMessage, PodProbeHistory, ProbeResultRing } from '../../../src/kubelet/probe-history.js';
import type { ContainerRuntime, TimedLine } from '../../../src/runtime/types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function fill(ring: ProbeResultRing, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) {
    ring.push(T0 + i * 1000, 'c1', i % 2 ? 'failure' : 'success', i, `run ${i}`, i, undefined, false);
  }
}

describe('probe history: the result ring (issue 5 item 2)', () => {
  test('keeps at most PROBE_HISTORY_LIMIT results, oldest first, the oldest dropped first', () => {
    const ring = new ProbeResultRing();
    assert.equal(ring.capacity, PROBE_HISTORY_LIMIT);
    fill(ring, 250);
    const records = ring.records();
    assert.equal(records.length, PROBE_HISTORY_LIMIT);
    assert.equal(records[0]?.message, 'run 150');
    assert.equal(records.at(-1)?.message, 'run 249');
    assert.equal(records.at(-1)?.time, new Date(T0 + 249_000).toISOString());
  });

  test('each record has its time, instance, verdict, latency, message, consecutive count, acted and paused', () => {
    const ring = new ProbeResultRing(4);
    ring.push(T0, 'c1', 'failure', 12.5, 'HTTP probe failed with statuscode: 500', 3, 'Failure', false);
    ring.push(T0 + 1000, 'c2', 'error', 3, 'dial tcp: refused', 0, undefined, false);
    ring.push(T0 + 2000, 'c2', 'failure', 1, 'x', 1, undefined, true);
    assert.deepEqual(ring.records(), [
      {
        time: '2026-01-01T12:00:00.000Z',
        containerID: 'c1',
        verdict: 'failure',
        latencyMs: 12.5,
        message: 'HTTP probe failed with statuscode: 500',
        consecutive: 3,
        acted: 'Failure',
      },
      {
        time: '2026-01-01T12:00:01.000Z',
        containerID: 'c2',
        verdict: 'error',
        latencyMs: 3,
        message: 'dial tcp: refused',
        consecutive: 0,
      },
      {
        time: '2026-01-01T12:00:02.000Z',
        containerID: 'c2',
        verdict: 'failure',
        latencyMs: 1,
        message: 'x',
        consecutive: 1,
        paused: true,
      },
    ]);
  });

  test('a message is cut to 1 KiB of UTF-8 without splitting a character', () => {
    const long = 'é'.repeat(600); // 1200 bytes
    const cut = cutMessage(long);
    assert.ok(Buffer.byteLength(cut) <= PROBE_MESSAGE_LIMIT);
    assert.equal(cut, 'é'.repeat(512));
    const odd = `a${'€'.repeat(400)}`; // 1 + 1200 bytes: the cut lands inside a 3-byte character
    const cut2 = cutMessage(odd);
    assert.ok(Buffer.byteLength(cut2) <= PROBE_MESSAGE_LIMIT);
    assert.ok(!cut2.includes('\uFFFD'));
    assert.equal(cut2, `a${'€'.repeat(341)}`);
    assert.equal(cutMessage('short'), 'short');
    const ring = new ProbeResultRing(2);
    ring.push(T0, 'c1', 'failure', 0, 'x'.repeat(5000), 1, undefined, false);
    assert.equal(ring.records()[0]?.message.length, PROBE_MESSAGE_LIMIT);
  });

  test('lastFailures: the newest counted failures of one instance (paused runs and other instances left out)', () => {
    const ring = new ProbeResultRing(10);
    ring.push(T0, 'old', 'failure', 0, 'old instance', 1, undefined, false);
    ring.push(T0 + 1, 'c1', 'failure', 0, 'f1', 1, undefined, false);
    ring.push(T0 + 2, 'c1', 'failure', 0, 'paused', 2, undefined, true);
    ring.push(T0 + 3, 'c1', 'success', 0, '', 1, undefined, false);
    ring.push(T0 + 4, 'c1', 'failure', 0, 'f2', 1, undefined, false);
    ring.push(T0 + 5, 'c1', 'failure', 0, 'f3', 2, 'Failure', false);
    assert.deepEqual(
      ring.lastFailures('c1', 3).map((r) => r.message),
      ['f1', 'f2', 'f3'],
    );
    assert.deepEqual(
      ring.lastFailures('c1', 2).map((r) => r.message),
      ['f2', 'f3'],
    );
  });
});

describe('probe history: a pod (restart records)', () => {
  const container: Container = { name: 'app' };
  const probe: Probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 };

  test('a restart records the Killing message and the last failureThreshold failures of that probe', () => {
    const h = new PodProbeHistory({ name: 'web', namespace: 'default', uid: 'u1' });
    const ring = h.ring(container, 'Liveness', probe);
    for (let i = 1; i <= 5; i++)
      ring.push(T0 + i, 'c1', 'failure', 2, `HTTP probe failed with statuscode: 50${i}`, i, undefined, false);
    const r = h.recordRestart(
      T0 + 10,
      'app',
      'Liveness',
      'c1',
      'Container app failed liveness probe, will be restarted',
    );
    assert.equal(r.message, 'Container app failed liveness probe, will be restarted');
    assert.deepEqual(
      r.verdicts.map((v) => v.message),
      [
        'HTTP probe failed with statuscode: 503',
        'HTTP probe failed with statuscode: 504',
        'HTTP probe failed with statuscode: 505',
      ],
    );
    const obj = h.toObject();
    assert.equal(obj.apiVersion, 'podvisor.io/v1alpha1');
    assert.equal(obj.kind, 'ProbeHistory');
    assert.deepEqual(obj.metadata, { name: 'web', namespace: 'default', uid: 'u1' });
    assert.equal(obj.probes[0]?.handler, 'http-get http://:8080/healthz');
    assert.equal(obj.probes[0]?.failureThreshold, 3);
    assert.equal(obj.restarts.length, 1);
  });

  test('at most RESTART_HISTORY_LIMIT restarts are kept, the oldest dropped first', () => {
    const h = new PodProbeHistory({ name: 'web', namespace: 'default', uid: 'u1' });
    h.ring(container, 'Liveness', probe);
    for (let i = 0; i < RESTART_HISTORY_LIMIT + 5; i++)
      h.recordRestart(T0 + i, 'app', 'Liveness', `c${i}`, `kill ${i}`);
    const restarts = h.toObject().restarts;
    assert.equal(restarts.length, RESTART_HISTORY_LIMIT);
    assert.equal(restarts[0]?.message, 'kill 5');
  });
});

/** A runtime whose one instance's output the test writes (tap) and whose log file it fills. */
class LogRuntime {
  file: TimedLine[] = [];
  taps = new Set<(line: string, at: number) => void>();
  lastAt: number | undefined;
  reads = 0;
  /** Lines written while the backfill reads the file (both tapped and on disk). */
  duringRead: TimedLine[] = [];

  write(text: string, at: number): void {
    this.file.push({ text, at });
    this.lastAt = at;
    for (const t of this.taps) t(text, at);
  }
  tapOutput(_id: string, tap: (line: string, at: number) => void): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }
  async recentLines(_id: string, maxLines: number): Promise<TimedLine[]> {
    this.reads++;
    for (const l of this.duringRead) this.write(l.text, l.at);
    return this.file.slice(-maxLines);
  }
  lastOutputAt(): number | undefined {
    return this.lastAt;
  }
  processes(): number[] {
    return [4242];
  }
}

describe('in-process checks: the log window (issue 5 item 1)', () => {
  test('backfilled once from the log file, then fed by the tap; lines written during the backfill appear once', async () => {
    const rt = new LogRuntime();
    rt.write('before 1', T0);
    rt.write('before 2', T0 + 1000);
    rt.duringRead = [{ text: 'racing', at: T0 + 1500 }];
    const w = new LogWindow(rt, 'c1');
    await w.ensure();
    rt.write('after', T0 + 2000);
    await w.ensure();
    assert.equal(rt.reads, 1, 'the file is read once per instance, not per check');
    assert.deepEqual(w.linesSince(0), ['before 1', 'before 2', 'racing', 'after']);
    assert.deepEqual(w.linesSince(T0 + 1000), ['before 2', 'racing', 'after']);
    assert.equal(w.newest(), T0 + 2000);
  });

  test('bounded: at most maxLines lines and maxChars characters, each line cut to LOG_LINE_MAX_CHARS', async () => {
    const rt = new LogRuntime();
    const w = new LogWindow(rt, 'c1', 100, 10_000);
    await w.ensure();
    for (let i = 0; i < 1000; i++) rt.write(`line ${i}`, T0 + i);
    assert.equal(w.size, 100);
    assert.equal(w.linesSince(0)[0], 'line 900');
    rt.write('x'.repeat(LOG_LINE_MAX_CHARS * 3), T0 + 2000);
    assert.equal(w.linesSince(T0 + 2000)[0]?.length, LOG_LINE_MAX_CHARS);
    for (let i = 0; i < 20; i++) rt.write('y'.repeat(1000), T0 + 3000 + i);
    assert.ok(w.textChars <= 10_000, `${w.textChars} characters kept`);
    assert.equal(w.linesSince(T0 + 3000).length, 10);
    w.dispose();
    assert.equal(rt.taps.size, 0, 'disposing unsubscribes the tap');
  });

  test('a runtime that cannot tap the instance: every read goes to the file again (never stale)', async () => {
    const rt = new LogRuntime();
    const noTap = { recentLines: rt.recentLines.bind(rt) };
    const w = new LogWindow(noTap, 'c1');
    rt.write('a', T0);
    await w.ensure();
    rt.write('b', T0 + 1);
    await w.ensure();
    assert.deepEqual(w.linesSince(0), ['a', 'b']);
    assert.equal(rt.reads, 2);
  });

  test('the registry gives one source per instance; a new instance replaces (and disposes) the old window', async () => {
    const rt = new LogRuntime();
    const reg = new CheckSourceRegistry(rt as unknown as ContainerRuntime);
    const a = reg.forInstance('pod', 'app', 'c1', T0);
    assert.equal(reg.forInstance('pod', 'app', 'c1', T0), a, 'cached: no allocation per run');
    rt.write('hello', T0 + 5);
    assert.deepEqual(await a.logs.linesSince(0), ['hello']);
    assert.equal(await a.logs.lastOutputAt(), T0 + 5);
    assert.equal(await a.logs.startedAt(), T0);
    assert.deepEqual(a.pids(), [4242]);
    assert.equal(reg.windows().length, 1);
    const b = reg.forInstance('pod', 'app', 'c2', T0 + 10);
    assert.notEqual(b, a);
    assert.equal(
      reg.windows().length,
      0,
      'the old instance window is gone; the new one is made on first read',
    );
    assert.equal(rt.taps.size, 0);
    await b.logs.linesSince(0);
    reg.releasePod('pod');
    assert.equal(reg.windows().length, 0);
    assert.equal(rt.taps.size, 0);
  });
});
