export type { CheckContext, CheckLogSource, CheckResult } from './types.js';
import type { CheckContext, CheckResult } from './types.js';

/**
 * If `argv` (an exec probe's command, already $(VAR)-expanded) is podvisor's own check, the
 * arguments after `check` (e.g. `['log', '--match', 'ORA-', '--fail-on-match']`); else undefined.
 * Recognised forms: `podvisor check …`, `/any/path/podvisor check …`, `podvisor-check …`,
 * `node …/podvisor(.js) check …`, `node …/podvisor-check(.mjs|.js) …`, `npx podvisor check …`.
 * (Contract stub: implemented by the checks engineer.)
 */
export function checkInvocation(argv: readonly string[]): string[] | undefined {
  void argv;
  return undefined;
}

/** A parsed check, or a usage error naming the flag and the fix (exit 2 on the command line). */
export type ParsedCheck = { kind: string; args: readonly string[] } | { error: string };

/** Parses check arguments (`['log', '--match', …]`) without running anything. (Stub.) */
export function parseCheckArgs(args: readonly string[]): ParsedCheck {
  return { kind: args[0] ?? '', args };
}

/** Runs a check. Never throws: a usage error or an internal failure is a failed CheckResult. (Stub.) */
export async function runCheck(args: readonly string[], ctx: CheckContext): Promise<CheckResult> {
  void ctx;
  return { ok: false, reason: `podvisor check ${args.join(' ')}: not implemented yet` };
}
