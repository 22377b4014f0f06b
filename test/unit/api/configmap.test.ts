import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  admitConfigMap,
  admitSecret,
  secretValues,
  validateConfigMapUpdate,
  validateSecretUpdate,
  type StoredConfigMap,
  type StoredSecret,
} from '../../../src/api/configmap.js';
import { formatFieldError } from '../../../src/api/field-errors.js';
import type { KubeObject } from '../../../src/api/types.js';

const meta = { name: 'cfg', namespace: 'default' };
const cm = (data: Record<string, string>, extra: Partial<StoredConfigMap> = {}): StoredConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: meta,
  data,
  ...extra,
});
const secret = (extra: Partial<StoredSecret>): StoredSecret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { ...meta, name: 'sec' },
  ...extra,
});

describe('ConfigMap and Secret admission (ValidateConfigMap, ValidateSecret)', () => {
  test('keys must be valid config keys', () => {
    const adm = admitConfigMap(cm({ good: '1', 'bad key': '2' }));
    assert.equal(adm.object, undefined);
    assert.deepEqual(adm.errors.map(formatFieldError), [
      `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
  });

  test('a key may not be in both data and binaryData', () => {
    const adm = admitConfigMap(cm({ a: '1' }, { binaryData: { a: 'AA==' } }));
    assert.deepEqual(adm.errors.map(formatFieldError), [
      'binaryData[a]: Invalid value: "a": duplicate of key present in data',
    ]);
  });

  test('Secret: stringData is folded into base64 data and type defaults to Opaque', () => {
    const adm = admitSecret(
      secret({ data: { a: Buffer.from('x').toString('base64') }, stringData: { b: 'hello' } }) as KubeObject,
    );
    assert.deepEqual(adm.errors, []);
    const s = adm.object as StoredSecret;
    assert.equal(s.type, 'Opaque');
    assert.equal(Object.hasOwn(s, 'stringData'), false);
    assert.deepEqual(secretValues(s), { a: 'x', b: 'hello' });
  });

  test('immutable: once set, the flag and the data may not change', () => {
    const old = cm({ a: '1' }, { immutable: true });
    assert.deepEqual(validateConfigMapUpdate(cm({ a: '1' }, { immutable: true }), old), []);
    assert.deepEqual(
      validateConfigMapUpdate(cm({ a: '2' }, { immutable: true }), old).map(formatFieldError),
      ['data: Forbidden: field is immutable when `immutable` is set'],
    );
    assert.deepEqual(validateConfigMapUpdate(cm({ a: '1' }), old).map(formatFieldError), [
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
    assert.deepEqual(validateConfigMapUpdate(cm({ a: '2' }), cm({ a: '1' })), []);
    const oldSecret = secret({ type: 'Opaque', immutable: true, data: { a: 'eA==' } });
    assert.deepEqual(
      validateSecretUpdate(secret({ type: 'Opaque', immutable: true, data: { a: 'eQ==' } }), oldSecret).map(
        formatFieldError,
      ),
      ['data: Forbidden: field is immutable when `immutable` is set'],
    );
    assert.deepEqual(
      validateSecretUpdate(secret({ type: 'kubernetes.io/tls', data: {} }), secret({ type: 'Opaque' })).map(
        formatFieldError,
      ),
      ['type: Invalid value: "kubernetes.io/tls": field is immutable'],
    );
  });
});
