import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { CommandContext } from '../context.js';
import { EXIT_OK, usageError } from '../errors.js';
import { readApiInfo, resolveStateDir } from '../state-dir.js';

export interface DashboardOptions {
  /** Also open the URL in the desktop's browser (xdg-open). */
  open?: boolean;
}

/**
 * The dashboard's address with the token in the URL fragment: a browser never sends the fragment
 * to a server (so it is in no request line, log or Referer); the page moves it to sessionStorage
 * and sends it only in the Authorization header.
 */
export function dashboardUrl(server: string, token: string): string {
  const base = new URL(server);
  base.pathname = '/dashboard/';
  base.search = '';
  base.hash = `token=${encodeURIComponent(token)}`;
  return base.toString();
}

/** `--server` + `--token`, else the running node of the state directory (its api.json). */
async function findTarget(ctx: CommandContext): Promise<{ server: string; token: string }> {
  const { globals, io } = ctx;
  if (globals.server || globals.token) {
    if (!globals.server || !globals.token)
      throw usageError(
        'error: --server and --token go together: pass both, or neither to use the node of the state dir',
      );
    return { server: globals.server, token: globals.token };
  }
  const info = await readApiInfo(resolveStateDir(globals.stateDir, io.env));
  return { server: info.server, token: info.token };
}

async function onPath(program: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** `podvisor dashboard [--open]`: prints the dashboard's URL (and opens it with --open). */
export async function runDashboard(ctx: CommandContext, opts: DashboardOptions): Promise<number> {
  const target = await findTarget(ctx);
  let url: string;
  try {
    url = dashboardUrl(target.server, target.token);
  } catch {
    throw usageError(
      `error: --server ${JSON.stringify(target.server)} is not a URL: pass e.g. http://127.0.0.1:6443`,
    );
  }
  ctx.io.stdout.write(`${url}\n`);
  ctx.io.stderr.write(
    'The token is in the #fragment, which the browser keeps to itself: it never reaches the server or its logs. Treat the URL as a password.\n',
  );
  if (opts.open) {
    const opener = await onPath('xdg-open', ctx.io.env);
    if (!opener) {
      ctx.io.stderr.write(
        'Warning: --open needs xdg-open, which is not on PATH: open the URL above yourself\n',
      );
      return EXIT_OK;
    }
    // An argv and no shell, because the URL holds the token and `&`, `#`.
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', (err) => ctx.io.stderr.write(`Warning: xdg-open failed: ${err.message}\n`));
    child.unref();
  }
  return EXIT_OK;
}
