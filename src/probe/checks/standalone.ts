/**
 * `podvisor-check KIND …`: the checks as one file for plain `node` (bundled by esbuild into
 * dist/podvisor-check.mjs), for an exec probe inside a cluster container where no podvisor runs.
 * `check log`/`check silence` read the pod's log through the API with the service account;
 * `check conn` counts the sockets of the container's network namespace. Prints the one-line
 * reason on stdout and exits 0 (success), 1 (failure) or 2 (usage error).
 */
import { apiLogSource, serviceAccountTarget } from './api-log-source.js';
import { checkUsage, compileCheck, runCheck } from './index.js';
import type { CheckContext, CheckLogSource } from './types.js';

/** The kubelet's default timeoutSeconds; `--timeout` overrides it. */
const DEFAULT_TIMEOUT_MS = 1000;

/** Reads the service account only when a log is first asked for, so `conn` etc. never need one. */
function lazyApiLogs(env: NodeJS.ProcessEnv, args: readonly string[]): CheckLogSource {
  let source: Promise<CheckLogSource> | undefined;
  const get = (): Promise<CheckLogSource> => {
    if (source === undefined) {
      const compiled = compileCheck(args);
      const target = 'error' in compiled ? {} : compiled.target;
      source = serviceAccountTarget(env, target).then((t) => apiLogSource(t));
    }
    return source;
  };
  return {
    linesSince: async (sinceMs, signal) => (await get()).linesSince(sinceMs, signal),
    lastOutputAt: async (signal) => (await get()).lastOutputAt(signal),
    startedAt: async (signal) => (await get()).startedAt(signal),
  };
}

export async function standaloneMain(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const compiled = compileCheck(args);
  if ('error' in compiled) {
    const wantsHelp = args.length === 0 || args[0] === '-h' || args[0] === '--help';
    if (wantsHelp) {
      process.stdout.write(checkUsage().replace(/podvisor check/g, 'podvisor-check'));
      return args.length === 0 ? 2 : 0;
    }
    process.stdout.write(`${compiled.error}\n`);
    return 2;
  }
  if (compiled.help) {
    process.stdout.write(checkUsage(compiled.kind).replace(/podvisor check/g, 'podvisor-check'));
    return 0;
  }
  const ctx: CheckContext = {
    now: Date.now,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    env: env as Record<string, string>,
    cwd: process.cwd(),
  };
  if (compiled.kind === 'log' || compiled.kind === 'silence') ctx.logs = lazyApiLogs(env, args);
  if (env.POD_IP) ctx.podIP = env.POD_IP;
  const result = await runCheck(args, ctx);
  process.stdout.write(`${result.reason}\n`);
  return result.ok ? 0 : 1;
}

// Exit at once: a lingering handle (a gRPC channel, a keep-alive socket) must not hold the probe open.
// Copied into an image as `podvisor`, it is called as `podvisor check KIND …`: the same check.
const argv = process.argv.slice(2);
process.exit(await standaloneMain(argv[0] === 'check' ? argv.slice(1) : argv, process.env));
