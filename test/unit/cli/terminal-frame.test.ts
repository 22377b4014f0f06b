import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Event, Pod } from '../../../src/api/types.js';
import { counts, fit, FRAME_EVENTS, renderFrame, type FrameInput } from '../../../src/cli/terminal-frame.js';
import { LiveScreen, MIN_REDRAW_MS } from '../../../src/cli/terminal-screen.js';
import { LiveViewState } from '../../../src/cli/terminal-view.js';
import { container, event, iso, NOW, pod, running, waiting } from './fixtures.js';

const WIDE = { columns: 200, rows: 60 };

function input(pods: Pod[], events: Event[] = []): FrameInput {
  return { title: 'podvisor node "box"', server: 'http://127.0.0.1:6443', pods, events, now: NOW };
}

const web = pod('web', [container('app')], [running('app', true)]);
const crash = pod(
  'crash',
  [container('app')],
  [
    waiting('app', 'CrashLoopBackOff', {
      restartCount: 4,
      lastState: { terminated: { exitCode: 1, finishedAt: iso(20) } },
    }),
  ],
);

function numberedEvents(n: number): Event[] {
  return Array.from({ length: n }, (_, i) =>
    event(`Reason${i}`, `message ${i}`, {
      metadata: { name: `web.${i}`, namespace: 'default', uid: `ev-${i}` },
      lastTimestamp: iso(100 - i),
    }),
  );
}

describe('terminal view: frame renderer (pure)', () => {
  test('header with node, API address and counts; pods as kubectl get pods; events below', () => {
    const lines = renderFrame(input([web, crash], [event('Started', 'Started container app')]), WIDE);
    assert.equal(
      lines[0],
      'podvisor node "box" · API http://127.0.0.1:6443 · 2 pods: 1 ready, 1 CrashLoopBackOff, 4 restarts',
    );
    assert.equal(lines[1], '');
    assert.match(lines[2] ?? '', /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    // Sorted by name; the same cells `kubectl get pods` prints.
    assert.match(lines[3] ?? '', /^crash\s+0\/1\s+CrashLoopBackOff\s+4 \(20s ago\)\s+60s$/);
    assert.match(lines[4] ?? '', /^web\s+1\/1\s+Running\s+0\s+60s$/);
    assert.equal(lines[5], '');
    assert.match(lines[6] ?? '', /^AGE\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.match(lines[7] ?? '', /^60s\s+Normal\s+Started\s+pod\/web\s+Started container app$/);
    assert.equal(lines.length, 8);
  });

  test('NAMESPACE comes first only when the pods span more than one namespace', () => {
    const other = pod('api', [container('app')], [running('app', true)]);
    other.metadata = { ...other.metadata, namespace: 'shop' };
    const lines = renderFrame(input([web, other], [event('Started', 'x')]), WIDE);
    assert.match(lines[2] ?? '', /^NAMESPACE\s+NAME\s+READY/);
    assert.match(lines[3] ?? '', /^default\s+web\s/);
    assert.match(lines[4] ?? '', /^shop\s+api\s/);
    assert.match(lines[6] ?? '', /^NAMESPACE\s+AGE\s+TYPE/);
    assert.doesNotMatch(renderFrame(input([web]), WIDE)[2] ?? '', /NAMESPACE/);
  });

  test(`only the latest ${FRAME_EVENTS} events, oldest first; a multi-line message on one line`, () => {
    const events = numberedEvents(15);
    events.push(event('Unhealthy', 'Liveness probe failed: line one\nline two', { lastTimestamp: iso(1) }));
    const lines = renderFrame(input([web], events), WIDE);
    const rows = lines.slice(lines.indexOf('') + 1).slice(lines.slice(lines.indexOf('') + 1).indexOf('') + 2);
    assert.equal(rows.length, FRAME_EVENTS);
    assert.match(rows[0] ?? '', /Reason6\s/);
    assert.match(rows.at(-1) ?? '', /Liveness probe failed: line one line two$/);
  });

  test('every line fits the width, cut lines end with …; no line is wider than the terminal', () => {
    const long = event('Unhealthy', 'x'.repeat(300));
    const lines = renderFrame(input([web, crash], [long]), { columns: 40, rows: 60 });
    for (const line of lines) assert.ok([...line].length <= 40, `${line.length}: ${line}`);
    assert.ok(lines[0]?.endsWith('…'));
    assert.equal(fit('abcdef', 4), 'abc…');
    assert.equal(fit('abc', 3), 'abc');
    assert.equal(fit('héllo wörld', 5), 'héll…');
  });

  test('the frame fits the height: pods are cut with "… and N more pods", events keep their room', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      pod(`p${String(i).padStart(2, '0')}`, [container('app')], [running('app', true)]),
    );
    const lines = renderFrame(input(many, numberedEvents(3)), { columns: 120, rows: 15 });
    assert.equal(lines.length, 15);
    // 2 header lines, 8 pod lines (table header, 6 pods, the "more" line), blank, 4 event lines.
    assert.equal(lines[9], '… and 24 more pods');
    assert.equal(lines[10], '');
    assert.match(lines[12] ?? '', /Reason0/);
    assert.match(lines[14] ?? '', /Reason2/);
    assert.equal(renderFrame(input(many), { columns: 120, rows: Infinity }).length, 2 + 31 + 2);
  });

  test('an empty node says so', () => {
    assert.deepEqual(renderFrame(input([]), WIDE).slice(2), ['No pods yet.', '', 'No events yet.']);
    assert.equal(counts([]), '0 pods: 0 ready, 0 restarts');
  });
});

describe('terminal view: live state and screen', () => {
  test('watch changes: pods added, modified and deleted by uid; events kept bounded', () => {
    const state = new LiveViewState();
    state.applyPod('ADDED', web);
    state.applyPod('MODIFIED', crash);
    state.applyPod('DELETED', web);
    assert.deepEqual(
      state.frame('t', 's', NOW).pods.map((p) => p.metadata?.name),
      ['crash'],
    );
    for (const e of numberedEvents(500)) state.applyEvent('ADDED', e);
    const kept = state.frame('t', 's', NOW).events;
    assert.ok(kept.length <= 100, `${kept.length} events kept`);
    assert.ok(kept.some((e) => e.reason === 'Reason499'));
  });

  test('the screen uses the alternate screen, coalesces changes to ≤ 1 redraw per 100 ms, restores on stop', async () => {
    const writes: string[] = [];
    const screen = new LiveScreen({ write: (s) => writes.push(s), columns: 80, rows: 24 }, () =>
      input([web]),
    );
    screen.start();
    assert.ok(writes[0]?.startsWith('\x1b[?1049h'), 'enters the alternate screen');
    const drawsAfterStart = writes.length;
    for (let i = 0; i < 50; i++) screen.changed();
    // The first change right after the start's draw waits for the rate limit; all 50 coalesce.
    await new Promise((r) => setTimeout(r, MIN_REDRAW_MS * 2));
    assert.equal(writes.length - drawsAfterStart, 1);
    assert.match(writes.at(-1) ?? '', /web\s+1\/1\s+Running/);
    screen.stop();
    assert.equal(writes.at(-1), '\x1b[?25h\x1b[?1049l', 'cursor shown, normal screen back');
    screen.changed();
    await new Promise((r) => setTimeout(r, MIN_REDRAW_MS * 2));
    assert.equal(writes.at(-1), '\x1b[?25h\x1b[?1049l', 'nothing drawn after stop');
  });
});
