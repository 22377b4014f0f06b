import { goQuote } from '../../util/goquote.js';
import { formatGoDuration } from '../../util/duration.js';
import {
  durationFlag,
  flagValue,
  hasFlag,
  regexFlag,
  showRegex,
  UsageError,
  type ParsedFlags,
} from './flags.js';
import { fail, ok, oneLine, withDeadline, type CheckKindDef, type CheckRunner } from './kind.js';
import type { CheckContext, CheckLogSource, CheckResult } from './types.js';

/** How much of the latest matching line a reason quotes. */
const QUOTED_LINE_MAX = 200;
const DEFAULT_WINDOW_MS = 100_000;

function noLogs(kind: string): CheckResult {
  return fail(
    `check ${kind}: no container log to read here: run it as a podvisor exec probe, inside a pod (service account), or with --pod NAME`,
  );
}

/** The seconds-rounded Go spelling of a span ("5m2s"), as people read elapsed time. */
function span(ms: number): string {
  return formatGoDuration(ms >= 1000 ? Math.floor(ms / 1000) * 1000 : Math.max(0, Math.round(ms)));
}

function quoteLine(line: string): string {
  const cut = line.length > QUOTED_LINE_MAX ? `${line.slice(0, QUOTED_LINE_MAX)}…` : line;
  return goQuote(cut);
}

async function readWithin(
  kind: string,
  ctx: CheckContext,
  timeoutMs: number,
  read: (logs: CheckLogSource, signal: AbortSignal) => Promise<CheckResult>,
): Promise<CheckResult> {
  const logs = ctx.logs;
  if (logs === undefined) return noLogs(kind);
  return withDeadline(
    timeoutMs,
    ctx.signal,
    (signal) => read(logs, signal),
    () => fail(`check ${kind}: reading the container's log took longer than ${formatGoDuration(timeoutMs)}`),
  );
}

function compileLog(flags: ParsedFlags): CheckRunner {
  const source = flagValue(flags, '--match');
  if (source === undefined) {
    throw new UsageError(`check log: --match is required: e.g. --match 'ORA-125\\d\\d'`);
  }
  if (source === '') throw new UsageError('check log: --match is empty: give a pattern to look for');
  const regex = regexFlag('log', '--match', source);
  const windowMs = durationFlag('log', flags, '--window', DEFAULT_WINDOW_MS) ?? DEFAULT_WINDOW_MS;
  if (windowMs <= 0) throw new UsageError('check log: --window must be longer than 0s: e.g. --window 100s');
  const requireMatch = hasFlag(flags, '--require-match');
  if (requireMatch && hasFlag(flags, '--fail-on-match')) {
    throw new UsageError('check log: --fail-on-match and --require-match exclude each other: give one');
  }
  if (flags.positionals.length > 0) {
    throw new UsageError(
      `check log: unexpected argument ${JSON.stringify(flags.positionals[0])}: the pattern goes after --match`,
    );
  }
  const shown = showRegex(source);
  const within = `in the last ${formatGoDuration(windowMs)}`;
  return (ctx, timeoutMs) =>
    readWithin('log', ctx, timeoutMs, async (logs, signal) => {
      const lines = await logs.linesSince(ctx.now() - windowMs, signal);
      let count = 0;
      let latest = '';
      for (const line of lines) {
        if (regex.test(line)) {
          count++;
          latest = line;
        }
      }
      if (count === 0) {
        const reason = `no line matched ${shown} ${within}`;
        return requireMatch ? fail(reason) : ok(reason);
      }
      const times = count === 1 ? '1 time' : `${count} times`;
      const reason = oneLine(`log matched ${shown} ${times} ${within}: ${quoteLine(latest)}`);
      return requireMatch ? ok(reason) : fail(reason);
    });
}

function compileSilence(flags: ParsedFlags): CheckRunner {
  const maxText = flagValue(flags, '--max');
  if (maxText === undefined) throw new UsageError('check silence: --max is required: e.g. --max 5m');
  const maxMs = durationFlag('silence', flags, '--max', undefined) ?? 0;
  if (maxMs <= 0) throw new UsageError('check silence: --max must be longer than 0s: e.g. --max 5m');
  if (flags.positionals.length > 0) {
    throw new UsageError(
      `check silence: unexpected argument ${JSON.stringify(flags.positionals[0])}: give the limit as --max DURATION`,
    );
  }
  const limit = `(max ${maxText})`;
  return (ctx, timeoutMs) =>
    readWithin('silence', ctx, timeoutMs, async (logs, signal) => {
      const last = await logs.lastOutputAt(signal);
      const now = ctx.now();
      if (last !== undefined) {
        const quiet = now - last;
        return quiet > maxMs
          ? fail(`no output for ${span(quiet)} ${limit}`)
          : ok(`last output ${span(quiet)} ago ${limit}`);
      }
      const started = await logs.startedAt(signal);
      if (started === undefined) {
        return ok(`no output yet and the start time is unknown, so no silence is counted ${limit}`);
      }
      const quiet = now - started;
      const text = `${span(quiet)} since the container started ${limit}`;
      return quiet > maxMs ? fail(`no output for ${text}`) : ok(`no output yet, ${text}`);
    });
}

const COMMON_HINT = `  --timeout DURATION   give up after this long (default: the probe's timeoutSeconds, 1s on the command line)
  --pod NAME, -c NAME, -n NS   whose log (command line and cluster; default $POD_NAME/$HOSTNAME, $CONTAINER_NAME)`;

export const LOG_CHECK: CheckKindDef = {
  kind: 'log',
  summary: "fails when the container's recent output matches a pattern (or, with --require-match, lacks it)",
  usage: `podvisor check log --match REGEX [--window 100s] [--fail-on-match|--require-match]
  --match REGEX        the pattern (JavaScript/RE2 syntax; a leading (?i) ignores case)
  --window DURATION    how far back to look (default 100s)
  --fail-on-match      fail when a line matches (the default)
  --require-match      fail when no line matches
${COMMON_HINT}`,
  flags: [
    { names: ['--match'], value: true, example: "'ORA-125\\d\\d'" },
    { names: ['--window'], value: true, example: '100s' },
    { names: ['--fail-on-match'], value: false },
    { names: ['--require-match'], value: false },
  ],
  compile: compileLog,
};

export const SILENCE_CHECK: CheckKindDef = {
  kind: 'silence',
  summary: 'fails when the container has printed nothing for too long',
  usage: `podvisor check silence --max 5m
  --max DURATION       the longest quiet spell allowed, counted from the last output (or the start)
${COMMON_HINT}`,
  flags: [{ names: ['--max'], value: true, example: '5m' }],
  compile: compileSilence,
};
