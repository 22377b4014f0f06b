import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitObject } from '../../../src/api/admission.js';

describe('Service manifests (issue 4 item 2)', () => {
  test('manifest loading admits kind Service with its defaults', () => {
    const adm = admitObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    assert.equal(adm.kindError, undefined);
    assert.deepEqual(adm.errors, []);
    const spec = (adm.object as { spec?: Record<string, unknown> } | undefined)?.spec;
    assert.equal(spec?.type, 'ClusterIP');
    assert.equal(spec?.sessionAffinity, 'None');
    assert.deepEqual(spec?.ports, [{ port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('a UDP port is accepted with a warning that podvisor proxies TCP only', () => {
    const adm = admitObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'dns' },
      spec: { ports: [{ port: 53, protocol: 'UDP' }] },
    });
    assert.deepEqual(adm.errors, []);
    assert.match(adm.warnings.join('\n'), /proxies TCP only/);
  });
});
