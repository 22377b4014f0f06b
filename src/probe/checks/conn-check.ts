import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatGoDuration } from '../../util/duration.js';
import { joinHostPort } from '../go-text.js';
import { flagValue, integerFlag, UsageError, type ParsedFlags } from './flags.js';
import { fail, ok, withDeadline, type CheckKindDef, type CheckRunner } from './kind.js';
import { namespaceSockets, processSockets, TCP_STATE_NAMES, type TcpSocket } from './proc-net.js';

/**
 * An IP in the form decodeProcAddress produces: IPv6 in RFC 5952 text (as WHATWG URL prints it),
 * IPv4-mapped IPv6 as the IPv4 address.
 */
export function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped === null) return canonical;
  const hi = Number.parseInt(mapped[1] ?? '0', 16);
  const lo = Number.parseInt(mapped[2] ?? '0', 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

interface ConnSpec {
  remotePort?: number;
  localPort?: number;
  remoteHost?: string;
  state: string;
  min: number;
}

/** "to 127.0.0.1:1521", "to port 1521", "on local port 8080", "to port 1521 from local port 5000". */
function describeTarget(spec: ConnSpec): string {
  const parts: string[] = [];
  if (spec.remoteHost !== undefined) {
    parts.push(
      spec.remotePort === undefined
        ? `to ${spec.remoteHost}`
        : `to ${joinHostPort(spec.remoteHost, spec.remotePort)}`,
    );
  } else if (spec.remotePort !== undefined) {
    parts.push(`to port ${spec.remotePort}`);
  }
  if (spec.localPort !== undefined)
    parts.push(`${parts.length > 0 ? 'from' : 'on'} local port ${spec.localPort}`);
  return parts.join(' ');
}

function compileConn(flags: ParsedFlags): CheckRunner {
  const spec: ConnSpec = {
    state: (flagValue(flags, '--state') ?? 'ESTABLISHED').toUpperCase(),
    min: integerFlag('conn', flags, '--min', 0, 1_000_000, 1) ?? 1,
  };
  const remotePort = integerFlag('conn', flags, '--remote-port', 1, 65535);
  const localPort = integerFlag('conn', flags, '--local-port', 1, 65535);
  if (remotePort !== undefined) spec.remotePort = remotePort;
  if (localPort !== undefined) spec.localPort = localPort;
  const host = flagValue(flags, '--remote-host');
  if (host !== undefined) {
    if (host === '') throw new UsageError('check conn: --remote-host is empty: give an IP or a host name');
    spec.remoteHost = host.replace(/^\[(.*)\]$/, '$1');
  }
  if (remotePort === undefined && localPort === undefined && host === undefined) {
    throw new UsageError('check conn: say which connections to count: e.g. --remote-port 1521');
  }
  if (spec.state !== 'ANY' && !TCP_STATE_NAMES.has(spec.state)) {
    throw new UsageError(
      `check conn: --state ${JSON.stringify(spec.state)} is not a TCP state: use one of ${[...TCP_STATE_NAMES].join(', ')} or ANY`,
    );
  }
  if (flags.positionals.length > 0) {
    throw new UsageError(
      `check conn: unexpected argument ${JSON.stringify(flags.positionals[0])}: give the port as --remote-port PORT`,
    );
  }
  const target = describeTarget(spec);
  const wanted = [spec.remotePort, spec.localPort].filter((p): p is number => p !== undefined);
  const ports = wanted.length > 0 ? wanted : undefined;
  // Host names are resolved once per compiled check (the cache keeps it), not per run.
  let addresses: Promise<Set<string>> | undefined;
  const resolveHost = (name: string): Promise<Set<string>> => {
    if (isIP(name) !== 0) return Promise.resolve(new Set([normalizeIp(name)]));
    addresses ??= lookup(name, { all: true }).then(
      (list) => new Set(list.map((a) => normalizeIp(a.address))),
      (err: Error) => {
        addresses = undefined; // a name that did not resolve is tried again next time
        throw new Error(`cannot resolve --remote-host ${name}: ${err.message}: give its IP address instead`);
      },
    );
    return addresses;
  };
  const samePeer = (s: TcpSocket, hosts: Set<string> | undefined): boolean =>
    (spec.remotePort === undefined || s.remotePort === spec.remotePort) &&
    (spec.localPort === undefined || s.localPort === spec.localPort) &&
    (hosts === undefined || hosts.has(s.remoteAddress));

  return async (ctx, timeoutMs) => {
    let hosts: Set<string> | undefined;
    if (spec.remoteHost !== undefined) {
      const name = spec.remoteHost;
      const resolved = await withDeadline(
        timeoutMs,
        ctx.signal,
        async () => resolveHost(name),
        () => undefined,
      );
      if (resolved === undefined) {
        return fail(`check conn: resolving ${name} took longer than ${formatGoDuration(timeoutMs)}`);
      }
      hosts = resolved;
    }
    const read = { ports, maxAgeMs: ctx.socketTableMaxAgeMs ?? 0, now: ctx.now() };
    const sockets =
      ctx.pids === undefined ? namespaceSockets('/proc/self', read) : processSockets(ctx.pids(), read);
    let count = 0;
    const others = new Map<string, number>();
    for (const s of sockets) {
      if (!samePeer(s, hosts)) continue;
      if (spec.state === 'ANY' || s.state === spec.state) count++;
      else others.set(s.state, (others.get(s.state) ?? 0) + 1);
    }
    const noun = spec.state === 'LISTEN' || spec.state === 'ANY' ? 'socket' : 'connection';
    const state = spec.state === 'ANY' ? '' : `${spec.state} `;
    let reason = `${count} ${state}${noun}${count === 1 ? '' : 's'} ${target}`;
    const good = count >= spec.min;
    if (!good) reason += ` (need at least ${spec.min})`;
    if (others.size > 0) {
      reason += `; ${[...others].map(([name, n]) => `${n} ${name}`).join(', ')}`;
    }
    return good ? ok(reason) : fail(reason);
  };
}

export const CONN_CHECK: CheckKindDef = {
  kind: 'conn',
  summary: "fails when the container's process tree holds too few TCP connections of a kind",
  usage: `podvisor check conn --remote-port 1521 [--remote-host H] [--state ESTABLISHED] [--min 1] [--local-port P]
  --remote-port PORT   count connections to this port
  --remote-host HOST   … on this host (an IP; a name is resolved once)
  --local-port PORT    count sockets on this local port (e.g. --state LISTEN)
  --state STATE        ESTABLISHED (default), SYN_SENT, LISTEN, TIME_WAIT, CLOSE_WAIT, … or ANY
  --min N              fail below N sockets (default 1)
  --pid PID            command line: that process tree's sockets (default: the network namespace's)
  --timeout DURATION   give up after this long`,
  flags: [
    { names: ['--remote-port'], value: true, example: '1521' },
    { names: ['--remote-host'], value: true, example: '10.0.0.5' },
    { names: ['--local-port'], value: true, example: '8080' },
    { names: ['--state'], value: true, example: 'ESTABLISHED' },
    { names: ['--min'], value: true, example: '1' },
    { names: ['--pid'], value: true, example: '1234' },
  ],
  compile: compileConn,
};
