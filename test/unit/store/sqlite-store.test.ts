import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { KubeObject } from '../../../src/api/types.js';
import { EventRetention } from '../../../src/store/event-retention.js';
import { databaseFile, SCHEMA_VERSION, SqliteStore } from '../../../src/store/sqlite-store.js';
import { StoreError, type WatchEvent } from '../../../src/store/types.js';
import { FakeClock, settle } from '../../../src/util/clock.js';

interface TestPod extends KubeObject {
  spec: { containers: { name: string }[] };
  status?: { phase?: string; containerStatuses?: { name: string; restartCount: number }[] };
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'podvisor-sqlite-'));
  dirs.push(d);
  return d;
}

function pod(name: string, labels?: Record<string, string>): TestPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'app' }] },
  };
}

function event(name: string, lastTimestamp: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    lastTimestamp,
  } as KubeObject;
}

describe('SqliteStore', () => {
  test('§persistence: objects, uids, timestamps and resourceVersions survive a reopen', () => {
    const dir = stateDir();
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const a = SqliteStore.open(dir, { clock });
    const web = a.create('pods', pod('web', { app: 'web' }));
    a.create('pods', pod('db'));
    const updated = a.mutate<TestPod>('pods', 'default', 'web', (cur) => ({
      ...cur,
      status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 3 }] },
    }));
    a.delete('pods', 'default', 'db');
    const rvBefore = a.currentResourceVersion();
    a.close();

    const b = SqliteStore.open(dir, { clock });
    const back = b.get<TestPod>('pods', 'default', 'web');
    assert.deepEqual(back, updated);
    assert.equal(back?.metadata.uid, web.metadata.uid);
    assert.equal(b.get('pods', 'default', 'db'), undefined);
    assert.equal(b.currentResourceVersion(), rvBefore, 'the counter includes the deletion');
    assert.deepEqual(
      b.list('pods', { labelSelector: 'app=web' }).items.map((p) => p.metadata.name),
      ['web'],
    );
    b.close();
  });

  test('§persistence: resourceVersion continues after a reopen; no reuse of old versions', () => {
    const dir = stateDir();
    const a = SqliteStore.open(dir);
    a.create('pods', pod('one'));
    a.delete('pods', 'default', 'one');
    const last = Number(a.currentResourceVersion());
    a.close();
    const b = SqliteStore.open(dir);
    const two = b.create('pods', pod('two'));
    assert.equal(Number(two.metadata.resourceVersion), last + 1);
    b.close();
  });

  test('§persistence: same semantics as MemoryStore — conflict, AlreadyExists, no-op updates', () => {
    const dir = stateDir();
    const s = SqliteStore.open(dir);
    const p = s.create('pods', pod('x'));
    assert.throws(
      () => s.create('pods', pod('x')),
      (e: unknown) => e instanceof StoreError && e.code === 409,
    );
    s.update('pods', { ...p, metadata: { ...p.metadata, labels: { v: '2' } } });
    assert.throws(
      () => s.update('pods', { ...p, metadata: { ...p.metadata, labels: { v: '3' } } }),
      (e: unknown) => e instanceof StoreError && e.reason === 'Conflict',
    );
    const rv = s.currentResourceVersion();
    s.mutate('pods', 'default', 'x', (cur) => cur);
    assert.equal(s.currentResourceVersion(), rv, 'an unchanged object is not written');
    s.close();
    const again = SqliteStore.open(dir);
    assert.deepEqual(again.get('pods', 'default', 'x')?.metadata.labels, { v: '2' });
    again.close();
  });

  test('§persistence: watches see the changes, with replay within the window', async () => {
    const s = SqliteStore.open(stateDir());
    const first = s.create('pods', pod('a'));
    const seen: WatchEvent[] = [];
    const w = s.watch('pods', { resourceVersion: first.metadata.resourceVersion }, (ev) => seen.push(ev));
    s.create('pods', pod('b'));
    s.delete('pods', 'default', 'a');
    await settle();
    assert.deepEqual(
      seen.map((e) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED b', 'DELETED a'],
    );
    w.stop();
    s.close();
  });

  test('§persistence: the database is in WAL mode, 0600, with a schema version', () => {
    const dir = stateDir();
    const s = SqliteStore.open(dir);
    s.create('pods', pod('w'));
    const file = databaseFile(dir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(existsSync(`${file}-wal`), 'the write-ahead log exists while open');
    assert.equal(statSync(`${file}-wal`).mode & 0o077, 0, 'the log is not readable by others');
    const peek = new Database(file, { readonly: true });
    assert.equal(peek.pragma('journal_mode', { simple: true }), 'wal');
    const row = peek.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as {
      value: string;
    };
    assert.equal(Number(row.value), SCHEMA_VERSION);
    peek.close();
    s.close();
  });

  test('§persistence: a database from a newer podvisor is refused with a clear error', () => {
    const dir = stateDir();
    SqliteStore.open(dir).close();
    const db = new Database(databaseFile(dir));
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION + 1));
    db.close();
    assert.throws(
      () => SqliteStore.open(dir),
      /schema version 2, but this podvisor understands version 1 at most/,
    );
  });

  test('§persistence: a failed write leaves memory unchanged (memory never runs ahead of disk)', () => {
    const s = SqliteStore.open(stateDir());
    s.create('pods', pod('kept'));
    const rv = s.currentResourceVersion();
    s.close();
    assert.throws(
      () => s.create('pods', pod('lost')),
      (e: unknown) => e instanceof StoreError && e.code === 500,
    );
    assert.equal(s.get('pods', 'default', 'lost'), undefined);
    assert.equal(s.currentResourceVersion(), rv);
  });

  test('§persistence: events are stored; retention deletes them from the database too', async () => {
    const dir = stateDir();
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const s = SqliteStore.open(dir, { clock });
    const retention = new EventRetention(s, clock, { ttlMs: 60_000, maxEvents: 2 });
    for (const n of ['e1', 'e2', 'e3']) s.create('events', event(n, '2026-01-01T00:00:00Z'));
    await settle();
    assert.deepEqual(
      s.list('events').items.map((e) => e.metadata.name),
      ['e2', 'e3'],
      'the cap removed the oldest',
    );
    retention.stop();
    s.close();
    const again = SqliteStore.open(dir, { clock, eventTtlMs: 60_000 });
    assert.deepEqual(
      again.list('events').items.map((e) => e.metadata.name),
      ['e2', 'e3'],
    );
    again.close();
    await clock.advance(61_000);
    const later = SqliteStore.open(dir, { clock, eventTtlMs: 60_000 });
    assert.deepEqual(later.list('events').items, [], 'events past their TTL are dropped on load');
    later.close();
  });

  test('§persistence: status writes at 200 pods stay fast with one transaction per change', () => {
    const s = SqliteStore.open(stateDir());
    for (let i = 0; i < 200; i++) s.create('pods', pod(`p${i}`));
    const writes = 2000;
    const started = performance.now();
    for (let i = 0; i < writes; i++) {
      s.mutate<TestPod>('pods', 'default', `p${i % 200}`, (cur) => ({
        ...cur,
        status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: i }] },
      }));
    }
    const perSecond = writes / ((performance.now() - started) / 1000);
    s.close();
    // 200 pods × a few status changes per second is well under this.
    assert.ok(perSecond > 1000, `only ${Math.round(perSecond)} writes/s`);
  });
});
