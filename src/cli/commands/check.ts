import { performance } from 'node:perf_hooks';
import { apiLogSource, type ApiLogTarget } from '../../probe/checks/api-log-source.js';
import { checkUsage, compileCheck, runCheck, type CheckContext } from '../../probe/checks/index.js';
import type { CommandContext } from '../context.js';
import { EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { readServingCert } from '../serving-cert.js';
import { readApiInfo, resolveStateDir } from '../state-dir.js';

/** The kubelet's default timeoutSeconds; `--timeout` overrides it. */
const DEFAULT_TIMEOUT_MS = 1000;

/**
 * The node's API for `check log|silence --pod`: `--server` + `--token`, else the state dir's
 * node over TLS with its own CA (as `podvisor kubeconfig` points kubectl at it).
 */
async function nodeLogTarget(
  ctx: CommandContext,
  pod: string,
  namespace: string,
  container: string | undefined,
): Promise<ApiLogTarget> {
  const { globals, io } = ctx;
  let target: ApiLogTarget;
  if (globals.server) {
    if (!globals.token) {
      throw usageError(
        'error: --server needs --token for check log: pass both, or neither to use the state dir',
      );
    }
    target = { server: globals.server, token: globals.token, namespace, pod, origin: '--server/--token' };
  } else {
    if (globals.token) {
      throw usageError(
        'error: --token needs --server: pass both, or neither to use the node of the state dir',
      );
    }
    const dir = resolveStateDir(globals.stateDir, io.env);
    const info = await readApiInfo(dir);
    const ca = await readServingCert(dir);
    const origin = `state dir ${dir}`;
    target =
      ca !== undefined && info.server.startsWith('http://')
        ? {
            server: `https://${info.server.slice('http://'.length)}`,
            token: info.token,
            ca,
            namespace,
            pod,
            origin,
          }
        : { server: info.server, token: info.token, namespace, pod, origin };
  }
  if (container !== undefined) target.container = container;
  return target;
}

/**
 * `podvisor check KIND …`: one check run now, with its verdict and latency. http/tcp/grpc/exec
 * and conn run here (conn: `--pid PID`'s process tree, else this network namespace); log and
 * silence read `--pod NAME`'s log through the node's API. `check pod/NAME` runs a pod's own
 * configured probe (check-pod.ts).
 */
export async function runCheckCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { io } = ctx;
  if (/^pods?\/./.test(args[0] ?? '')) {
    const { runCheckPod } = await import('./check-pod.js');
    return runCheckPod(ctx, args);
  }
  const compiled = compileCheck(args);
  if ('error' in compiled) {
    if (args[0] === '-h' || args[0] === '--help') {
      io.stdout.write(checkUsage());
      return EXIT_OK;
    }
    throw usageError(`error: ${compiled.error}`);
  }
  if (compiled.help) {
    io.stdout.write(checkUsage(compiled.kind));
    return EXIT_OK;
  }
  const checkCtx: CheckContext = {
    now: Date.now,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    env: io.env as Record<string, string>,
    cwd: process.cwd(),
  };
  if (compiled.kind === 'log' || compiled.kind === 'silence') {
    const { pod, container } = compiled.target;
    if (pod === undefined) {
      throw usageError(
        `error: check ${compiled.kind} on the command line reads a pod's log through the node: pass --pod NAME [-c CONTAINER] [-n NAMESPACE]`,
      );
    }
    const target = await nodeLogTarget(ctx, pod, compiled.target.namespace ?? 'default', container);
    checkCtx.logs = apiLogSource(target);
  }
  const started = performance.now();
  const result = await runCheck(args, checkCtx);
  const ms = Math.round(performance.now() - started);
  io.stdout.write(`${result.ok ? 'ok' : 'failure'}: ${result.reason} in ${ms} ms\n`);
  return result.ok ? EXIT_OK : EXIT_ERROR;
}
