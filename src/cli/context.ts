import { ApiClient } from './client.js';
import { usageError } from './errors.js';
import type { CliIO } from './io.js';
import { readApiInfo, resolveStateDir } from './state-dir.js';

/** Options every client command accepts (registered on the root program). */
export interface GlobalOptions {
  server?: string;
  token?: string;
  stateDir?: string;
}

export interface NamespaceOptions {
  namespace?: string;
  allNamespaces?: boolean;
}

/** What a command needs from its surroundings. */
export interface CommandContext {
  io: CliIO;
  globals: GlobalOptions;
}

/**
 * Finds the node (DESIGN "Command line"): `--server` + `--token`, else the api.json of the state
 * directory.
 */
export async function connect(ctx: CommandContext, warn?: (text: string) => void): Promise<ApiClient> {
  const { globals, io } = ctx;
  const onWarning =
    warn ??
    ((text: string): void => {
      io.stderr.write(`Warning: ${text}\n`);
    });
  if (globals.server) {
    return new ApiClient({ server: globals.server, token: globals.token, origin: '--server' }, onWarning);
  }
  if (globals.token) {
    throw usageError('error: --token needs --server: pass both, or neither to use the node of the state dir');
  }
  const dir = resolveStateDir(globals.stateDir, io.env);
  const info = await readApiInfo(dir);
  return new ApiClient({ server: info.server, token: info.token, origin: `state dir ${dir}` }, onWarning);
}

/** `-n NS` (default "default"), or undefined for `-A`. */
export function namespaceOf(opts: NamespaceOptions): string | undefined {
  if (opts.allNamespaces) return undefined;
  return opts.namespace || 'default';
}

/**
 * Runs `body` with an AbortSignal that fires on the first SIGINT/SIGTERM, so watches and log
 * follows end cleanly instead of the process being killed mid-write.
 */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(ac.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
