import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorderImpl, type CoreEvent } from '../../../src/store/event-recorder.js';
import { FakeClock } from '../../../src/util/clock.js';
import { openStream, startHarness, waitUntil, type Harness } from './harness.js';

interface EventList {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string };
  items: CoreEvent[];
}

describe('events API (kubectl describe / get events)', () => {
  let h: Harness;
  const web = { kind: 'Pod', namespace: 'default', name: 'web', uid: 'uid-web', apiVersion: 'v1' };
  const db = { kind: 'Pod', namespace: 'default', name: 'db', uid: 'uid-db', apiVersion: 'v1' };
  before(async () => {
    h = await startHarness();
    const recorder = new EventRecorderImpl(h.store, new FakeClock(), { host: 'node-1' });
    recorder.record(
      { ...web, fieldPath: 'spec.containers{app}' },
      'Normal',
      'Started',
      'Started container app',
    );
    recorder.record(
      { ...web, fieldPath: 'spec.containers{app}' },
      'Warning',
      'Unhealthy',
      'Liveness probe failed: boom',
    );
    recorder.record(db, 'Normal', 'Scheduled', 'Successfully assigned default/db to node-1');
    recorder.record(
      { ...web, namespace: 'other', uid: 'uid-other' },
      'Normal',
      'Started',
      'Started container app',
    );
  });
  after(() => h.close());

  test('§1.6 fieldSelector on involvedObject.* in any order gives the same EventList', async () => {
    const orders = [
      'involvedObject.namespace%3Ddefault%2CinvolvedObject.uid%3Duid-web%2CinvolvedObject.name%3Dweb',
      'involvedObject.name%3Dweb%2CinvolvedObject.namespace%3Ddefault%2CinvolvedObject.uid%3Duid-web',
      'involvedObject.uid%3Duid-web%2CinvolvedObject.name%3Dweb%2CinvolvedObject.namespace%3Ddefault%2CinvolvedObject.kind%3DPod',
    ];
    for (const selector of orders) {
      const res = await h.request(
        'GET',
        `/api/v1/namespaces/default/events?fieldSelector=${selector}&limit=500`,
      );
      assert.equal(res.status, 200);
      const list = res.json<EventList>();
      assert.equal(list.kind, 'EventList');
      assert.equal(list.apiVersion, 'v1');
      assert.deepEqual(list.items.map((e) => e.reason).sort(), ['Started', 'Unhealthy'], selector);
    }
  });

  test('field selectors on reason, type and fieldPath', async () => {
    const warnings = (
      await h.request('GET', '/api/v1/events?fieldSelector=type%3DWarning')
    ).json<EventList>();
    assert.deepEqual(
      warnings.items.map((e) => e.reason),
      ['Unhealthy'],
    );
    const notStarted = (
      await h.request('GET', '/api/v1/namespaces/default/events?fieldSelector=reason%21%3DStarted')
    ).json<EventList>();
    assert.deepEqual(notStarted.items.map((e) => e.reason).sort(), ['Scheduled', 'Unhealthy']);
    const byPath = (
      await h.request(
        'GET',
        '/api/v1/events?fieldSelector=involvedObject.fieldPath%3Dspec.containers%7Bapp%7D',
      )
    ).json<EventList>();
    assert.equal(byPath.items.length, 2);
  });

  test('GET /api/v1/events lists every namespace', async () => {
    const all = (await h.request('GET', '/api/v1/events')).json<EventList>();
    assert.deepEqual([...new Set(all.items.map((e) => e.metadata.namespace))].sort(), ['default', 'other']);
    assert.equal(all.items.length, 4);
  });

  test('events watch (kubectl events -w: no resourceVersion, synthetic ADDED first)', async () => {
    const stream = await openStream(
      h.server.url,
      '/api/v1/namespaces/default/events?limit=500&watch=true&fieldSelector=involvedObject.name%3Ddb',
    );
    const lines = (await stream.waitForLines(1)).map(
      (l) => JSON.parse(l) as { type: string; object: CoreEvent },
    );
    assert.deepEqual(
      lines.map((l) => `${l.type} ${l.object.reason}`),
      ['ADDED Scheduled'],
    );
    stream.disconnect();
    await waitUntil(() => h.store.openWatches() === 0, 'watch cleanup');
  });

  test('POST an event (201) and DELETE it (Success Status)', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'db.custom' },
      involvedObject: db,
      reason: 'Custom',
      message: 'hello',
      type: 'Normal',
    };
    const created = await h.request('POST', '/api/v1/namespaces/default/events', { body });
    assert.equal(created.status, 201);
    const uid = created.json<CoreEvent>().metadata.uid;
    const invalid = await h.request('POST', '/api/v1/namespaces/default/events', {
      body: { ...body, metadata: { name: 'x' }, involvedObject: undefined },
    });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.json().message, 'Event "x" is invalid: involvedObject: Required value');
    const deleted = await h.request('DELETE', '/api/v1/namespaces/default/events/db.custom');
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'db.custom', kind: 'events', uid },
    });
  });
});
