/**
 * A full database disk (issue 7 item 4) refuses every write. The kubelet writes on its own —
 * probe results, container exits, the end of a deletion — with nobody to answer a 500, so a
 * refusal must never escape (it would take podvisor down) and must not be lost either: the
 * cached status is written once the store takes writes again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refuseWritesDuring } from '../../helpers/refusing-store.js';
import { fail, ok } from './fakes.js';
import { container, harness, pod } from './harness.js';

describe('kubelet: writes the store refuses (a full disk) are retried, never thrown', () => {
  test('§2.1 a readiness change during the outage reaches the pod once writes are taken again', async () => {
    const h = harness();
    const outage = refuseWritesDuring(h.store);
    h.handlers.set('ready', fail());
    await h.create(
      pod('web', {
        containers: [
          container('app', { readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1 } }),
        ],
      }),
    );
    await h.advance(3000);
    assert.equal(h.cstatus('web').ready, false);
    outage.on = true;
    h.handlers.set('ready', ok);
    await h.advance(5000);
    assert.ok(outage.refused > 0, 'the status write was attempted and refused');
    assert.equal(h.cstatus('web').ready, false, 'nothing was stored during the outage');
    outage.on = false;
    await h.advance(1000);
    assert.equal(h.cstatus('web').ready, true);
    assert.equal(h.condition('web', 'Ready')?.status, 'True');
  });

  test('§4.2 a crash during the outage: the restart count lands afterwards', async () => {
    const h = harness();
    const outage = refuseWritesDuring(h.store);
    await h.create(pod('job', { containers: [container('app')] }));
    await h.advance(1000);
    outage.on = true;
    h.runtime.latest('app').finish(1);
    await h.advance(4000);
    assert.equal(h.runtime.of('app').length, 2, 'the container was restarted during the outage');
    assert.equal(h.cstatus('job').restartCount, 0, 'nothing was stored during the outage');
    outage.on = false;
    await h.advance(1000);
    assert.equal(h.cstatus('job').restartCount, 1);
    assert.equal(h.cstatus('job').containerID, h.runtime.latest('app').id);
  });

  test('§4.3 a deletion that finishes during the outage removes the pod object afterwards', async () => {
    const h = harness();
    const outage = refuseWritesDuring(h.store);
    // It takes its whole grace period to stop, so the outage starts while it is terminating.
    h.runtime.behave('app', { onTerm: 'ignore' });
    await h.create(pod('gone', { containers: [container('app')], terminationGracePeriodSeconds: 2 }));
    await h.advance(1000);
    h.deleteGracefully('gone', 2);
    await h.advance(0);
    outage.on = true;
    await h.advance(5000);
    assert.ok(h.runtime.latest('app').exit, 'the container was killed at the end of its grace');
    assert.ok(h.get('gone'), 'the pod object is still there: its removal was refused');
    outage.on = false;
    await h.advance(1000);
    assert.equal(h.get('gone'), undefined);
  });

  test('binding an unbound pod during the outage: it is bound and started afterwards', async () => {
    const h = harness();
    const outage = refuseWritesDuring(h.store);
    // Created before the outage; the kubelet's bind runs when it sees the pod, during it.
    h.store.create('pods', pod('late', { containers: [container('app')] }));
    outage.on = true;
    await h.advance(3000);
    assert.equal(h.get('late')?.spec?.nodeName, undefined);
    assert.equal(h.runtime.of('app').length, 0);
    outage.on = false;
    await h.advance(1000);
    assert.equal(h.get('late')?.spec?.nodeName, 'node-1');
    assert.equal(h.runtime.of('app').length, 1);
  });
});
