/** Shared bits of the runtime tests: temp state directories and /proc checks made independently. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerLaunch, ContainerRuntime } from '../../../src/runtime/types.js';

export function tempStateDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-runtime-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
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
