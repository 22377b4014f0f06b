import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * Sockets from /proc, without `ss`: /proc/<pid>/net/tcp{,6} list the TCP sockets of a network
 * namespace, /proc/<pid>/fd links (`socket:[inode]`) say which of them a process holds.
 */
export interface TcpSocket {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  inode: number;
}

/** include/net/tcp_states.h */
const TCP_STATES: readonly string[] = [
  'UNKNOWN',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
];

export const TCP_STATE_NAMES: ReadonlySet<string> = new Set(TCP_STATES.slice(1));

export function tcpStateName(hex: string): string {
  return TCP_STATES[Number.parseInt(hex, 16)] ?? `STATE_${hex}`;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** One 32-bit word as the kernel prints it (%08X of a host-order u32) → its 4 bytes in order. */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const b = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? b.reverse() : b;
}

/**
 * The address of a /proc/net/tcp{,6} field ("0100007F" or 32 hex digits). IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) come out as the IPv4 address, so one host matches both tables.
 */
export function decodeProcAddress(hex: string, littleEndian = LITTLE_ENDIAN): string {
  if (hex.length === 8) return wordBytes(hex, littleEndian).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  return compressIPv6(groups);
}

/** RFC 5952 text: the longest run (≥ 2) of zero groups becomes `::`. */
function compressIPv6(groups: number[]): string {
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** The rows of one /proc/net/tcp or tcp6 text (the header line is skipped). */
export function parseProcNetTcp(text: string, littleEndian = LITTLE_ENDIAN): TcpSocket[] {
  const out: TcpSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = (lines[i] ?? '').trim().split(/\s+/);
    if (f.length < 10) continue;
    const [local = '', remote = ''] = [f[1], f[2]];
    const lc = local.indexOf(':');
    const rc = remote.indexOf(':');
    if (lc < 0 || rc < 0) continue;
    out.push({
      localAddress: decodeProcAddress(local.slice(0, lc), littleEndian),
      localPort: Number.parseInt(local.slice(lc + 1), 16),
      remoteAddress: decodeProcAddress(remote.slice(0, rc), littleEndian),
      remotePort: Number.parseInt(remote.slice(rc + 1), 16),
      state: tcpStateName(f[3] ?? ''),
      inode: Number(f[9]),
    });
  }
  return out;
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The rows of a table that mention `port` as their local or remote port, without parsing the
 * others: a node's namespace may hold thousands of sockets (TIME_WAIT included), and a check
 * runs often. `:PPPP ` (four hex digits, then a space) occurs only in the two address fields.
 */
export function rowsWithPort(
  text: string,
  ports: readonly number[],
  littleEndian = LITTLE_ENDIAN,
): TcpSocket[] {
  const picked = new Set<number>();
  for (const port of ports) {
    const needle = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
      picked.add(text.lastIndexOf('\n', at) + 1);
    }
  }
  if (picked.size === 0) return [];
  let rows = 'header';
  for (const start of picked) {
    const end = text.indexOf('\n', start);
    rows += `\n${text.slice(start, end < 0 ? text.length : end)}`;
  }
  return parseProcNetTcp(rows, littleEndian);
}

/** How a check reads the socket tables. */
export interface TableReadOptions {
  /** Only rows on these ports (local or remote); undefined: every row. */
  ports?: readonly number[];
  /**
   * Reuse a namespace's tables read at most this long ago (0: always read). The kernel builds
   * /proc/net/tcp by walking every socket of the namespace (TIME_WAIT included), which costs
   * milliseconds on a busy node; checks of many containers in one namespace can share a read.
   */
  maxAgeMs?: number;
  /** The clock `maxAgeMs` is measured on (epoch ms). */
  now?: number;
}

interface RawTables {
  v4: string;
  v6: string;
  at: number;
}

/** Recent raw tables by network namespace (its /proc/<pid>/ns/net link), for maxAgeMs > 0. */
const sharedTables = new Map<string, RawTables>();
const SHARED_TABLES_LIMIT = 64;

function rawTables(procDir: string, ns: string | undefined, opts: TableReadOptions): RawTables {
  const maxAge = opts.maxAgeMs ?? 0;
  const now = opts.now ?? Date.now();
  if (ns !== undefined && maxAge > 0) {
    const hit = sharedTables.get(ns);
    if (hit !== undefined && now >= hit.at && now - hit.at <= maxAge) return hit;
  }
  const tables = { v4: readOptional(`${procDir}/net/tcp`), v6: readOptional(`${procDir}/net/tcp6`), at: now };
  if (tables.v4 === '' && tables.v6 === '') {
    throw new Error(`cannot read ${procDir}/net/tcp: this check needs Linux's /proc`);
  }
  if (ns !== undefined && maxAge > 0) {
    sharedTables.delete(ns);
    if (sharedTables.size >= SHARED_TABLES_LIMIT) {
      const oldest = sharedTables.keys().next();
      if (oldest.done !== true) sharedTables.delete(oldest.value);
    }
    sharedTables.set(ns, tables);
  }
  return tables;
}

function rowsOf(tables: RawTables, ports: readonly number[] | undefined): TcpSocket[] {
  if (ports !== undefined) {
    return uniqueRows([...rowsWithPort(tables.v4, ports), ...rowsWithPort(tables.v6, ports)]);
  }
  return uniqueRows([...parseProcNetTcp(tables.v4), ...parseProcNetTcp(tables.v6)]);
}

/**
 * The kernel prints /proc/net/tcp a page at a time, walking a hash table that changes between
 * pages, so one read can show the same socket twice (seen: one ESTABLISHED socket three times).
 * A TCP 4-tuple names one socket in a table; keep its first row.
 */
export function uniqueRows(rows: TcpSocket[]): TcpSocket[] {
  const seen = new Set<string>();
  const out: TcpSocket[] = [];
  for (const r of rows) {
    const key = `${r.localAddress}|${r.localPort}|${r.remoteAddress}|${r.remotePort}|${r.inode}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

function namespaceLink(procDir: string): string | undefined {
  try {
    return readlinkSync(`${procDir}/ns/net`);
  } catch {
    return undefined;
  }
}

/** Both tables of the namespace `procDir` (e.g. /proc/self or /proc/1234) is in. */
export function namespaceSockets(procDir: string, opts: TableReadOptions = {}): TcpSocket[] {
  const ns = (opts.maxAgeMs ?? 0) > 0 ? namespaceLink(procDir) : undefined;
  return rowsOf(rawTables(procDir, ns, opts), opts.ports);
}

/** The socket inodes `pid` holds open; a process that is gone holds none. */
export function socketInodes(pid: number, into: Set<number>): void {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return;
  }
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (link.startsWith('socket:[')) into.add(Number(link.slice(8, -1)));
  }
}

/**
 * The sockets held by `pids`: their namespaces' tables (read once per namespace) filtered by the
 * inodes their fds link to.
 */
export function processSockets(pids: readonly number[], opts: TableReadOptions = {}): TcpSocket[] {
  const inodes = new Set<number>();
  const tables = new Map<string, TcpSocket[]>();
  for (const pid of pids) {
    socketInodes(pid, inodes);
    const ns = namespaceLink(`/proc/${pid}`);
    if (ns === undefined) continue; // gone, or not ours to look at
    if (!tables.has(ns)) tables.set(ns, rowsOf(rawTables(`/proc/${pid}`, ns, opts), opts.ports));
  }
  const out: TcpSocket[] = [];
  for (const table of tables.values()) {
    for (const s of table) if (inodes.has(s.inode)) out.push(s);
  }
  return out;
}

/** `root` and all its descendants, from the ppid field of /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOptional(`/proc/${entry}/stat`);
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [Number(entry)]);
    else list.push(Number(entry));
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}
