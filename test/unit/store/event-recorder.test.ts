import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorderImpl, type CoreEvent } from '../../../src/store/event-recorder.js';
import { EventRetention } from '../../../src/store/event-retention.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, settle } from '../../../src/util/clock.js';
import { rfc3339 } from '../../../src/util/duration.js';

const POD = { kind: 'Pod', namespace: 'default', name: 'web', uid: 'uid-1', apiVersion: 'v1' };
const APP = { ...POD, fieldPath: 'spec.containers{app}' };

function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const recorder = new EventRecorderImpl(store, clock, { host: 'node-1' });
  const events = (): CoreEvent[] => store.list<CoreEvent>('events').items;
  return { clock, store, recorder, events };
}

describe('EventRecorderImpl (client-go EventCorrelator, spec §5)', () => {
  test('§5 the Event object: name, namespace, involvedObject, source and reporting fields', () => {
    const { clock, recorder, events } = setup();
    recorder.record(APP, 'Normal', 'Started', 'Started container app');
    const [ev] = events();
    assert.ok(ev);
    assert.match(ev.metadata.name, /^web\.[0-9a-f]{16}$/);
    assert.equal(ev.metadata.name, `web.${(BigInt(clock.now()) * 1_000_000n).toString(16)}`);
    assert.equal(ev.metadata.namespace, 'default');
    assert.deepEqual(ev.involvedObject, {
      kind: 'Pod',
      namespace: 'default',
      name: 'web',
      uid: 'uid-1',
      apiVersion: 'v1',
      fieldPath: 'spec.containers{app}',
    });
    assert.equal(ev.apiVersion, 'v1');
    assert.equal(ev.kind, 'Event');
    assert.equal(ev.reason, 'Started');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, 'Started container app');
    assert.deepEqual(ev.source, { component: 'kubelet', host: 'node-1' });
    assert.equal(ev.firstTimestamp, rfc3339(clock.now()));
    assert.equal(ev.lastTimestamp, ev.firstTimestamp);
    assert.equal(ev.count, 1);
    assert.equal(ev.eventTime, null);
    assert.equal(ev.reportingComponent, 'kubelet');
    assert.equal(ev.reportingInstance, 'node-1');
  });

  test('§5 dedup: a repeat PATCHes count and lastTimestamp; firstTimestamp is kept', async () => {
    const { clock, recorder, events } = setup();
    const t0 = clock.now();
    recorder.record(
      APP,
      'Warning',
      'Unhealthy',
      'Liveness probe failed: HTTP probe failed with statuscode: 500',
    );
    const name = events()[0]?.metadata.name;
    await clock.advance(10_000);
    recorder.record(
      APP,
      'Warning',
      'Unhealthy',
      'Liveness probe failed: HTTP probe failed with statuscode: 500',
    );
    await clock.advance(10_000);
    recorder.record(
      APP,
      'Warning',
      'Unhealthy',
      'Liveness probe failed: HTTP probe failed with statuscode: 500',
    );
    const all = events();
    assert.equal(all.length, 1);
    assert.equal(all[0]?.metadata.name, name);
    assert.equal(all[0]?.count, 3);
    assert.equal(all[0]?.firstTimestamp, rfc3339(t0));
    assert.equal(all[0]?.lastTimestamp, rfc3339(t0 + 20_000));
    assert.deepEqual(recorder.stats(), { created: 1, patched: 2, dropped: 0, failed: 0 });
  });

  test('§5 dedup key includes fieldPath, type, reason and message', () => {
    const { recorder, events } = setup();
    recorder.record(APP, 'Normal', 'Pulled', 'x');
    recorder.record({ ...POD, fieldPath: 'spec.containers{proxy}' }, 'Normal', 'Pulled', 'x');
    recorder.record(APP, 'Warning', 'Pulled', 'x');
    recorder.record(APP, 'Normal', 'Created', 'x');
    recorder.record(APP, 'Normal', 'Pulled', 'y');
    recorder.record(APP, 'Normal', 'Pulled', 'x');
    const all = events();
    assert.equal(all.length, 5);
    assert.equal(all.filter((e) => e.count === 2).length, 1);
  });

  test('§5 a repeat of an event that expired (TTL) is created again with its count and firstTimestamp', async () => {
    const { clock, store, recorder, events } = setup();
    recorder.record(APP, 'Normal', 'Pulled', 'x');
    const first = events()[0] as CoreEvent;
    store.delete('events', 'default', first.metadata.name);
    await clock.advance(5_000);
    recorder.record(APP, 'Normal', 'Pulled', 'x');
    const again = events();
    assert.equal(again.length, 1);
    assert.equal(again[0]?.count, 2);
    assert.equal(again[0]?.firstTimestamp, first.firstTimestamp);
  });

  test('§5 aggregation: from the 10th distinct message within 600 s, events fold into one combined event', async () => {
    const { clock, recorder, events } = setup();
    for (let i = 1; i <= 9; i++) {
      recorder.record(APP, 'Warning', 'Unhealthy', `Readiness probe failed: took ${i}ms`);
      await clock.advance(1_000);
    }
    assert.equal(events().length, 9);
    recorder.record(APP, 'Warning', 'Unhealthy', 'Readiness probe failed: took 10ms');
    let all = events();
    assert.equal(all.length, 10);
    const combined = all.filter((e) => e.message.startsWith('(combined from similar events): '));
    assert.deepEqual(
      combined.map((e) => [e.message, e.count]),
      [['(combined from similar events): Readiness probe failed: took 10ms', 1]],
    );
    await clock.advance(1_000);
    recorder.record(APP, 'Warning', 'Unhealthy', 'Readiness probe failed: took 11ms');
    all = events();
    assert.equal(all.length, 10, 'the 11th similar event counts up the combined one');
    const folded = all.find((e) => e.message.startsWith('(combined'));
    assert.equal(folded?.count, 2);
    assert.equal(folded?.message, '(combined from similar events): Readiness probe failed: took 11ms');
  });

  test('§5 aggregation restarts after a quiet gap of more than 600 s', async () => {
    const { clock, recorder, events } = setup();
    for (let i = 1; i <= 9; i++) recorder.record(APP, 'Warning', 'Unhealthy', `m${i}`);
    await clock.advance(600_001);
    recorder.record(APP, 'Warning', 'Unhealthy', 'm10');
    assert.equal(events().filter((e) => e.message.startsWith('(combined')).length, 0);
  });

  test('§5 spam filter: burst 25 per source + object, then 1 per 300 s; drops are counted', async () => {
    const { clock, recorder, events } = setup();
    for (let i = 0; i < 30; i++)
      recorder.record(APP, 'Warning', 'BackOff', 'Back-off restarting failed container app');
    assert.equal(events()[0]?.count, 25);
    assert.equal(recorder.stats().dropped, 5);
    // Another container of the same pod shares the bucket (the key has no fieldPath).
    recorder.record(
      { ...POD, fieldPath: 'spec.containers{proxy}' },
      'Normal',
      'Started',
      'Started container proxy',
    );
    assert.equal(recorder.stats().dropped, 6);
    // Another pod has its own bucket.
    recorder.record({ ...POD, name: 'other', uid: 'uid-2' }, 'Normal', 'Started', 'Started container app');
    assert.equal(events().length, 2);
    await clock.advance(299_000);
    recorder.record(APP, 'Warning', 'BackOff', 'Back-off restarting failed container app');
    assert.equal(recorder.stats().dropped, 7);
    await clock.advance(1_000);
    recorder.record(APP, 'Warning', 'BackOff', 'Back-off restarting failed container app');
    assert.equal(recorder.stats().dropped, 7);
    // As in client-go, the correlator counted the dropped repeats too.
    assert.equal(events().find((e) => e.reason === 'BackOff')?.count, 32);
  });
});

describe('EventRetention', () => {
  test('events expire 1 h after their last write; a repeat keeps them alive', async () => {
    const { clock, store, recorder, events } = setup();
    const retention = new EventRetention(store, clock);
    recorder.record(APP, 'Normal', 'Pulled', 'old');
    recorder.record(APP, 'Normal', 'Started', 'kept');
    await settle();
    await clock.advance(30 * 60_000);
    recorder.record(APP, 'Normal', 'Started', 'kept');
    await settle();
    await clock.advance(30 * 60_000);
    assert.deepEqual(
      events().map((e) => e.message),
      ['kept'],
    );
    await clock.advance(30 * 60_000);
    assert.deepEqual(events(), []);
    retention.stop();
    assert.equal(clock.pending(), 0);
    assert.equal(store.openWatches(), 0);
  });

  test('a hard cap drops the least recently written events first', async () => {
    const { clock, store } = setup();
    const retention = new EventRetention(store, clock, { maxEvents: 3 });
    for (let i = 0; i < 5; i++) {
      store.create('events', { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}` } });
      await clock.advance(1);
    }
    await settle();
    assert.deepEqual(
      store.list('events').items.map((e) => e.metadata.name),
      ['e2', 'e3', 'e4'],
    );
    retention.stop();
  });
});
