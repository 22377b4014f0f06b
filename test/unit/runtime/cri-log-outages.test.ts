import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { FakeClock } from '../../../src/util/clock.js';
import { CriLogWriter, type LogWriteProblem } from '../../../src/runtime/cri-log-writer.js';
import { RecordQueue } from '../../../src/runtime/cri-log-queue.js';
import { readInstanceLog } from '../../../src/runtime/cri-log-reader.js';
import { tempStateDir } from './runtime-helpers.js';

const T0 = Date.UTC(2024, 5, 4, 10, 0, 0, 123);
/** `<30-byte stamp> stdout F line-NN\n`: every record of these tests is 48 bytes. */
const RECORD_BYTES = 48;
const SKIPPED =
  /^podvisor: skipped (\d+) bytes \((\d+) log records\) of this container's output: the log was rotated away/;

const lineNo = (line: string): number => Number(/^line-(\d+)$/.exec(line)?.[1] ?? Number.NaN);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('log outages: a follower that falls behind rotation, a disk that refuses writes', () => {
  let state: ReturnType<typeof tempStateDir>;
  let clock: FakeClock;
  beforeEach(() => {
    state = tempStateDir();
    clock = new FakeClock(T0);
  });
  afterEach(() => state.cleanup());

  test('logs -f that falls behind says exactly how many bytes and records rotation took from it', async () => {
    // 200-byte files (4 records each), 3 kept: the follower can lag at most ~12 records.
    const w = CriLogWriter.open({ dir: state.dir, attempt: 0, maxBytes: 200, maxFiles: 3, clock });
    const out = new PassThrough();
    w.attach(out, 'stdout');
    out.write('line-00\n');
    await new Promise<void>((resolve) => {
      const off = w.subscribe(() => (off(), resolve()));
    });
    const follower = readInstanceLog({ dir: state.dir, attempt: 0, writer: w }, { follow: true });
    const seen: string[] = [];
    const first = await follower.next();
    seen.push(String(first.value));
    // The follower is not pulled while 60 more lines go through ~15 rotations.
    for (let i = 1; i < 60; i++) {
      out.write(`line-${String(i).padStart(2, '0')}\n`);
      await tick();
    }
    out.end();
    await w.whenClosed();
    for await (const line of follower) seen.push(line);

    assert.equal(seen[0], 'line-00');
    assert.equal(seen.at(-1), 'line-59');
    let expected = 0;
    let skips = 0;
    for (const line of seen) {
      const skip = SKIPPED.exec(line);
      if (skip) {
        skips++;
        const records = Number(skip[2]);
        assert.equal(Number(skip[1]), records * RECORD_BYTES, line);
        expected += records;
        continue;
      }
      assert.equal(lineNo(line), expected, `after ${seen.slice(0, 5).join(',')}…: ${line}`);
      expected++;
    }
    assert.equal(expected, 60, 'every line is either shown or counted as skipped');
    assert.ok(skips >= 1, `the follower fell behind and said so: ${seen.join(' | ')}`);
  });

  test('a follower that keeps up never sees a skip line', async () => {
    const w = CriLogWriter.open({ dir: state.dir, attempt: 0, maxBytes: 200, maxFiles: 2, clock });
    const out = new PassThrough();
    w.attach(out, 'stdout');
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of readInstanceLog({ dir: state.dir, attempt: 0, writer: w }, { follow: true }))
        seen.push(line);
    })();
    for (let i = 0; i < 40; i++) {
      out.write(`line-${String(i).padStart(2, '0')}\n`);
      // Wait until the follower has this line: it keeps up by construction.
      while (seen.length <= i) await tick();
    }
    out.end();
    await following;
    assert.deepEqual(
      seen.map(lineNo),
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  test('a disk that refuses writes drops output, reports it once and never blocks the container', async () => {
    // /dev/full answers every write with ENOSPC, as a full file system does.
    symlinkSync('/dev/full', join(state.dir, '0.log'));
    const problems: LogWriteProblem[] = [];
    const w = CriLogWriter.open({
      dir: state.dir,
      attempt: 0,
      maxBytes: 1 << 20,
      maxFiles: 5,
      clock,
      onProblem: (p) => problems.push(p),
    });
    const out = new PassThrough();
    w.attach(out, 'stdout');
    const chunk = Buffer.from('x'.repeat(99) + '\n');
    // 4 MiB, four times the writer's high-water mark: dropped output must not pile up.
    for (let i = 0; i < 40_000; i++) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    out.end();
    await w.whenClosed();
    assert.equal(problems.length, 1, 'one report per outage, not one per write');
    assert.equal(problems[0]?.kind, 'failed');
    assert.match(String(problems[0]?.kind === 'failed' ? problems[0].error.message : ''), /ENOSPC/);
    assert.equal((w.lastError as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC');
    assert.equal(w.queuedBytes, 0);
  });
});

describe('RecordQueue: whole records, cut at newlines', () => {
  test('a batch never splits a record, and a record larger than the room goes alone', () => {
    const q = new RecordQueue();
    for (const text of ['aaaa', 'bb', 'cccccccccc']) q.stage('H ', Buffer.from(text));
    assert.equal(q.commit(), 3);
    assert.equal(q.bytes, 7 + 5 + 13);
    assert.deepEqual(
      { ...q.take(10), batch: undefined },
      { batch: undefined, bytes: 7, records: 1 },
      'the second record would not fit',
    );
    assert.equal(q.take(12).batch.toString(), 'H bb\n');
    const big = q.take(4);
    assert.equal(big.batch.toString(), 'H cccccccccc\n', 'larger than the room: alone');
    assert.ok(q.empty, 'nothing of it stays queued');
    assert.equal(q.firstRecordBytes(), 0);
    q.stage('H ', Buffer.from('x'));
    q.commit();
    assert.deepEqual(q.clear(), { bytes: 4, records: 1 });
  });
});
