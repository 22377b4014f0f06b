import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import {
  downwardAPIValue,
  expand,
  expandArgv,
  expandCommandOnlyStatic,
  podEnvironment,
} from '../../../src/api/expansion.js';

const vars: Record<string, string> = { VAR_A: 'A', VAR_B: 'B', EMPTY: '' };
const mapping = (name: string): string | undefined => vars[name];

describe('$(VAR) expansion (third_party/forked/golang/expansion)', () => {
  const table: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['$(EMPTY)x', 'x'],
    ['$(UNDEFINED)', '$(UNDEFINED)'],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$$', '$'],
    ['$$$$', '$$'],
    ['$(VAR_A', '$(VAR_A'],
    ['$(', '$('],
    ['$VAR_A', '$VAR_A'],
    ['$', '$'],
    ['x$', 'x$'],
    ['$()', '$()'],
    ['$(VAR_A)$(VAR_A)$', 'AA$'],
    ['no refs', 'no refs'],
    ['$(A$(VAR_B))', '$(A$(VAR_B))'],
  ];
  for (const [input, want] of table) {
    test(`expand ${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => {
      assert.equal(expand(input, mapping), want);
    });
  }

  test('expandArgv expands command then args against the given variables', () => {
    assert.deepEqual(
      expandArgv(['node', '$(APP)'], ['--port=$(PORT)', '$$(PORT)', '$(NOPE)'], {
        APP: 'server.js',
        PORT: '8080',
      }),
      ['node', 'server.js', '--port=8080', '$(PORT)', '$(NOPE)'],
    );
  });

  test('§3.0 exec probe commands expand only static env values; a valueFrom entry maps to ""', () => {
    assert.deepEqual(
      expandCommandOnlyStatic(
        ['check', '$(FILE)', '$(POD)', '$(OTHER)'],
        [
          { name: 'FILE', value: '/tmp/ready' },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      ),
      ['check', '/tmp/ready', '', '$(OTHER)'],
    );
  });
});

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'team',
    uid: 'uid-123',
    labels: { tier: 'front', app: 'web' },
    annotations: { 'example.com/note': 'say "hi"\n' },
  },
  spec: { serviceAccountName: 'builder', containers: [] },
};
const ctx = {
  podIP: '127.0.10.3',
  hostIP: '127.0.0.1',
  nodeName: 'laptop',
  podDir: '/state/pods/team_web',
  baseEnv: { PATH: '/usr/bin:/bin', HOME: '/home/me', POD_DIR: 'overridden' },
};

describe('podEnvironment (makeEnvironmentVariables)', () => {
  test('base env, then TMPDIR and POD_DIR, then the container env in order', () => {
    const c: Container = {
      name: 'app',
      env: [
        { name: 'PORT', value: '8080' },
        { name: 'PATH', value: '/opt/bin' },
      ],
    };
    const r = podEnvironment(pod, c, ctx);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.env, {
      PATH: '/opt/bin',
      HOME: '/home/me',
      POD_DIR: '/state/pods/team_web',
      TMPDIR: '/state/pods/team_web',
      PORT: '8080',
    });
  });

  test('a value is expanded against the variables defined before it, not the base env', () => {
    const c: Container = {
      name: 'app',
      env: [
        { name: 'URL', value: 'http://$(HOST):$(PORT)' },
        { name: 'HOST', value: 'localhost' },
        { name: 'PORT', value: '8080' },
        { name: 'URL2', value: 'http://$(HOST):$(PORT)/$(HOME)' },
        { name: 'DATA', value: '$(POD_DIR)/data' },
        { name: 'LITERAL', value: '$$(PORT)' },
      ],
    };
    const r = podEnvironment(pod, c, ctx);
    assert.equal(r.env.URL, 'http://$(HOST):$(PORT)');
    assert.equal(r.env.URL2, 'http://localhost:8080/$(HOME)');
    assert.equal(r.env.DATA, '/state/pods/team_web/data');
    assert.equal(r.env.LITERAL, '$(PORT)');
    assert.equal(r.expansionEnv.HOME, undefined, 'the base env is not visible to $(VAR)');
    assert.equal(r.expansionEnv.PORT, '8080');
  });

  test('the downward API resolves pod fields, labels and annotations', () => {
    const field = (fieldPath: string) => ({ fieldRef: { apiVersion: 'v1', fieldPath } });
    const c: Container = {
      name: 'app',
      env: [
        { name: 'NAME', valueFrom: field('metadata.name') },
        { name: 'NS', valueFrom: field('metadata.namespace') },
        { name: 'UID', valueFrom: field('metadata.uid') },
        { name: 'APP', valueFrom: field("metadata.labels['app']") },
        { name: 'MISSING', valueFrom: field("metadata.labels['nope']") },
        { name: 'NOTE', valueFrom: field("metadata.annotations['example.com/note']") },
        { name: 'NODE', valueFrom: field('spec.nodeName') },
        { name: 'SA', valueFrom: field('spec.serviceAccountName') },
        { name: 'POD_IP', valueFrom: field('status.podIP') },
        { name: 'POD_IPS', valueFrom: field('status.podIPs') },
        { name: 'HOST_IP', valueFrom: field('status.hostIP') },
        { name: 'HOST_IPS', valueFrom: field('status.hostIPs') },
        { name: 'SELF', value: '$(NAME).$(NS)' },
      ],
    };
    const r = podEnvironment(pod, c, ctx);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(r.env).filter(([k]) => !['PATH', 'HOME', 'POD_DIR', 'TMPDIR'].includes(k)),
      ),
      {
        NAME: 'web',
        NS: 'team',
        UID: 'uid-123',
        APP: 'web',
        MISSING: '',
        NOTE: 'say "hi"\n',
        NODE: 'laptop',
        SA: 'builder',
        POD_IP: '127.0.10.3',
        POD_IPS: '127.0.10.3',
        HOST_IP: '127.0.0.1',
        HOST_IPS: '127.0.0.1',
        SELF: 'web.team',
      },
    );
  });

  test('metadata.labels / metadata.annotations format as sorted key="value" lines with Go quoting', () => {
    assert.deepEqual(downwardAPIValue(pod, 'v1', 'metadata.labels', ctx), {
      value: 'app="web"\ntier="front"',
    });
    assert.deepEqual(downwardAPIValue(pod, 'v1', 'metadata.annotations', ctx), {
      value: 'example.com/note="say \\"hi\\"\\n"',
    });
  });

  test('sources podvisor cannot resolve are reported, not silently empty', () => {
    const c: Container = {
      name: 'app',
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
        { name: 'B', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } },
      ],
    };
    const r = podEnvironment(pod, c, ctx);
    assert.deepEqual(r.errors, [
      'env "A": podvisor can only resolve valueFrom.fieldRef (the downward API)',
      'env "B": unsupported fieldPath: status.phase',
    ]);
  });
});
