import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCheck, type CheckContext, type CheckLogSource } from '../../../../src/probe/checks/index.js';

const NOW = 1_700_000_000_000;

/** A container's output at fixed times; records what the check asked for. */
class FakeLogs implements CheckLogSource {
  asked: number[] = [];
  constructor(
    private readonly lines: { at: number; text: string }[],
    private readonly started?: number,
  ) {}
  async linesSince(sinceMs: number): Promise<string[]> {
    this.asked.push(sinceMs);
    return this.lines.filter((l) => l.at >= sinceMs).map((l) => l.text);
  }
  async lastOutputAt(): Promise<number | undefined> {
    return this.lines.at(-1)?.at;
  }
  async startedAt(): Promise<number | undefined> {
    return this.started;
  }
}

function ctxWith(logs: CheckLogSource | undefined): CheckContext {
  return { now: () => NOW, timeoutMs: 1000, ...(logs ? { logs } : {}) };
}

const ORA = 'ORA-12518: TNS:listener could not hand off client connection';

describe('check log', () => {
  const logs = new FakeLogs([
    { at: NOW - 300_000, text: 'ORA-12541: TNS:no listener (too old for the window)' },
    { at: NOW - 90_000, text: 'connected' },
    { at: NOW - 60_000, text: 'ORA-12519: TNS:no appropriate service handler found' },
    { at: NOW - 30_000, text: 'ORA-12520: TNS:listener could not find available handler' },
    { at: NOW - 1000, text: ORA },
  ]);

  test('fails on match by default, naming the count and quoting the latest matching line', async () => {
    const result = await runCheck(['log', '--match', 'ORA-125\\d\\d'], ctxWith(logs));
    assert.deepEqual(result, {
      ok: false,
      reason: `log matched /ORA-125\\d\\d/ 3 times in the last 1m40s: "${ORA}"`,
    });
    assert.equal(logs.asked.at(-1), NOW - 100_000, 'the default window is 100s');
  });

  test('--window bounds what is read', async () => {
    const result = await runCheck(['log', '--match', 'ORA-125\\d\\d', '--window', '10s'], ctxWith(logs));
    assert.equal(result.reason, `log matched /ORA-125\\d\\d/ 1 time in the last 10s: "${ORA}"`);
    assert.equal(logs.asked.at(-1), NOW - 10_000);
  });

  test('no match is success with --fail-on-match, failure with --require-match', async () => {
    assert.deepEqual(await runCheck(['log', '--match', 'FATAL', '--fail-on-match'], ctxWith(logs)), {
      ok: true,
      reason: 'no line matched /FATAL/ in the last 1m40s',
    });
    assert.deepEqual(
      await runCheck(['log', '--match', 'heartbeat', '--window', '30s', '--require-match'], ctxWith(logs)),
      {
        ok: false,
        reason: 'no line matched /heartbeat/ in the last 30s',
      },
    );
    const seen = await runCheck(['log', '--match', '^connected$', '--require-match'], ctxWith(logs));
    assert.deepEqual(seen, {
      ok: true,
      reason: 'log matched /^connected$/ 1 time in the last 1m40s: "connected"',
    });
  });

  test('a leading (?i) ignores case, as in Go', async () => {
    const result = await runCheck(
      ['log', '--match', '(?i)tns:LISTENER could', '--window', '5s'],
      ctxWith(logs),
    );
    assert.equal(result.ok, false);
  });

  test('the quoted line is cut to 200 characters and the reason stays one line', async () => {
    const long = `ERR ${'x'.repeat(500)}`;
    const tricky = new FakeLogs([
      { at: NOW, text: long },
      { at: NOW, text: 'ERR two\r\nlines' },
    ]);
    const result = await runCheck(['log', '--match', '^ERR'], ctxWith(tricky));
    assert.equal(result.reason, 'log matched /^ERR/ 2 times in the last 1m40s: "ERR two\\r\\nlines"');
    const cut = await runCheck(['log', '--match', '^ERR x'], ctxWith(tricky));
    assert.equal(cut.reason, `log matched /^ERR x/ 1 time in the last 1m40s: "${long.slice(0, 200)}…"`);
  });

  test('without a log source it fails naming where it can run', async () => {
    const result = await runCheck(['log', '--match', 'x'], ctxWith(undefined));
    assert.equal(result.ok, false);
    assert.match(result.reason, /no container log to read here: run it as a podvisor exec probe/);
  });

  test('a log source that fails or hangs gives a failed result, never a throw', async () => {
    const broken: CheckLogSource = {
      linesSince: () => Promise.reject(new Error('pod default/x not found (404)')),
      lastOutputAt: () => new Promise(() => undefined),
      startedAt: async () => undefined,
    };
    assert.deepEqual(await runCheck(['log', '--match', 'x'], ctxWith(broken)), {
      ok: false,
      reason: 'check log: pod default/x not found (404)',
    });
    const hung = await runCheck(['silence', '--max', '1m', '--timeout', '50ms'], ctxWith(broken));
    assert.deepEqual(hung, {
      ok: false,
      reason: "check silence: reading the container's log took longer than 50ms",
    });
  });

  test('a regex is compiled once: 10 000 runs with the same argv stay fast', async () => {
    const ctx = ctxWith(logs);
    const args = ['log', '--match', 'ORA-125\\d\\d', '--window', '100s'];
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) await runCheck(args, ctx);
    const perRun = (performance.now() - started) / 10_000;
    assert.ok(perRun < 0.5, `one in-process log check took ${perRun.toFixed(3)} ms`);
  });
});

describe('check silence', () => {
  test('fails when the last output is older than --max, naming how long', async () => {
    const quiet = new FakeLogs([{ at: NOW - 302_000, text: 'last words' }], NOW - 3_600_000);
    assert.deepEqual(await runCheck(['silence', '--max', '5m'], ctxWith(quiet)), {
      ok: false,
      reason: 'no output for 5m2s (max 5m)',
    });
  });

  test('succeeds while output is recent enough', async () => {
    const chatty = new FakeLogs([{ at: NOW - 3_000, text: 'tick' }], NOW - 3_600_000);
    assert.deepEqual(await runCheck(['silence', '--max', '5m'], ctxWith(chatty)), {
      ok: true,
      reason: 'last output 3s ago (max 5m)',
    });
  });

  test('a container that never printed is counted from its start', async () => {
    const mute = new FakeLogs([], NOW - 61_000);
    assert.deepEqual(await runCheck(['silence', '--max', '1m'], ctxWith(mute)), {
      ok: false,
      reason: 'no output for 1m1s since the container started (max 1m)',
    });
    const young = new FakeLogs([], NOW - 10_000);
    assert.deepEqual(await runCheck(['silence', '--max', '1m'], ctxWith(young)), {
      ok: true,
      reason: 'no output yet, 10s since the container started (max 1m)',
    });
  });
});
