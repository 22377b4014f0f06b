/** Shared bits of the runtime tests: temp state directories and /proc checks made independently. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import { ProcessRuntime } from '../../../src/runtime/process-runtime.js';
import type { ContainerLaunch, ContainerRuntime, PodSandbox } from '../../../src/runtime/types.js';

export function tempStateDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-runtime-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The pod most runtime tests run their containers in. */
export const TEST_POD = { uid: 'uid-1', namespace: 'default', name: 'web', hostNetwork: false };

export interface RuntimeFixture {
  stateDir: string;
  runtime: ProcessRuntime;
  sandbox: PodSandbox;
}

/**
 * A fresh runtime with TEST_POD's sandbox for every test of the enclosing describe, shut down
 * (and its state directory removed) after each; the fields are set once the test runs.
 */
export function freshRuntimeEach(): RuntimeFixture {
  const fixture = {} as RuntimeFixture;
  let state: ReturnType<typeof tempStateDir> | undefined;
  beforeEach(async () => {
    state = tempStateDir();
    fixture.stateDir = state.dir;
    fixture.runtime = await ProcessRuntime.create({ stateDir: state.dir });
    fixture.sandbox = await fixture.runtime.preparePod(TEST_POD);
  });
  afterEach(async () => {
    await fixture.runtime.shutdown(200);
    state?.cleanup();
  });
  return fixture;
}

/** True while `pid` is a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Field 22 of /proc/<pid>/stat. */
export function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

export function launch(
  podDir: string,
  argv: string[],
  overrides: Partial<ContainerLaunch> = {},
): ContainerLaunch {
  return {
    podUid: 'uid-1',
    namespace: 'default',
    podName: 'web',
    containerName: 'app',
    attempt: 0,
    argv,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    workingDir: podDir,
    ...overrides,
  };
}

/**
 * The first `n` lines of the current instance's log, read with follow (no polling): children
 * report their pids on stdout and the test waits for exactly that output.
 */
export async function firstLines(
  runtime: ContainerRuntime,
  podUid: string,
  container: string,
  n: number,
): Promise<string[]> {
  const abort = new AbortController();
  const out: string[] = [];
  for await (const line of runtime.readLogs(podUid, { container, follow: true, signal: abort.signal })) {
    out.push(line);
    if (out.length === n) break;
  }
  abort.abort();
  return out;
}

export async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}
