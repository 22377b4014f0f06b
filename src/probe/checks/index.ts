export type { CheckContext, CheckLogSource, CheckResult } from './types.js';
export type { CheckKind, CheckTarget } from './kind.js';
export { parseProcNetTcp, processTree, type TcpSocket } from './proc-net.js';
import { CONN_CHECK } from './conn-check.js';
import {
  durationFlag,
  flagValue,
  hasFlag,
  integerFlag,
  parseFlags,
  UsageError,
  type FlagDef,
} from './flags.js';
import { fail, type CheckKind, type CheckKindDef, type CheckRunner, type CheckTarget } from './kind.js';
import { LOG_CHECK, SILENCE_CHECK } from './log-checks.js';
import { processTree } from './proc-net.js';
import { EXEC_CHECK, GRPC_CHECK, HTTP_CHECK, TCP_CHECK } from './probe-checks.js';
import type { CheckContext, CheckResult } from './types.js';

const KINDS: readonly CheckKindDef[] = [
  LOG_CHECK,
  SILENCE_CHECK,
  CONN_CHECK,
  HTTP_CHECK,
  TCP_CHECK,
  GRPC_CHECK,
  EXEC_CHECK,
];
const BY_KIND = new Map<string, CheckKindDef>(KINDS.map((k) => [k.kind, k]));

/** The check kinds, in the order `--help` lists them. */
export const CHECK_KINDS: readonly CheckKind[] = KINDS.map((k) => k.kind);

const COMMON_FLAGS: readonly FlagDef[] = [
  { names: ['--timeout'], value: true, example: '1s' },
  { names: ['-h', '--help'], value: false },
];
/** Where log and silence read on the command line and in a cluster (the API's pod log). */
const LOG_TARGET_FLAGS: readonly FlagDef[] = [
  { names: ['--pod'], value: true, example: 'my-pod' },
  { names: ['-c', '--container'], value: true, example: 'app' },
  { names: ['-n', '--namespace'], value: true, example: 'default' },
];
const FLAGS_OF = new Map<string, readonly FlagDef[]>(
  KINDS.map((k) => [
    k.kind,
    [...k.flags, ...COMMON_FLAGS, ...(k.kind === 'log' || k.kind === 'silence' ? LOG_TARGET_FLAGS : [])],
  ]),
);

/** A check whose flags have been read once: what `runCheck` runs for the same argv again. */
export interface CompiledCheck {
  kind: CheckKind;
  /** `-h/--help` was given: print `checkUsage(kind)` instead of running. */
  help: boolean;
  /** `--timeout`, if given. */
  timeoutMs?: number;
  target: CheckTarget;
  run: CheckRunner;
}

const EXEC_NAMES = /^(?:node|nodejs|node\d+)$/;

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The stand-alone file also takes `check KIND` (as when copied into an image as `podvisor`). */
function afterOptionalCheck(argv: readonly string[], from: number): string[] {
  return argv.slice(argv[from] === 'check' ? from + 1 : from);
}

/**
 * If `argv` (an exec probe's command, already $(VAR)-expanded) is podvisor's own check, the
 * arguments after `check` (e.g. `['log', '--match', 'ORA-', '--fail-on-match']`); else undefined.
 * Recognised forms: `podvisor check …`, `/any/path/podvisor check …`, `podvisor-check …`,
 * `node …/podvisor(.js) check …`, `node …/podvisor-check(.mjs|.js) …`, `npx podvisor check …`.
 */
export function checkInvocation(argv: readonly string[]): string[] | undefined {
  const first = baseName(argv[0] ?? '');
  if (first === 'podvisor') return argv[1] === 'check' ? argv.slice(2) : undefined;
  if (/^podvisor-check(?:\.m?js)?$/.test(first)) return afterOptionalCheck(argv, 1);
  if (EXEC_NAMES.test(first)) {
    const script = baseName(argv[1] ?? '');
    if (/^podvisor(?:\.m?js)?$/.test(script)) return argv[2] === 'check' ? argv.slice(3) : undefined;
    if (/^podvisor-check(?:\.m?js)?$/.test(script)) return afterOptionalCheck(argv, 2);
    return undefined;
  }
  if (first === 'npx' && argv[1] === 'podvisor' && argv[2] === 'check') return argv.slice(3);
  return undefined;
}

function compileUncached(args: readonly string[]): CompiledCheck | { error: string } {
  const kind = args[0];
  if (kind === undefined || kind === '' || kind === '-h' || kind === '--help') {
    return {
      error: `check: say which check to run: one of ${CHECK_KINDS.join(', ')} (see 'podvisor check --help')`,
    };
  }
  const def = BY_KIND.get(kind);
  if (def === undefined) {
    return {
      error: `check: unknown kind ${JSON.stringify(kind)}: use one of ${CHECK_KINDS.join(', ')} (see 'podvisor check --help')`,
    };
  }
  try {
    const flags = parseFlags(kind, args.slice(1), FLAGS_OF.get(kind) ?? [], def.stopAtPositional);
    const target: CheckTarget = {};
    const pod = flagValue(flags, '--pod');
    const container = flagValue(flags, '--container');
    const namespace = flagValue(flags, '--namespace');
    const pid = integerFlag(kind, flags, '--pid', 1, 2 ** 22);
    if (pod !== undefined) target.pod = pod.replace(/^pods?\//, '');
    if (container !== undefined) target.container = container;
    if (namespace !== undefined) target.namespace = namespace;
    if (pid !== undefined) target.pid = pid;
    const compiled: CompiledCheck = {
      kind: def.kind,
      help: hasFlag(flags, '--help'),
      target,
      run: compiledRunner(def, flags),
    };
    const timeoutMs = durationFlag(kind, flags, '--timeout', undefined);
    if (timeoutMs !== undefined) {
      if (timeoutMs <= 0)
        throw new UsageError(`check ${kind}: --timeout must be longer than 0s: e.g. --timeout 1s`);
      compiled.timeoutMs = timeoutMs;
    }
    return compiled;
  } catch (err) {
    if (err instanceof UsageError) return { error: err.message };
    throw err;
  }
}

/** With --help the flags need not make a whole check: usage is printed instead of running. */
function compiledRunner(def: CheckKindDef, flags: Parameters<CheckKindDef['compile']>[0]): CheckRunner {
  if (!hasFlag(flags, '--help')) return def.compile(flags);
  return async () =>
    fail(`check ${def.kind}: --help prints usage on the command line: remove it from the probe`);
}

/** Parsed checks by argv: in-process a check may run 100+ times a second with the same argv. */
const cache = new Map<string, CompiledCheck | { error: string }>();
/** Bounded; least recently used goes first (a node may run many pods with distinct argvs). */
const CACHE_LIMIT = 1024;

/**
 * The check `args` describe, compiled once (regexes built, flags read) and cached by argv; or a
 * usage error naming the flag and the fix.
 */
export function compileCheck(args: readonly string[]): CompiledCheck | { error: string } {
  const key = args.join('\u0000');
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Re-inserted so the Map's order is least recently used first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const compiled = compileUncached(args);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, compiled);
  return compiled;
}

/** A parsed check, or a usage error naming the flag and the fix (exit 2 on the command line). */
export type ParsedCheck = { kind: string; args: readonly string[] } | { error: string };

/** Parses check arguments (`['log', '--match', …]`) without running anything. */
export function parseCheckArgs(args: readonly string[]): ParsedCheck {
  const compiled = compileCheck(args);
  if ('error' in compiled) return { error: compiled.error };
  return { kind: compiled.kind, args };
}

/** `podvisor check --help` (no kind) or one kind's usage. */
export function checkUsage(kind?: string): string {
  const def = kind === undefined ? undefined : BY_KIND.get(kind);
  if (def !== undefined) return `${def.summary}\n\nusage: ${def.usage}\n`;
  const width = Math.max(...CHECK_KINDS.map((k) => k.length));
  const lines = KINDS.map((k) => `  ${k.kind.padEnd(width)}  ${k.summary}`);
  return (
    'usage: podvisor check KIND [flags]   (exit 0: success, 1: failure, 2: usage error)\n' +
    '       podvisor check pod/NAME [-c C] [--probe liveness|readiness|startup]\n\n' +
    `kinds:\n${lines.join('\n')}\n\n` +
    "In an exec probe, podvisor runs its own check in-process. 'podvisor check KIND --help' for a kind's flags.\n"
  );
}

function targetMismatch(kind: string, c: CompiledCheck, ctx: CheckContext): string | undefined {
  const t = c.target;
  const differs = (given: string | undefined, own: string | undefined): boolean =>
    given !== undefined && own !== undefined && given !== own;
  if (
    differs(t.pod, ctx.podName) ||
    differs(t.container, ctx.containerName) ||
    differs(t.namespace, ctx.namespace)
  ) {
    return `check ${kind}: --pod/-c/-n name another container than the probe's own (${ctx.namespace ?? '?'}/${ctx.podName ?? '?'} ${ctx.containerName ?? '?'}): a probe checks its own log, so drop them`;
  }
  return undefined;
}

/** Runs a check. Never throws: a usage error or an internal failure is a failed CheckResult. */
export async function runCheck(args: readonly string[], ctx: CheckContext): Promise<CheckResult> {
  let compiled: CompiledCheck | { error: string };
  try {
    compiled = compileCheck(args);
  } catch (err) {
    return fail(`check: ${err instanceof Error ? err.message : String(err)}`);
  }
  if ('error' in compiled) return fail(compiled.error);
  const { kind } = compiled;
  let runCtx = ctx;
  if (compiled.target.pid !== undefined) {
    if (ctx.pids !== undefined) {
      return fail(
        `check ${kind}: --pid is for the command line: a podvisor probe counts its own container's sockets, so drop it`,
      );
    }
    const root = compiled.target.pid;
    runCtx = { ...ctx, pids: () => processTree(root) };
  }
  const mismatch = targetMismatch(kind, compiled, ctx);
  if (mismatch !== undefined) return fail(mismatch);
  try {
    return await compiled.run(runCtx, compiled.timeoutMs ?? ctx.timeoutMs);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return fail(`check ${kind}: ${message.replace(/\s*\n\s*/g, ' ')}`);
  }
}
