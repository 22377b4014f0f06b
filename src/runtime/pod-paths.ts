/**
 * Where a pod's things live, as the kubelet's /var/log/pods layout:
 *   <stateDir>/pods/<namespace>_<name>_<uid>/dir                  the pod's working directory
 *   <stateDir>/pods/<namespace>_<name>_<uid>/sandbox.json         its IP (kept across podvisor restarts)
 *   <stateDir>/pods/<namespace>_<name>_<uid>/<container>/<attempt>.log[.<n>]
 * Names and namespaces are DNS names (no `_`), so the directory name splits unambiguously.
 */
import { readdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Defence in depth (SECURITY.md): the API validates names long before they get here, but a path
 * component that could leave its directory (`..`, `a/b`, NUL) or split the `_` layout is refused
 * here too, before anything touches the file system.
 */
export function assertPathComponent(what: string, value: string, allowUnderscore: boolean): void {
  const bad =
    value === '' ||
    value === '.' ||
    value === '..' ||
    /[/\\\0]/.test(value) ||
    (!allowUnderscore && value.includes('_')) ||
    Buffer.byteLength(value, 'utf8') > 253;
  if (bad) throw new Error(`podvisor: refusing ${what} ${JSON.stringify(value)} as a file name component`);
}

export function podRoot(stateDir: string, namespace: string, name: string, uid: string): string {
  assertPathComponent('namespace', namespace, false);
  assertPathComponent('pod name', name, false);
  assertPathComponent('pod uid', uid, true);
  return join(stateDir, 'pods', `${namespace}_${name}_${uid}`);
}

export function podWorkDir(root: string): string {
  return join(root, 'dir');
}

export function sandboxFile(root: string): string {
  return join(root, 'sandbox.json');
}

export function containerLogDir(root: string, container: string): string {
  assertPathComponent('container name', container, true);
  return join(root, container);
}

/** The live log file of an instance. Rotated files are `<attempt>.log.1` (newest) … `.<n>` (oldest). */
export function logFile(dir: string, attempt: number): string {
  return join(dir, `${attempt}.log`);
}

export function rotatedLogFile(dir: string, attempt: number, index: number): string {
  return join(dir, `${attempt}.log.${index}`);
}

export interface PodLocation {
  root: string;
  namespace: string;
  name: string;
}

/** Finds a pod's directory by uid alone (after a podvisor restart nothing else is known). */
export function findPodRoot(stateDir: string, uid: string): PodLocation | undefined {
  let entries: string[];
  try {
    entries = readdirSync(join(stateDir, 'pods'));
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const [namespace, name, ...rest] = entry.split('_');
    if (namespace && name && rest.join('_') === uid) {
      return { root: join(stateDir, 'pods', entry), namespace, name };
    }
  }
  return undefined;
}

/** Every pod directory under the state directory. */
export function listPodRoots(stateDir: string): string[] {
  try {
    return readdirSync(join(stateDir, 'pods'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(stateDir, 'pods', e.name));
  } catch {
    return [];
  }
}

/** Attempt numbers that have a log in `dir`, ascending. */
export function listAttempts(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const attempts = new Set<number>();
  for (const name of names) {
    const m = /^(\d+)\.log(?:\.\d+)?$/.exec(name);
    if (m?.[1] !== undefined) attempts.add(Number(m[1]));
  }
  return [...attempts].sort((a, b) => a - b);
}

/** Deletes an instance's log files (the current one and every rotated one). */
export async function removeAttemptLogs(dir: string, attempt: number): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^${attempt}\\.log(?:\\.\\d+)?$`);
  await Promise.all(names.filter((n) => pattern.test(n)).map((n) => rm(join(dir, n), { force: true })));
}
