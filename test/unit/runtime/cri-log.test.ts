import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { FakeClock, type Clock } from '../../../src/util/clock.js';
import {
  criTimestamp,
  LineAssembler,
  parseCriTimestamp,
  parseRecord,
} from '../../../src/runtime/cri-log-format.js';
import { CriLogWriter } from '../../../src/runtime/cri-log-writer.js';
import { readInstanceLog, type InstanceReadOptions } from '../../../src/runtime/cri-log-reader.js';
import { collect, tempStateDir } from './runtime-helpers.js';

const T0 = Date.UTC(2024, 5, 4, 10, 0, 0, 123);

describe('CRI log format (kubelet /var/log/pods)', () => {
  test('records carry a fixed-width RFC3339Nano timestamp, the stream and the tag', () => {
    assert.equal(criTimestamp(T0), '2024-06-04T10:00:00.123000000Z');
    assert.equal(parseCriTimestamp('2024-06-04T10:00:00.123456789Z'), T0);
    assert.equal(parseCriTimestamp('2024-06-04T10:00:00Z'), T0 - 123);
    assert.deepEqual(parseRecord('2024-06-04T10:00:00.123000000Z stdout F a  b '), {
      timestamp: '2024-06-04T10:00:00.123000000Z',
      stream: 'stdout',
      partial: false,
      content: 'a  b ',
    });
    assert.equal(parseRecord('2024-06-04T10:00:00.123000000Z stderr F')?.content, '');
    assert.equal(parseRecord('garbage'), undefined);
  });

  test('P records are joined per stream until their F record', () => {
    const asm = new LineAssembler();
    assert.equal(asm.push({ timestamp: 't1', stream: 'stdout', partial: true, content: 'ab' }), undefined);
    assert.deepEqual(asm.push({ timestamp: 't2', stream: 'stderr', partial: false, content: 'err' }), {
      timestamp: 't2',
      text: 'err',
    });
    assert.deepEqual(asm.push({ timestamp: 't3', stream: 'stdout', partial: false, content: 'c' }), {
      timestamp: 't1',
      text: 'abc',
    });
    asm.push({ timestamp: 't4', stream: 'stdout', partial: true, content: 'rest' });
    assert.deepEqual(asm.flush(), [{ timestamp: 't4', text: 'rest' }]);
  });
});

describe('CriLogWriter + readInstanceLog', () => {
  let state: ReturnType<typeof tempStateDir>;
  let clock: FakeClock;
  beforeEach(() => {
    state = tempStateDir();
    clock = new FakeClock(T0);
  });
  afterEach(() => state.cleanup());

  function writer(maxBytes = 1 << 20, maxFiles = 5): { w: CriLogWriter; out: PassThrough; err: PassThrough } {
    const w = CriLogWriter.open({ dir: state.dir, attempt: 0, maxBytes, maxFiles, clock });
    const out = new PassThrough();
    const err = new PassThrough();
    w.attach(out, 'stdout');
    w.attach(err, 'stderr');
    return { w, out, err };
  }

  const read = (w: CriLogWriter | undefined, opts: InstanceReadOptions = {}): Promise<string[]> =>
    collect(readInstanceLog({ dir: state.dir, attempt: 0, writer: w }, opts));

  const lines = (from: number, to: number): string[] =>
    Array.from({ length: to - from + 1 }, (_, i) => `line-${String(from + i).padStart(2, '0')}`);

  test('lines over 16 KiB become P records (cut on UTF-8 boundaries) and read back whole', async () => {
    const { w, out, err } = writer();
    const long = 'x' + 'é'.repeat(10_000);
    out.write(long + '\n' + 'y'.repeat(40_000) + '\nno newline at the end');
    out.end();
    err.end();
    await w.whenClosed();
    const tags = readFileSync(w.path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((r) => parseRecord(r))
      .map((r) => `${r?.partial ? 'P' : 'F'}${Buffer.byteLength(r?.content ?? '')}`);
    assert.deepEqual(tags, ['P16383', 'F3618', 'P16384', 'P16384', 'F7232', 'P21']);
    assert.deepEqual(await read(undefined), [long, 'y'.repeat(40_000), 'no newline at the end']);
  });

  test('rotation at maxBytes keeps at most maxFiles files, read oldest to newest', async () => {
    const { w, out, err } = writer(200, 3);
    // 48-byte records: four fit in a 200-byte file.
    for (const l of lines(0, 49)) out.write(`${l}\n`);
    out.end();
    err.end();
    await w.whenClosed();
    assert.deepEqual(readdirSync(state.dir).sort(), ['0.log', '0.log.1', '0.log.2']);
    for (const f of readdirSync(state.dir)) assert.ok(statSync(join(state.dir, f)).size <= 200, f);
    assert.deepEqual(await read(undefined), lines(40, 49));
    assert.deepEqual(await read(undefined, { tailLines: 6 }), lines(44, 49));
    assert.deepEqual(await read(undefined, { tailLines: 100 }), lines(40, 49));
  });

  test('sinceSeconds and timestamps use the record times', async () => {
    const { w, out, err } = writer();
    out.write('early\n');
    await clock.advance(10_000);
    err.write('late\n');
    out.end();
    err.end();
    await w.whenClosed();
    assert.deepEqual(await read(undefined, { sinceMs: clock.now() - 5000 }), ['late']);
    assert.deepEqual(await read(undefined, { sinceMs: clock.now() - 5000, tailLines: 5 }), ['late']);
    assert.deepEqual(await read(undefined, { timestamps: true }), [
      '2024-06-04T10:00:00.123000000Z early',
      '2024-06-04T10:00:10.123000000Z late',
    ]);
  });

  test('follow picks up new output across rotations and ends once the writer has closed', async () => {
    const { w, out, err } = writer(200, 100);
    const written = new Promise<void>((resolve) => {
      const unsubscribe = w.subscribe(() => {
        unsubscribe();
        resolve();
      });
    });
    out.write('line-00\nline-01\n');
    await written;
    const following = collect(
      readInstanceLog({ dir: state.dir, attempt: 0, writer: w }, { follow: true, tailLines: 1 }),
    );
    for (let i = 2; i < 50; i += 4) {
      out.write(lines(i, Math.min(i + 3, 49)).join('\n') + '\n');
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    out.end();
    err.end();
    const seen = await following;
    assert.ok(w.generation >= 10, `rotated ${w.generation} times`);
    // tailLines applies to what was there when following began; everything new follows.
    assert.deepEqual(seen, lines(1, 49));
  });

  test('a chunk is stamped once: its records carry the time lastOutputAt says, even as the clock moves', async () => {
    // A clock that moves 1 ms at every reading, as a loaded machine's can between two calls.
    let t = T0;
    const ticking: Clock = { now: () => t++, setTimer: (ms, fn) => clock.setTimer(ms, fn) };
    const w = CriLogWriter.open({
      dir: state.dir,
      attempt: 0,
      maxBytes: 1 << 20,
      maxFiles: 5,
      clock: ticking,
    });
    const out = new PassThrough();
    w.attach(out, 'stdout');
    const tapped: number[] = [];
    w.tapOutput((_line, at) => tapped.push(at));
    out.write('one\ntwo\nthree\n');
    out.end();
    await w.whenClosed();
    const stamps = readFileSync(w.path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((r) => parseCriTimestamp(parseRecord(r)?.timestamp ?? ''));
    const last = w.lastOutputAt;
    assert.ok(last !== undefined);
    assert.deepEqual(stamps, [last, last, last]);
    assert.deepEqual(tapped, [last, last, last]);
  });

  test('a flood is written in batches and pauses the pipe instead of queueing without bound', async () => {
    const { w, out, err } = writer(64 << 20, 2);
    const chunk = Buffer.from(Array.from({ length: 4096 }, (_, i) => `flood line ${i}`).join('\n') + '\n');
    let paused = false;
    let maxQueued = 0;
    for (let i = 0; i < 100; i++) {
      if (!out.write(chunk)) await once(out, 'drain');
      paused ||= out.isPaused();
      maxQueued = Math.max(maxQueued, w.queuedBytes);
    }
    out.end();
    err.end();
    await w.whenClosed();
    assert.ok(paused, 'the source was paused while the disk caught up');
    assert.ok(maxQueued < 2 * 1024 * 1024, `queued at most ${maxQueued} bytes`);
    const { writes, records } = w.counters;
    assert.equal(records, 409_600);
    assert.ok(writes * 100 < records, `${writes} writes for ${records} records`);
    assert.equal((await read(undefined, { tailLines: 1 }))[0], 'flood line 4095');
  });
});
