import { parseGoDuration } from '../../util/go-duration.js';

/**
 * The flag grammar of every check: `--name value`, `--name=value`, `-x value`, boolean switches,
 * repeatable flags, positionals, and `--` after which everything is positional (exec's command).
 * Errors are one line naming the flag and the fix: they become a probe's Unhealthy message.
 */
export interface FlagDef {
  /** Spellings, e.g. ['-c', '--container']; the last one names the flag in messages. */
  names: readonly string[];
  /** Whether the flag takes a value (else it is a switch). */
  value: boolean;
  /** Whether the flag may be given more than once (values are collected in order). */
  repeat?: boolean;
  /** An example value, used in "needs a value" errors. */
  example?: string;
}

export interface ParsedFlags {
  /** Values by the flag's last name (switches map to ['true']). */
  values: Map<string, string[]>;
  positionals: string[];
  /** Whether `--` was given (exec: what follows is the command even when it starts with `-`). */
  dashDash: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The canonical name of a flag: its last (long) spelling. */
export function flagName(def: FlagDef): string {
  return def.names[def.names.length - 1] ?? '';
}

/**
 * Splits `args` by `defs`. With `stopAtPositional`, the first positional ends flag parsing
 * (exec's `exec CMD --its-own-flag`).
 */
export function parseFlags(
  kind: string,
  args: readonly string[],
  defs: readonly FlagDef[],
  stopAtPositional = false,
): ParsedFlags {
  const out: ParsedFlags = { values: new Map(), positionals: [], dashDash: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      out.dashDash = true;
      out.positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      out.positionals.push(arg);
      if (stopAtPositional) {
        out.positionals.push(...args.slice(i + 1));
        break;
      }
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const spelled = eq > 0 ? arg.slice(0, eq) : arg;
    const def = defs.find((d) => d.names.includes(spelled));
    if (def === undefined) {
      throw new UsageError(
        `check ${kind}: unknown flag ${spelled}: see 'podvisor check ${kind} --help' for its flags`,
      );
    }
    const name = flagName(def);
    let value = 'true';
    if (def.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        const next = args[i + 1];
        if (next === undefined) {
          const eg = def.example === undefined ? '' : `, e.g. ${name} ${def.example}`;
          throw new UsageError(`check ${kind}: ${name} needs a value${eg}`);
        }
        value = next;
        i++;
      }
    } else if (eq > 0) {
      throw new UsageError(`check ${kind}: ${name} takes no value: write ${name} alone`);
    }
    const seen = out.values.get(name);
    if (seen !== undefined && def.repeat !== true) {
      throw new UsageError(`check ${kind}: ${name} is given twice: give it once`);
    }
    if (seen === undefined) out.values.set(name, [value]);
    else seen.push(value);
  }
  return out;
}

export function flagValue(flags: ParsedFlags, name: string): string | undefined {
  return flags.values.get(name)?.[0];
}

export function hasFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values.has(name);
}

/** A non-negative Go duration flag in ms, or `fallback` when absent. */
export function durationFlag(
  kind: string,
  flags: ParsedFlags,
  name: string,
  fallback: number | undefined,
): number | undefined {
  const text = flagValue(flags, name);
  if (text === undefined) return fallback;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 0) {
    throw new UsageError(
      `check ${kind}: ${name} ${JSON.stringify(text)} is not a duration: write e.g. ${name} 30s, 1m30s or 500ms`,
    );
  }
  return ms;
}

/** A whole number flag within [min, max], or `fallback` when absent. */
export function integerFlag(
  kind: string,
  flags: ParsedFlags,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  const text = flagValue(flags, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(
      `check ${kind}: ${name} ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * A user regular expression. JavaScript syntax, which covers the RE2 patterns people write in
 * probes; Go's leading `(?i)` (and `(?s)`, `(?m)`) flag groups are turned into RegExp flags.
 */
export function regexFlag(kind: string, name: string, source: string): RegExp {
  let pattern = source;
  let reFlags = '';
  const lead = /^\(\?([ims]+)\)/.exec(pattern);
  if (lead) {
    reFlags = [...new Set(lead[1])].join('');
    pattern = pattern.slice(lead[0].length);
  }
  try {
    return new RegExp(pattern, reFlags);
  } catch (err) {
    throw new UsageError(
      `check ${kind}: ${name} ${JSON.stringify(source)} is not a valid regular expression (${(err as Error).message}): fix the pattern`,
    );
  }
}

/** `/pattern/` as the reasons print a regex (with the user's text, not the translated one). */
export function showRegex(source: string): string {
  return `/${source}/`;
}
