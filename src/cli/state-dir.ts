import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * The state directory (DESIGN "State directory"): `--state-dir`, else `$PODVISOR_STATE_DIR`, else
 * `$XDG_STATE_HOME/podvisor`, else `~/.local/state/podvisor`. Always returned absolute.
 */
export function resolveStateDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  home: string = homedir(),
): string {
  if (flag) return resolve(flag);
  if (env.PODVISOR_STATE_DIR) return resolve(env.PODVISOR_STATE_DIR);
  if (env.XDG_STATE_HOME) return resolve(env.XDG_STATE_HOME, 'podvisor');
  return resolve(home, '.local', 'state', 'podvisor');
}

/**
 * Creates the directory (and parents) private to the user, whatever the umask; an existing one is
 * made private (0700) too. One that belongs to another user is refused: its owner could read the
 * token and the logs, or swap files under the node (SECURITY.md §3).
 */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(
      `error: cannot create state dir ${dir}: ${(err as Error).message}: pass --state-dir with a directory of your own`,
    );
  }
  // stat, not lstat: a symbolic link to a directory of one's own is fine, its target is checked.
  const info = await stat(dir);
  if (!info.isDirectory()) {
    throw new CliError(
      `error: state dir ${dir} is not a directory: pass --state-dir with a directory of your own`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new CliError(
      `error: state dir ${dir} belongs to uid ${info.uid}, not to you (uid ${uid}): its owner could read the token; ` +
        `pass --state-dir with a directory of your own`,
    );
  }
  if ((info.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/** `<stateDir>/api.json`: how clients find a running node. */
export interface ApiInfo {
  server: string;
  token: string;
  pid: number;
  /** The node's name (for `podvisor kubeconfig`); absent in files of older versions. */
  nodeName?: string;
}

export const API_FILE = 'api.json';
export const LOCK_FILE = 'podvisor.lock';

/** 32 random bytes, hex: the bearer token of one node run. */
export function generateToken(): string {
  return randomBytes(32).toString('hex');
}

export const TOKEN_FILE = 'token';

/**
 * The node's bearer token, kept in `<stateDir>/token` (0600) so that a kubeconfig written by
 * `podvisor kubeconfig` keeps working across restarts of the node.
 */
export async function loadOrCreateToken(dir: string): Promise<string> {
  const file = join(dir, TOKEN_FILE);
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(saved)) {
      await chmod(file, 0o600);
      return saved;
    }
  } catch {
    // none yet
  }
  const token = generateToken();
  const tmp = join(dir, `.${TOKEN_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${token}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return token;
}

/** Written only once the server listens; temp file + rename so a reader never sees half of it. */
export async function writeApiInfo(dir: string, info: ApiInfo): Promise<void> {
  const tmp = join(dir, `.${API_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, API_FILE));
}

export async function removeApiInfo(dir: string): Promise<void> {
  await rm(join(dir, API_FILE), { force: true });
}

export async function readApiInfo(dir: string): Promise<ApiInfo> {
  let text: string;
  try {
    text = await readFile(join(dir, API_FILE), 'utf8');
  } catch {
    throw new CliError(
      `error: no podvisor node is running for state dir ${dir}: start one with 'podvisor up' or pass --server and --token`,
    );
  }
  let info: Partial<ApiInfo>;
  try {
    info = JSON.parse(text) as Partial<ApiInfo>;
  } catch {
    throw new CliError(
      `error: ${join(dir, API_FILE)} is not valid JSON: restart the node with 'podvisor up'`,
    );
  }
  if (typeof info.server !== 'string' || typeof info.token !== 'string') {
    throw new CliError(
      `error: ${join(dir, API_FILE)} lacks "server" or "token": restart the node with 'podvisor up'`,
    );
  }
  if (typeof info.pid === 'number' && !isPodvisorAlive(info.pid)) {
    throw new CliError(
      `error: no podvisor node is running for state dir ${dir} (its api.json was left by pid ${info.pid}, which has exited): ` +
        `start one with 'podvisor up' or pass --server and --token`,
    );
  }
  return { server: info.server, token: info.token, pid: info.pid ?? 0 };
}

/**
 * Whether `pid` is a live process that could be a podvisor. A pid recycled by an unrelated program
 * (checked through /proc where there is one) does not count.
 */
export function isPodvisorAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|podvisor/.test(cmdline);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Lock files this process holds, so a second node in the same process is refused too. */
const heldHere = new Set<string>();

export interface StateLock {
  release(): Promise<void>;
}

/**
 * `<stateDir>/podvisor.lock` holding our pid: one node per state directory. A lock left by a
 * process that is gone is taken over.
 */
export async function acquireLock(dir: string, pid: number = process.pid): Promise<StateLock> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      heldHere.add(path);
      return {
        release: async () => {
          heldHere.delete(path);
          const holder = await readLockPid(path);
          if (holder === pid) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError(
          `error: cannot create ${path}: ${(err as Error).message}: check the permissions of ${dir}`,
        );
      }
    }
    const holder = await readLockPid(path);
    // Our own pid in a lock we do not hold is stale (pids repeat, e.g. in containers).
    const live = holder === pid ? heldHere.has(path) : holder !== undefined && isPodvisorAlive(holder);
    if (live) {
      throw new CliError(
        `error: another podvisor (pid ${holder}) is already running with state dir ${dir}: ` +
          `stop it first, or give this node its own --state-dir (and --listen port)`,
      );
    }
    await rm(path, { force: true });
  }
  throw new CliError(
    `error: could not take the lock ${path}: another podvisor keeps starting with state dir ${dir}`,
  );
}

async function readLockPid(path: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}
