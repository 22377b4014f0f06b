import { goQuote } from './go-text.js';

export interface NamedContainerPort {
  name?: string;
  containerPort: number;
}

export type ResolvedPort = { port: number } | { error: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The kubelet's ResolveContainerPort (spec §3.0): a number is used as is; a string is looked up
 * by port name, then parsed as an integer ("maybe it was an int stored as string"), and the
 * result must lie in 1..65535. Failures are probe *errors* (§2.6), with Go's texts.
 */
export function resolvePort(
  port: number | string,
  containerPorts: readonly NamedContainerPort[],
): ResolvedPort {
  let resolved: number | bigint;
  if (typeof port === 'number') {
    resolved = port;
  } else {
    const named = containerPorts.find((p) => p.name === port);
    if (named !== undefined) {
      resolved = named.containerPort;
    } else {
      const parsed = goAtoi(port);
      if ('error' in parsed) return parsed;
      resolved = parsed.value;
    }
  }
  if (typeof resolved === 'bigint') {
    // Keep all 64 bits for the message: Go prints the int it parsed.
    if (resolved > 0n && resolved < 65536n) return { port: Number(resolved) };
  } else if (Number.isInteger(resolved) && resolved > 0 && resolved < 65536) {
    return { port: resolved };
  }
  return { error: `invalid port number: ${resolved}` };
}

/** Go's strconv.Atoi: optional sign, decimal digits only, 64-bit range. */
function goAtoi(s: string): { value: bigint } | { error: string } {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    return { error: `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax` };
  }
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX) {
    return { error: `strconv.Atoi: parsing ${goQuote(s)}: value out of range` };
  }
  return { value: big };
}
