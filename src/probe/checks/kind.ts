import type { FlagDef, ParsedFlags } from './flags.js';
import type { CheckContext, CheckResult } from './types.js';

export type CheckKind = 'log' | 'silence' | 'conn' | 'http' | 'tcp' | 'grpc' | 'exec';

/** Where a check looks, from the flags meant for the command line (`--pod`, `-c`, `-n`, `--pid`). */
export interface CheckTarget {
  pod?: string;
  container?: string;
  namespace?: string;
  /** `check conn --pid PID`: that process tree's sockets. */
  pid?: number;
}

/** Runs one compiled check; `timeoutMs` is `--timeout` or the context's. Never rejects. */
export type CheckRunner = (ctx: CheckContext, timeoutMs: number) => Promise<CheckResult>;

/** One check kind: its flags, its help and how its flags become a runner (once per argv). */
export interface CheckKindDef {
  kind: CheckKind;
  /** One line: what the check does. */
  summary: string;
  /** The synopsis and flag lines of `--help`. */
  usage: string;
  flags: readonly FlagDef[];
  /** exec: the first positional starts the command. */
  stopAtPositional?: boolean;
  /** Throws UsageError naming the flag and the fix. */
  compile(flags: ParsedFlags): CheckRunner;
}

export const ok = (reason: string): CheckResult => ({ ok: true, reason });
export const fail = (reason: string): CheckResult => ({ ok: false, reason });

/** One line of at most `max` characters: a reason becomes an event message. */
export function oneLine(text: string, max = 1000): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Runs `body` with a deadline: the signal passed in aborts at the deadline or when the caller's
 * signal does. Resolves to `onTimeout()` if the body has not settled by then.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  body: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => T,
): Promise<T> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  outer?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(
      () => {
        ac.abort();
        resolve(onTimeout());
      },
      Math.max(0, timeoutMs),
    );
  });
  try {
    return await Promise.race([body(ac.signal), deadline]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
