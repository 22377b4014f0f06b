import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { loadManifests, STDIN_NAME } from '../../../src/api/manifests.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/manifests/', import.meta.url));
/** A fixture path as a user would type it from the current directory. */
const fixture = (name: string): string => relative(process.cwd(), join(FIXTURES, name));

const POD = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers: [{ name: a, command: ["true"] }]\n`;

describe('loadManifests: files, documents and line numbers', () => {
  test('errors are prefixed file:line with the line where the document starts (2nd document on line 14)', async () => {
    const f = fixture('pods.yaml');
    const r = await loadManifests([f]);
    assert.deepEqual(r.errors, [
      `${f}:14: Pod "web" is invalid: spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1`,
    ]);
    assert.deepEqual(r.objects, [], 'nothing is admitted when there are errors');
    assert.deepEqual(r.warnings, [
      `${f}:14: spec.containers[0].image: "nginx:1.27" is recorded but not pulled: podvisor runs spec.containers[0].command`,
    ]);
  });

  test('multi-document YAML: every object with its start line, empty documents skipped, objects defaulted', async () => {
    const f = fixture('good.yaml');
    const r = await loadManifests([f]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.objects.map((o) => `${o.file}:${o.line} ${o.object.metadata.name}`),
      [`${f}:1 ok`, `${f}:15 ok-2`],
    );
    const first = r.objects[0]?.object as Pod;
    assert.equal(first.metadata?.namespace, 'default');
    assert.equal(first.spec?.containers[0]?.livenessProbe?.periodSeconds, 10);
  });

  test('folders are read recursively in sorted order: .yaml, .yml and .json only', async () => {
    const dir = fixture('folder');
    const r = await loadManifests([dir]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.objects.map((o) => `${o.file}:${o.line} ${o.object.metadata.name}`),
      [
        `${join(dir, 'a.yaml')}:1 folder-a`,
        `${join(dir, 'c.json')}:1 folder-c`,
        `${join(dir, 'nested', 'b.yml')}:1 folder-b`,
      ],
    );
  });

  test('JSON kind: List stands for its items, each with its own line', async () => {
    const f = fixture('list.json');
    const r = await loadManifests([f]);
    assert.deepEqual(r.errors, [
      `${f}:11: Pod "from-list-2" is invalid: spec.containers[0].livenessProbe.exec.command: Required value`,
    ]);
  });

  test('kinds other than v1 Pod are refused, and then nothing is admitted', async () => {
    const f = fixture('cronjob.yaml');
    const r = await loadManifests([f]);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0] ?? '',
      /:10: kind "CronJob" \(batch\/v1\) is not supported yet: podvisor runs Pod, .* in this version$/,
    );
    assert.deepEqual(r.objects, []);
  });

  test('a missing kind is a clear error', async () => {
    const f = fixture('no-kind.yaml');
    assert.deepEqual((await loadManifests([f])).errors, [
      `${f}:1: kind is missing: every object needs apiVersion and kind, e.g. apiVersion: v1 and kind: Pod`,
    ]);
  });

  test('YAML syntax errors: file:line: error parsing YAML: <message>', async () => {
    const f = fixture('bad-syntax.yaml');
    const r = await loadManifests([f]);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0] ?? '',
      new RegExp(`^${f.replace(/[.\\/]/g, '\\$&')}:\\d+: error parsing YAML: Flow sequence`),
    );
  });

  test("a container without command gets podvisor's message", async () => {
    const f = fixture('no-command.yaml');
    assert.deepEqual((await loadManifests([f])).errors, [
      `${f}:1: Pod "image-only" is invalid: spec.containers[0].command: Required value: podvisor runs commands, not images: set command (and args) to the program to run, e.g. command: ["node", "server.js"]`,
    ]);
  });

  test('the same pod (namespace/name) twice in the input is an error', async () => {
    const f = fixture('duplicate.yaml');
    assert.deepEqual((await loadManifests([f])).errors, [
      `${f}:8: Pod "default/twin" is defined twice: first at ${f}:1`,
    ]);
  });

  test('YAML alias bombs are stopped', async () => {
    const f = fixture('alias-bomb.yaml');
    const r = await loadManifests([f]);
    assert.deepEqual(r.errors, [
      `${f}:1: error parsing YAML: too many aliases (more than 100 expansions): a document that multiplies itself through aliases ("billion laughs") is refused`,
    ]);
  });

  test('a path that does not exist is an error', async () => {
    const r = await loadManifests([fixture('missing.yaml')]);
    assert.deepEqual(r.errors, [`the path ${JSON.stringify(fixture('missing.yaml'))} does not exist`]);
  });

  test('"-" reads standard input', async () => {
    const r = await loadManifests(['-'], { readStdin: async () => `# from a pipe\n${POD('piped')}` });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.objects.map((o) => `${o.file}:${o.line} ${o.object.metadata.name}`),
      [`${STDIN_NAME}:2 piped`],
    );
  });
});

describe('loadManifests: folders on disk', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podvisor-manifests-'));
    await mkdir(join(dir, '.git'));
    await mkdir(join(dir, 'node_modules', 'pkg'), { recursive: true });
    await writeFile(join(dir, '.git', 'config.yaml'), 'kind: Secret\n');
    await writeFile(join(dir, 'node_modules', 'pkg', 'ci.yml'), 'kind: Workflow\n');
    await writeFile(join(dir, 'b.yaml'), POD('b'));
    await writeFile(join(dir, 'a.YML'), POD('a'));
    await writeFile(
      join(dir, 'yaml11.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: { name: octal }\nspec:\n  enableServiceLinks: no\n' +
        '  volumes: [{ name: cfg, configMap: { name: c, defaultMode: 0600 } }]\n' +
        '  containers: [{ name: a, command: ["true"], volumeMounts: [{ name: cfg, mountPath: /cfg }] }]\n',
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('hidden folders and node_modules are skipped; extensions match in any case', async () => {
    const r = await loadManifests([dir]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.objects.map((o) => o.object.metadata.name),
      ['a', 'b', 'octal'],
    );
  });

  test('YAML is read as Kubernetes reads it (YAML 1.1): 0600 is octal, no is false', async () => {
    const r = await loadManifests([join(dir, 'yaml11.yaml')]);
    const pod = r.objects[0]?.object as Pod;
    assert.equal(pod.spec?.volumes?.[0]?.configMap?.defaultMode, 0o600);
    assert.equal(pod.spec?.enableServiceLinks, false);
  });

  test('warnings are prefixed with file:line too', async () => {
    const r = await loadManifests([join(dir, 'yaml11.yaml')]);
    assert.ok(r.warnings.length > 0);
    for (const w of r.warnings) assert.ok(w.startsWith(`${join(dir, 'yaml11.yaml')}:1: spec.`), w);
  });

  test('a YAML PodList stands for its items', async () => {
    const file = join(dir, 'podlist.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: PodList\nitems:\n' +
        '  - apiVersion: v1\n    kind: Pod\n    metadata: { name: l1 }\n    spec: { containers: [{ name: a, command: ["true"] }] }\n' +
        '  - apiVersion: v1\n    kind: Pod\n    metadata: { name: l2 }\n    spec: { containers: [{ name: a, command: ["true"] }] }\n',
    );
    const r = await loadManifests([file]);
    await rm(file);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.objects.map((o) => `${o.line} ${o.object.metadata.name}`),
      ['4 l1', '8 l2'],
    );
  });

  test('an empty folder is an error', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    assert.deepEqual((await loadManifests([empty])).errors, [
      `${empty}: no .yaml, .yml or .json files in this folder`,
    ]);
  });

  test('duplicates are found across files', async () => {
    const r = await loadManifests([join(dir, 'b.yaml'), join(dir, 'b.yaml')]);
    assert.deepEqual(r.errors, [
      `${join(dir, 'b.yaml')}:1: Pod "default/b" is defined twice: first at ${join(dir, 'b.yaml')}:1`,
    ]);
  });

  test("a bare `.` is a string, as go-yaml v2 reads it (workingDir: . is the manifest's folder)", async () => {
    const file = join(dir, 'dot.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: { name: dot, annotations: { v: ._ } }\nspec:\n' +
        '  terminationGracePeriodSeconds: 5\n  containers: [{ name: a, command: ["true"], workingDir: . }]\n',
    );
    const r = await loadManifests([file]);
    assert.deepEqual(r.errors, []);
    const pod = r.objects[0]?.object as Pod;
    assert.equal(pod.spec?.containers[0]?.workingDir, dir);
    assert.equal(pod.metadata?.annotations?.v, '._');
  });
});
