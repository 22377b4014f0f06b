import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { admitPod } from '../../../src/api/admission.js';
import type { KubeObject, Pod } from '../../../src/api/types.js';
import { podKnobLines } from '../../../src/cli/printers/pod-knobs.js';
import { describePod } from '../../../src/cli/printers/describe-pod.js';
import { writeApiInfo } from '../../../src/cli/state-dir.js';
import { startApiServer, type ApiServer } from '../../../src/server/api-server.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { RealClock } from '../../../src/util/clock.js';
import { runCli } from './harness.js';

const PAUSED = 'podvisor.io/probes-paused-until';

describe('podvisor probes pause|resume (a JSON merge patch of the pod annotation)', () => {
  let server: ApiServer;
  let store: MemoryStore;
  let dir: string;
  let cli: (...argv: string[]) => ReturnType<typeof runCli>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pv-probes-'));
    store = new MemoryStore({ clock: new RealClock() });
    server = await startApiServer({
      store,
      token: 'secret',
      host: '127.0.0.1',
      port: 0,
      admitPod,
      logs: {
        async *readLogs() {
          // no logs here
        },
      },
    });
    await writeApiInfo(dir, { server: server.url, token: 'secret', pid: process.pid });
    cli = (...argv) => runCli(argv, { env: { PODVISOR_STATE_DIR: dir } });
    const adm = admitPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { containers: [{ name: 'app', image: 'x', command: ['sleep', '100'] }] },
    });
    assert.ok(adm.pod);
    store.create('pods', adm.pod as KubeObject);
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const annotation = (): string | undefined =>
    store.get<KubeObject>('pods', 'default', 'web')?.metadata.annotations?.[PAUSED];

  test('pause --for 90s writes now+90s (RFC 3339, whole seconds) and says what it means', async () => {
    const before = Date.now();
    const r = await cli('probes', 'pause', 'pod/web', '--for', '90s');
    assert.equal(r.code, 0, r.stderr);
    const value = annotation();
    assert.ok(value);
    assert.match(value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const until = Date.parse(value);
    assert.ok(until >= before + 90_000 && until <= Date.now() + 91_000, value);
    assert.equal(r.stdout, `pod/web probes paused until ${value} (liveness and startup do not act)\n`);
  });

  test('pause without --for lasts 30m', async () => {
    const r = await cli('probes', 'pause', 'web');
    assert.equal(r.code, 0, r.stderr);
    const until = Date.parse(annotation() ?? '');
    assert.ok(Math.abs(until - (Date.now() + 30 * 60_000)) < 2_000);
  });

  test('resume removes it; resuming again says it was not paused', async () => {
    let r = await cli('probes', 'resume', 'web');
    assert.equal(r.stdout, 'pod/web probes resumed (liveness and startup act again)\n');
    assert.equal(annotation(), undefined);
    r = await cli('probes', 'resume', 'web');
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'pod/web probes were not paused\n');
  });

  test('errors: a missing pod (the server), a non-pod type and a bad --for (usage)', async () => {
    let r = await cli('probes', 'pause', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(NotFound\): pods "nope" not found/);
    r = await cli('probes', 'pause', 'deploy/web');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /probes pause\/resume act on pods, not deploy/);
    r = await cli('probes', 'pause', 'web', '--for', 'soon');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected a duration such as 10s/);
    r = await cli('probes', 'pause', 'web', '--for', '0s');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--for must be positive/);
  });
});

describe('describe pod: the active knobs under the header', () => {
  const now = Date.UTC(2026, 10, 21, 9, 31, 0);
  const pod: Pod = {
    metadata: {
      name: 'web',
      namespace: 'default',
      annotations: {
        [PAUSED]: '2026-11-21T10:00:00Z',
        'podvisor.io/liveness-action': 'report',
        'podvisor.io/crashloop-backoff': 'initial=1s,max=60s, reset=2m',
        'podvisor.io/probe-events': 'verbose',
      },
    },
    spec: { containers: [{ name: 'app', image: 'x' }] },
  };

  test('one line per knob; none for the defaults', () => {
    assert.deepEqual(podKnobLines(pod, now), [
      'Probes:\tpaused until 2026-11-21T10:00:00Z (29m left): liveness and startup do not act',
      'Liveness action:\treport: a failed liveness probe sets podvisor.io/Healthy=False instead of restarting; startup probe failures still restart',
      'Crash loop back-off:\tinitial=1s, max=60s, reset=2m',
      'Probe events:\tverbose: Unhealthy messages carry (attempt k/N); ProbeRecovered marks a recovery',
    ]);
    assert.deepEqual(podKnobLines({ metadata: { name: 'web' } }, now), []);
    const ended = podKnobLines(pod, Date.UTC(2026, 10, 21, 10, 0, 1));
    assert.ok(!ended.some((l) => l.startsWith('Probes:')), 'an ended pause is not shown');
  });

  test('describePod prints them aligned with the header', () => {
    const text = describePod(pod, undefined, now);
    assert.match(text, /\nProbes: +paused until 2026-11-21T10:00:00Z \(29m left\)/);
    assert.match(text, /\nLiveness action: +report: /);
    assert.match(text, /\nCrash loop back-off: +initial=1s, max=60s, reset=2m\n/);
  });
});
