import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventTableRow, printEventsTable } from '../../../src/cli/printers/events-table.js';
import { eventStreamLine, podStateKey, podStateLine } from '../../../src/cli/printers/node-stream.js';
import { container, event, iso, NOW, pod, running, waiting } from './fixtures.js';

test('§5 get events: LAST SEEN TYPE REASON OBJECT MESSAGE, oldest first by last timestamp', () => {
  const events = [
    event('Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500', {
      type: 'Warning',
      count: 3,
      firstTimestamp: iso(41),
      lastTimestamp: iso(31),
    }),
    event('Scheduled', 'Successfully assigned default/web to box'),
  ];
  assert.equal(
    printEventsTable(events, NOW),
    'LAST SEEN   TYPE      REASON      OBJECT    MESSAGE\n' +
      '60s         Normal    Scheduled   pod/web   Successfully assigned default/web to box\n' +
      '31s         Warning   Unhealthy   pod/web   Liveness probe failed: HTTP probe failed with statuscode: 500\n',
  );
});

test('§5 get events -o wide: SUBOBJECT, SOURCE (component, host), FIRST SEEN, COUNT, NAME', () => {
  const ev = event('Killing', 'Stopping container app', {
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
    count: 2,
    firstTimestamp: iso(50),
    lastTimestamp: iso(10),
  });
  assert.deepEqual(eventTableRow(ev, NOW, { wide: true }), [
    '10s',
    'Normal',
    'Killing',
    'pod/web',
    'spec.containers{app}',
    'kubelet, box',
    'Stopping container app',
    '50s',
    '2',
    'web.Killing',
  ]);
});

test('up stream: one line per event, with the fieldPath and (xN) on repeats', () => {
  process.env.TZ = 'UTC';
  const ev = event('Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500', {
    type: 'Warning',
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{app}' },
    count: 3,
    lastTimestamp: '2024-06-04T12:00:03Z',
  });
  assert.equal(
    eventStreamLine(ev, NOW),
    '12:00:03  Warning  Unhealthy  pod/web  spec.containers{app}  Liveness probe failed: HTTP probe failed with statuscode: 500 (x3)\n',
  );
});

test('up stream: a pod line says STATUS READY restarts, and its key changes only when they do', () => {
  process.env.TZ = 'UTC';
  const p = pod('web', [container('app')], [running('app', true, { restartCount: 2 })]);
  assert.equal(podStateLine(p, NOW), '10:01:00  pod/web  Running  1/1  restarts=2\n');
  const same = pod('web', [container('app')], [running('app', true, { restartCount: 2, started: true })]);
  assert.equal(podStateKey(p), podStateKey(same));
  const crashing = pod('web', [container('app')], [waiting('app', 'CrashLoopBackOff', { restartCount: 3 })]);
  assert.notEqual(podStateKey(p), podStateKey(crashing));
});
