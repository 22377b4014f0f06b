import { readFileSync } from 'node:fs';

/** One process's CPU time and resident memory, as cAdvisor would report them for a container. */
export interface ProcessUsage {
  cpuSeconds: number;
  rssBytes: number;
}

/**
 * /proc reports times in USER_HZ, which the kernel fixes at 100 for user space on every
 * architecture Node runs on (sysconf(_SC_CLK_TCK)); Node has no sysconf to ask.
 */
const USER_HZ = 100;

/** utime+stime+cutime+cstime of /proc/<pid>/stat and VmRSS of /proc/<pid>/status; undefined when gone. */
export function readProcessUsage(pid: number): ProcessUsage | undefined {
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const cpuSeconds = parseStatCpuSeconds(stat);
  if (cpuSeconds === undefined) return undefined;
  return { cpuSeconds, rssBytes: parseStatusRssBytes(status) };
}

/** Fields 14–17 of /proc/<pid>/stat; the comm field (2) may hold spaces and parentheses. */
export function parseStatCpuSeconds(stat: string): number | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  // After ") " comes field 3 (state): field n is at index n - 3.
  const fields = stat.slice(end + 2).split(' ');
  let ticks = 0;
  for (let i = 11; i <= 14; i++) {
    const v = Number(fields[i]);
    if (!Number.isFinite(v)) return undefined;
    ticks += v;
  }
  return ticks / USER_HZ;
}

/** VmRSS (kB) of /proc/<pid>/status in bytes; 0 for a kernel thread or a zombie (no VmRSS line). */
export function parseStatusRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m?.[1] === undefined ? 0 : Number(m[1]) * 1024;
}
