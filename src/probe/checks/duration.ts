/**
 * Go's time.ParseDuration for check flags (`--window 100s`, `--max 5m`, `--timeout 1s`), so the
 * flags read like the kubelet's and kubectl's. The probe layer cannot import the CLI's copy.
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

/** Milliseconds, or undefined when `text` is not a Go duration. */
export function parseDuration(text: string): number | undefined {
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
