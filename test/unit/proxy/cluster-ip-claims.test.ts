/**
 * Cluster IPs are claimed machine-wide, as pod IPs are: two podvisor nodes on one machine (two
 * state directories) each allocated 127.96.0.2 to their first Service, so a client of one could
 * reach the other's service, and the second bind of a shared port failed (CI found it running
 * two suites at once). Claims go through the same AddressClaims the pod IP pool uses.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import { startProxy } from '../../../src/proxy/index.js';
import type { AddressClaims } from '../../../src/runtime/address-claims.js';
import { allocateServiceAddresses } from '../../../src/server/services.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, settle } from '../../../src/util/clock.js';

/** Claims where `others` are held by another live node; records what this node claims and releases. */
function claimsWith(others: string[]): AddressClaims & { held: Set<string>; released: string[] } {
  const taken = new Set(others);
  const held = new Set<string>();
  const released: string[] = [];
  return {
    held,
    released,
    claim(ip) {
      if (taken.has(ip)) return false;
      held.add(ip);
      return true;
    },
    release(ip) {
      held.delete(ip);
      released.push(ip);
    },
  };
}

function service(
  name: string,
  clusterIP?: string,
  port = 40000 + Math.floor(Math.random() * 10000),
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      ports: [{ name: 'http', port, protocol: 'TCP', targetPort: 8080 }],
      ...(clusterIP ? { clusterIP } : {}),
    },
  } as KubeObject;
}

function clusterIPOf(obj: KubeObject): string | undefined {
  return (obj as { spec?: { clusterIP?: string } }).spec?.clusterIP;
}

describe('cluster IPs are claimed machine-wide', () => {
  test('allocation skips a cluster IP another node on this machine holds, and claims the one it gives', () => {
    const store = new MemoryStore();
    const claims = claimsWith(['127.96.0.2', '127.96.0.3']);
    const svc = allocateServiceAddresses(store, service('a'), undefined, claims);
    assert.equal(clusterIPOf(svc), '127.96.0.4');
    assert.deepEqual([...claims.held], ['127.96.0.4']);
  });

  test('a requested cluster IP another node holds is refused with a 422 naming the field and the fix', () => {
    const store = new MemoryStore();
    assert.throws(
      () =>
        allocateServiceAddresses(store, service('b', '127.96.0.2'), undefined, claimsWith(['127.96.0.2'])),
      (err: Error & { code?: number }) =>
        err.code === 422 &&
        /^Service "b" is invalid: spec\.clusterIPs: Invalid value: \["127\.96\.0\.2"\]: failed to allocate IP 127\.96\.0\.2: provided IP is already allocated by another podvisor node on this machine; leave clusterIP empty/.test(
          err.message,
        ),
    );
  });

  test('the proxy does not serve a cluster IP another node holds, says so once, and releases its own when the service goes', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const claims = claimsWith(['127.96.251.1']);
    const errors: string[] = [];
    const proxy = startProxy({ store, clock, claims, onError: (e) => errors.push(e.message) });
    try {
      // Stored as a restarted node finds them: addresses given out before it went down.
      const port = 40000 + Math.floor(Math.random() * 10000);
      const held = service('theirs', '127.96.251.1', port);
      const mine = service('mine', '127.96.251.2');
      store.create('services', held);
      store.create('services', mine);
      await settle();
      await proxy.settled();
      assert.deepEqual(
        proxy.addresses().filter((a) => a.startsWith('127.96.251.1:')),
        [],
      );
      assert.equal(proxy.addresses().filter((a) => a.startsWith('127.96.251.2:')).length, 1);
      assert.deepEqual([...claims.held], ['127.96.251.2']);
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(
        errors[0] ?? '',
        new RegExp(
          `^service default/theirs: cannot listen on 127\\.96\\.251\\.1:${port}: cluster IP 127\\.96\\.251\\.1 is held by another podvisor node on this machine .*delete and re-create the service`,
        ),
      );
      // Nothing answers there on this node's behalf.
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.96.251.1', port });
        s.on('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', () => resolve(true));
      });
      assert.equal(refused, true);
      // The retry (with the binds) stays quiet while the other node holds it.
      clock.advance(5000);
      await settle();
      assert.equal(errors.length, 1);
      store.delete('services', 'default', 'mine');
      await settle();
      assert.deepEqual(claims.released, ['127.96.251.2']);
    } finally {
      await proxy.stop();
    }
  });
});
