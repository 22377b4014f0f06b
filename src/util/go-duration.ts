/**
 * Go's time.ParseDuration, as kubectl flags, podvisor check flags and knob annotations use it
 * (`--since 1m30s`, `--window 100s`, `initial=1s`): a sequence of decimal numbers with units ns,
 * us (µs), ms, s, m, h. Returns milliseconds, or undefined when the text is not a duration.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export function parseGoDuration(text: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(text.trim());
  const sign = m?.[1] === '-' ? -1 : 1;
  const body = m?.[2] ?? '';
  if (body === '0') return 0;
  if (body === '') return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const p = part.exec(body);
    if (!p) return undefined;
    total += Number(p[1]) * (UNIT_MS[p[2] ?? ''] ?? Number.NaN);
    at = part.lastIndex;
  }
  return Number.isFinite(total) ? sign * total : undefined;
}
