import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CoreEvent } from '../../../src/store/event-recorder.js';
import { storageProblemReporter } from '../../../src/cli/storage-problems.js';
import type { ContainerLaunch } from '../../../src/runtime/types.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock } from '../../../src/util/clock.js';

const LAUNCH: ContainerLaunch = {
  podUid: 'uid-1',
  namespace: 'default',
  podName: 'web',
  containerName: 'app',
  attempt: 0,
  argv: ['sh'],
  env: {},
  workingDir: '/',
};

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

describe('full disks: what podvisor says (own log + Events)', () => {
  test('a log outage: a Warning LogWriteFailed on the pod, then LogWriteResumed with what was dropped', () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const lines: string[] = [];
    const reporter = storageProblemReporter('box', clock, (l) => lines.push(l));
    reporter.attach(store);
    reporter.onLogProblem(LAUNCH, { kind: 'failed', path: '/s/0.log', error: enospc() });
    reporter.onLogProblem(LAUNCH, {
      kind: 'recovered',
      path: '/s/0.log',
      error: enospc(),
      droppedBytes: 4800,
      droppedRecords: 100,
    });
    const events = store.list<CoreEvent>('events').items;
    assert.deepEqual(
      events.map((e) => [e.type, e.reason, e.involvedObject.name, e.involvedObject.fieldPath]),
      [
        ['Warning', 'LogWriteFailed', 'web', 'spec.containers{app}'],
        ['Normal', 'LogWriteResumed', 'web', 'spec.containers{app}'],
      ],
    );
    assert.match(events[0]?.message ?? '', /ENOSPC.*output is dropped.*keeps running/);
    assert.match(events[1]?.message ?? '', /4800 bytes \(100 log records\) of output were dropped/);
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^podvisor: cannot write the log of container "app" of pod default\/web/);
  });

  test('a database outage: the own log at once, the Event on the Node once writes succeed again', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const lines: string[] = [];
    const reporter = storageProblemReporter('box', clock, (l) => lines.push(l));
    reporter.attach(store);
    const error = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const since = clock.now();
    reporter.onStateWriteProblem({ kind: 'failed', file: '/s/podvisor.db', error });
    // Nothing can be stored while the database refuses writes: only the own log speaks.
    assert.equal(store.list('events').items.length, 0);
    assert.match(lines[0] ?? '', /podvisor: cannot write to \/s\/podvisor\.db: .*SQLITE_FULL.*refused/);
    await clock.advance(90_000);
    reporter.onStateWriteProblem({
      kind: 'recovered',
      file: '/s/podvisor.db',
      error,
      refusedWrites: 7,
      since,
    });
    const [ev] = store.list<CoreEvent>('events').items;
    assert.equal(ev?.reason, 'StateWriteFailed');
    assert.equal(ev?.type, 'Warning');
    assert.equal(ev?.involvedObject.kind, 'Node');
    assert.match(
      ev?.message ?? '',
      /failed from 2024-06-04T10:00:00Z until 2024-06-04T10:01:30Z \(SQLITE_FULL: .*\): 7 change\(s\) were refused, not stored/,
    );
    assert.match(lines[1] ?? '', /takes writes again; 7 change\(s\) were refused since 2024-06-04T10:00:00Z/);
  });
});
