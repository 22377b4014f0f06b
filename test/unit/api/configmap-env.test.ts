import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { EnvSourceLookup } from '../../../src/api/configmap-env.js';
import { podEnvironment, type EnvironmentContext } from '../../../src/api/expansion.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [] } };

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function lookupOf(
  configMaps: Record<string, ConfigMap>,
  secrets: Record<string, Secret> = {},
): EnvSourceLookup {
  return {
    configMap: (ns, name) => (ns === 'default' ? configMaps[name] : undefined),
    secret: (ns, name) => (ns === 'default' ? secrets[name] : undefined),
  };
}

const cm: ConfigMap = { data: { DB_HOST: 'db', 'app.port': '8080', '1bad': 'x', mode: 'prod' } };
const sec: Secret = { data: { PASSWORD: b64('s3cret'), token: b64('t') } };

function ctxWith(lookup?: EnvSourceLookup): EnvironmentContext {
  return {
    podIP: '127.0.0.2',
    hostIP: '127.0.0.1',
    nodeName: 'n1',
    podDir: '/pods/web',
    baseEnv: { PATH: '/bin' },
    ...(lookup ? { envSources: lookup } : {}),
  };
}

const env = (c: Partial<Container>, lookup = lookupOf({ cm }, { sec })): ReturnType<typeof podEnvironment> =>
  podEnvironment(pod, { ...c, name: 'app' }, ctxWith(lookup));

describe('ConfigMap/Secret env sources (kubelet makeEnvironmentVariables)', () => {
  test('valueFrom.configMapKeyRef and secretKeyRef give the (decoded) values', () => {
    const r = env({
      env: [
        { name: 'HOST', valueFrom: { configMapKeyRef: { name: 'cm', key: 'DB_HOST' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'PASSWORD' } } },
      ],
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.env.HOST, 'db');
    assert.equal(r.env.PW, 's3cret');
  });

  test('a missing mandatory ConfigMap or key is the kubelet error (CreateContainerConfigError text)', () => {
    const ref = (name: string, key: string): Container => ({
      name: 'app',
      env: [{ name: 'X', valueFrom: { configMapKeyRef: { name, key } } }],
    });
    assert.deepEqual(env(ref('nope', 'k')).errors, ['configmap "nope" not found']);
    assert.deepEqual(env(ref('cm', 'k')).errors, ["couldn't find key k in ConfigMap default/cm"]);
    const sref: Container = {
      name: 'app',
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'sec', key: 'k' } } }],
    };
    assert.deepEqual(env(sref).errors, ["couldn't find key k in Secret default/sec"]);
    const snone: Container = {
      name: 'app',
      env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'none', key: 'k' } } }],
    };
    assert.deepEqual(env(snone).errors, ['secret "none" not found']);
    assert.deepEqual(env({ envFrom: [{ configMapRef: { name: 'gone' } }] }).errors, [
      'configmap "gone" not found',
    ]);
  });

  test('optional references to a missing source or key leave the variable out', () => {
    const r = env({
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k', optional: true } } },
        { name: 'C', valueFrom: { secretKeyRef: { name: 'sec', key: 'k', optional: true } } },
      ],
      envFrom: [
        { configMapRef: { name: 'gone', optional: true } },
        { secretRef: { name: 'x', optional: true } },
      ],
    });
    assert.deepEqual(r.errors, []);
    assert.equal(Object.hasOwn(r.env, 'A') || Object.hasOwn(r.env, 'B') || Object.hasOwn(r.env, 'C'), false);
  });

  test('envFrom with prefix; invalid names are skipped with InvalidEnvironmentVariableNames', () => {
    const r = env({
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CFG_' }, { configMapRef: { name: 'cm' } }],
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.env.CFG_DB_HOST, 'db');
    assert.equal(r.env.CFG_mode, 'prod');
    assert.equal(r.env.DB_HOST, 'db');
    // With the prefix, "1bad" becomes the valid CFG_1bad; without it, it is skipped.
    assert.equal(r.env.CFG_1bad, 'x');
    assert.equal(Object.hasOwn(r.env, '1bad'), false);
    assert.deepEqual(r.events, [
      {
        type: 'Warning',
        reason: 'InvalidEnvironmentVariableNames',
        message:
          'Keys [1bad] from the EnvFrom configMap default/cm were skipped since they are considered invalid environment variable names.',
      },
    ]);
  });

  test('env overrides envFrom, and a value may $(VAR)-expand an envFrom variable', () => {
    const r = env({
      envFrom: [{ secretRef: { name: 'sec' } }, { configMapRef: { name: 'cm' } }],
      env: [
        { name: 'mode', value: 'dev' },
        { name: 'URL', value: 'http://$(DB_HOST):1' },
      ],
    });
    assert.equal(r.env.PASSWORD, 's3cret');
    assert.equal(r.env.mode, 'dev');
    assert.equal(r.env.URL, 'http://db:1');
    assert.equal(r.expansionEnv.DB_HOST, 'db');
  });

  test('without a lookup (no store) key references stay an error', () => {
    const r = podEnvironment(
      pod,
      { name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] },
      ctxWith(),
    );
    assert.equal(r.errors.length, 1);
  });
});
