/**
 * Issue 8 item 2: `podvisor up` in a terminal shows a live table of pods and the latest events
 * on the alternate screen and gives the terminal back on Ctrl-C; `--plain` keeps the event
 * stream; `podvisor top --once` prints the same frame of a running node through its API.
 * The terminal is a real pseudo-terminal (util-linux `script`), Ctrl-C a real ^C typed into it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isPodRunningReady, markedPod, newMarker, shCommand, uniqueName } from '../helpers/e2e-pods.js';
import { BIN, killProcessesWithMarker, REPO_ROOT, startNode } from '../helpers/podvisor-node.js';

const MARKER = newMarker('terminal-view');
const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';
const ERASE_LINE = '\x1b[K';
const ERASE_BELOW = '\x1b[J';
const dirs: string[] = [];

after(async () => {
  killProcessesWithMarker(MARKER);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The last complete frame drawn (from cursor-home to erase-below), or ''. */
function lastFrame(out: string): string {
  const end = out.lastIndexOf(ERASE_BELOW);
  return end < 0 ? '' : out.slice(out.lastIndexOf('\x1b[H', end), end);
}

interface TerminalRun {
  output(): string;
  /** Resolves once the output satisfies `ok`; rejects with the output so far after `timeoutMs`. */
  waitFor(ok: (out: string) => boolean, timeoutMs: number, what: string): Promise<string>;
  /** Types into the terminal (e.g. "\x03", Ctrl-C). */
  type(keys: string): void;
  exited: Promise<number | null>;
}

/** `podvisor up` on a 100×30 pseudo-terminal, with one pod from a manifest file. */
async function upInTerminal(podName: string, flags: string[]): Promise<TerminalRun> {
  // The marker in the state dir's path: a run left behind is found by its command line.
  const dir = await mkdtemp(join(tmpdir(), `podvisor-e2e-${MARKER}-`));
  dirs.push(dir);
  const manifest = join(dir, 'pod.json');
  const pod = markedPod(podName, MARKER, {
    containers: [{ name: 'app', image: 'app', command: shCommand('exec sleep 600', MARKER) }],
  });
  await writeFile(manifest, JSON.stringify(pod));
  return inTerminal([
    'up',
    '--state-dir',
    join(dir, 'state'),
    '--listen',
    '127.0.0.1:0',
    '-f',
    manifest,
    ...flags,
  ]);
}

/** `podvisor ARGS` on a 100×30 pseudo-terminal (the arguments hold no spaces or quotes). */
function inTerminal(args: string[]): TerminalRun {
  const cmd = `stty cols 100 rows 30; exec ${[process.execPath, BIN, ...args].join(' ')}`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.PODVISOR_STATE_DIR;
  const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: REPO_ROOT, env, stdio: 'pipe' });
  let out = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    for (const l of listeners) l();
  });
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    output: () => out,
    type: (keys) => child.stdin.write(keys),
    exited,
    waitFor: (ok, timeoutMs, what) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!ok(out)) return;
          cleanup();
          resolve(out);
        };
        const timer = setTimeout(() => {
          cleanup();
          child.kill('SIGKILL');
          reject(new Error(`timed out waiting for ${what}; output:\n${JSON.stringify(out.slice(-3000))}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}

describe('e2e: terminal view', { timeout: 120_000 }, () => {
  test('`up` in a terminal: the live table on the alternate screen, the terminal restored on Ctrl-C', async () => {
    const name = uniqueName('tv-web');
    const run = await upInTerminal(name, []);
    const row = new RegExp(`${name}\\s+1/1\\s+Running\\s+0\\s+\\d+s`);
    const started = new RegExp(`Normal\\s+Started\\s+pod/${name}\\s+Started container app`);
    // One complete frame with the pod Running and its event.
    await run.waitFor(
      (out) => out.includes(ENTER_ALT) && row.test(lastFrame(out)) && started.test(lastFrame(out)),
      40_000,
      'the pod Running and Started in one frame',
    );
    const table = run.output();
    assert.match(table, /serving the Kubernetes API on http:\/\/127\.0\.0\.1:\d+/);
    const frame = lastFrame(table);
    assert.ok(frame.startsWith('\x1b[Hpodvisor node "'), frame.slice(0, 80));
    assert.match(frame, /podvisor node "[^"]+" · API http:\/\/127\.0\.0\.1:\d+ · 1 pod: 1 ready, 0 restarts/);
    assert.match(frame, /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    assert.match(frame, /AGE\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    // No line of the frame is wider than the 100-column terminal.
    for (const line of frame.split(`${ERASE_LINE}\r\n`)) {
      const text = line.split(ERASE_LINE).join('').split(ERASE_BELOW).join('').replace('\x1b[H', '');
      assert.ok([...text].length <= 100, JSON.stringify(text));
    }

    run.type('\x03');
    const out = await run.waitFor((o) => o.includes('podvisor stopped'), 40_000, 'the node to stop');
    assert.equal(await run.exited, 0);
    const restored = out.lastIndexOf(`${SHOW_CURSOR}${LEAVE_ALT}`);
    assert.ok(restored > out.lastIndexOf('\x1b[H'), 'the normal screen comes back after the last frame');
    assert.ok(
      out.indexOf('Stopping podvisor node') > restored,
      'the shutdown lines print on the normal screen',
    );
    assert.equal(out.slice(restored).includes(ENTER_ALT), false, 'nothing is drawn after the restore');
  });

  test('`up --plain` in a terminal keeps the plain event stream (no alternate screen)', async () => {
    const name = uniqueName('tv-plain');
    const run = await upInTerminal(name, ['--plain']);
    await run.waitFor(
      (out) => out.includes(`Started container app`),
      40_000,
      'the Started event in the stream',
    );
    run.type('\x03');
    const out = await run.waitFor((o) => o.includes('podvisor stopped'), 40_000, 'the node to stop');
    assert.equal(await run.exited, 0);
    assert.equal(out.includes(ENTER_ALT), false);
    assert.match(out, new RegExp(`pod/${name}`));
  });

  test('`top --once` prints one frame through the API; live `top` in a terminal draws a deletion and restores on ^C; no terminal: says how', async () => {
    const node = await startNode();
    try {
      const name = uniqueName('tv-top');
      await node.createPod(
        markedPod(name, MARKER, {
          containers: [{ name: 'app', image: 'app', command: shCommand('exec sleep 600', MARKER) }],
        }),
      );
      await node.waitForPod(name, isPodRunningReady, 30_000);
      await node.waitForEvent(`involvedObject.name=${name},reason=Started`, () => true, 30_000);
      const once = await node.runCli(['top', '--once']);
      assert.equal(once.code, 0, once.stderr);
      const lines = once.stdout.trimEnd().split('\n');
      assert.match(
        lines[0] ?? '',
        new RegExp(`^podvisor node "[^"]+" · API ${node.server} · 1 pod: 1 ready, 0 restarts$`),
      );
      assert.match(once.stdout, new RegExp(`\\n${name}\\s+1/1\\s+Running\\s+0\\s+\\d+s\\n`));
      assert.match(once.stdout, new RegExp(`Normal\\s+Started\\s+pod/${name}\\s+Started container app`));
      assert.equal(once.stdout.includes('\x1b'), false, 'no terminal control sequences into a pipe');

      const piped = await node.runCli(['top']);
      assert.equal(piped.code, 2);
      assert.match(piped.stderr, /needs a terminal: pass --once/);

      // In a terminal: the live view through list + watch, a change drawn, the terminal back on ^C.
      const live = inTerminal(['top', '--state-dir', node.stateDir]);
      const row = (status: string): RegExp => new RegExp(`${name}\\s+\\d/1\\s+${status}\\s`);
      await live.waitFor((o) => o.includes(ENTER_ALT) && row('Running').test(o), 30_000, 'the pod in top');
      await node.deletePod(name, { gracePeriodSeconds: 30 });
      await live.waitFor(
        (o) => {
          const frame = lastFrame(o);
          return (
            frame.includes('· 0 pods:') && frame.includes('No pods yet.') && /Killing\s+pod\//.test(frame)
          );
        },
        30_000,
        'the deletion drawn by top',
      );
      live.type('\x03');
      assert.equal(await live.exited, 0);
      const out = live.output();
      assert.ok(
        out.lastIndexOf(`${SHOW_CURSOR}${LEAVE_ALT}`) > out.lastIndexOf('\x1b[H'),
        'terminal restored',
      );
    } finally {
      await node.stop();
    }
  });
});
