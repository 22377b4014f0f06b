import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { admitPod } from '../../../src/api/admission.js';
import type { KubeObject } from '../../../src/api/types.js';
import type { LogReadOptions } from '../../../src/runtime/types.js';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import { EventRecorderImpl } from '../../../src/store/event-recorder.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeClock, RealClock } from '../../../src/util/clock.js';
import { writeApiInfo } from '../../../src/cli/state-dir.js';
import { runCli } from './harness.js';

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
    - name: app
      image: node:20-alpine
      command: ["node", "server.mjs"]
`;

/** Ages depend on the moment of the run (all well under 10s here): `3s` reads `Ns`. */
const ages = (text: string): string => text.replace(/\b\d+s\b/g, 'Ns');

/** Client commands against a real API server on 127.0.0.1 (no kubelet: pods stay Pending). */
describe('client commands over the Kubernetes REST API', () => {
  let server: ApiServer;
  let store: MemoryStore;
  let dir: string;
  let logRequests: LogReadOptions[];
  let cli: (...argv: string[]) => ReturnType<typeof runCli>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-client-'));
    await writeFile(join(dir, 'web.yaml'), POD_YAML);
    store = new MemoryStore({ clock: new RealClock() });
    logRequests = [];
    server = await startApiServer({
      store,
      token: 'secret',
      host: '127.0.0.1',
      port: 0,
      admitPod,
      logs: {
        async *readLogs(_uid: string, opts: LogReadOptions) {
          logRequests.push(opts);
          yield 'hello';
          yield 'world';
        },
      },
    });
    // Clients find the node through the state directory's api.json.
    await writeApiInfo(dir, { server: server.url, token: 'secret', pid: process.pid });
    cli = (...argv) => runCli(argv, { env: { PODVISOR_STATE_DIR: dir } });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('apply -f creates, then is unchanged; create on an existing pod is AlreadyExists', async () => {
    const file = join(dir, 'web.yaml');
    let r = await cli('apply', '-f', file);
    assert.equal(r.stdout, 'pod/web created\n', r.stderr);
    assert.equal(r.code, 0);
    r = await cli('apply', '-f', file);
    assert.equal(r.stdout, 'pod/web unchanged\n', r.stderr);
    r = await cli('create', '-f', file);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /\nError from server \(AlreadyExists\): error when creating ".*web\.yaml": pods "web" already exists\n$/,
    );
    assert.match(
      r.stderr,
      /^Warning: .*web\.yaml:1: spec\.containers\[0\]\.image: /,
      'local warnings name file:line',
    );
    assert.equal(r.stderr.split('Warning:').length, 2, 'the server repeats the warning; it is printed once');
  });

  test('apply -f refuses everything when a manifest is invalid, naming file:line', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      POD_YAML.replace('name: web', 'name: other').replace('    - name: app', '    - name: App_1'),
    );
    const r = await cli('apply', '-f', join(dir, 'web.yaml'), '-f', bad);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bad\.yaml:1: Pod "other" is invalid: spec\.containers\[0\]\.name/);
    assert.match(r.stderr, /so nothing was applied: fix it and run the command again/);
    assert.equal(store.get('pods', 'default', 'other'), undefined);
  });

  test('apply -f - reads standard input', async () => {
    const r = await runCli(['apply', '-f', '-'], { env: { PODVISOR_STATE_DIR: dir }, stdin: POD_YAML });
    assert.equal(r.stdout, 'pod/web unchanged\n', r.stderr);
  });

  test('get pods: the kubectl table; -o name; -o json is a List; a missing name is NotFound', async () => {
    let r = await cli('get', 'pods');
    assert.equal(r.code, 0);
    // No kubelet here: STATUS is the phase if the server set one on create (the apiserver sets Pending).
    assert.ok(
      [
        'NAME   READY   STATUS    RESTARTS   AGE\nweb    0/1     Pending   0          Ns\n',
        'NAME   READY   STATUS   RESTARTS   AGE\nweb    0/1              0          Ns\n',
      ].includes(ages(r.stdout)),
      r.stdout,
    );
    r = await cli('get', 'pods', '-A');
    assert.ok(ages(r.stdout).startsWith('NAMESPACE   NAME   READY   STATUS'), r.stdout);
    assert.ok(ages(r.stdout).includes('\ndefault     web    0/1 '), r.stdout);
    r = await cli('get', 'po', '-o', 'name');
    assert.equal(r.stdout, 'pod/web\n');
    r = await cli('get', 'pods', '-o', 'json');
    const list = JSON.parse(r.stdout) as {
      kind: string;
      apiVersion: string;
      items: KubeObject[];
      metadata: object;
    };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.metadata, { resourceVersion: '' });
    assert.equal(list.items[0]?.kind, 'Pod');
    r = await cli('get', 'pod/web', '-o', 'yaml');
    assert.match(r.stdout, /^apiVersion: v1\nkind: Pod\nmetadata:\n/);
    r = await cli('get', 'pod', 'nope');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error from server (NotFound): pods "nope" not found\n');
    r = await cli('get', 'pods', '-l', 'app=other');
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'No resources found in default namespace.\n');
  });

  test('describe pod shows the pod and its events; get events lists them', async () => {
    const pod = store.get<KubeObject>('pods', 'default', 'web');
    const recorder = new EventRecorderImpl(store, new RealClock(), { component: 'kubelet', host: 'box' });
    const involved = {
      kind: 'Pod',
      apiVersion: 'v1',
      namespace: 'default',
      name: 'web',
      uid: pod?.metadata.uid ?? '',
    };
    recorder.record(
      { ...involved, fieldPath: 'spec.containers{app}' },
      'Normal',
      'Started',
      'Started container app',
    );
    // Another pod's event, two seconds older: `get events` lists it first (oldest first).
    const earlier = new EventRecorderImpl(store, new FakeClock(Date.now() - 2000), {
      component: 'kubelet',
      host: 'box',
    });
    earlier.record({ ...involved, name: 'web-other', uid: 'x' }, 'Normal', 'Started', 'not this pod');
    await new Promise((r) => setTimeout(r, 20));
    let r = await cli('describe', 'pod', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('Name:             web\nNamespace:        default\n'), r.stdout);
    assert.ok(
      ages(r.stdout).endsWith(
        'Events:\n' +
          '  Type    Reason   Age   From     Message\n' +
          '  ----    ------   ----  ----     -------\n' +
          '  Normal  Started  Ns    kubelet  Started container app\n',
      ),
      r.stdout,
    );
    assert.ok(!r.stdout.includes('not this pod'));
    r = await cli('describe', 'pod', 'we');
    assert.ok(r.stdout.startsWith('Name:             web\n'), 'a prefix finds the pod, as kubectl does');
    r = await cli('get', 'events');
    assert.equal(
      ages(r.stdout),
      'LAST SEEN   TYPE     REASON    OBJECT          MESSAGE\n' +
        'Ns          Normal   Started   pod/web-other   not this pod\n' +
        'Ns          Normal   Started   pod/web         Started container app\n',
    );
  });

  test('logs picks the container and streams the log; --tail and --since become query parameters', async () => {
    const r = await cli('logs', 'web', '--tail', '5', '--since', '1m', '--timestamps');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\nworld\n');
    assert.equal(logRequests.at(-1)?.container, 'app');
    assert.equal(logRequests.at(-1)?.tailLines, 5);
    assert.equal(logRequests.at(-1)?.sinceSeconds, 60);
    assert.equal(logRequests.at(-1)?.timestamps, true);
  });

  test('delete pod prints `pod "web" deleted` and waits until it is gone; a missing pod is NotFound', async () => {
    let r = await cli('delete', 'pod', 'web');
    assert.equal(r.stdout, 'pod "web" deleted\n', r.stderr);
    assert.equal(r.code, 0);
    assert.equal(store.get('pods', 'default', 'web'), undefined);
    r = await cli('delete', 'pod', 'web');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error from server (NotFound): pods "web" not found\n');
    r = await cli('get', 'pods');
    assert.equal(r.stderr, 'No resources found in default namespace.\n');
  });

  test('a wrong token is Unauthorized, with what to do', async () => {
    const r = await runCli(['--server', server.url, '--token', 'wrong', 'get', 'pods']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: You must be logged in to the server \(Unauthorized\)/);
  });
});
