/**
 * Finding what a podvisor node left running. Test pods put a marker in every container's env
 * (inherited by every child, even through `exec` and `setsid`), and often in argv too, so a scan
 * of /proc after a shutdown finds anything that outlived it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live processes whose command line or environment contains `marker`. */
export function findProcessesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (procFileContains(pid, 'cmdline', marker) || procFileContains(pid, 'environ', marker)) found.push(pid);
  }
  return found;
}

function procFileContains(pid: number, file: string, marker: string): boolean {
  try {
    // A zombie has an empty cmdline and environ, so it never matches: it is not running.
    return readFileSync(`/proc/${pid}/${file}`, 'latin1').includes(marker);
  } catch {
    return false; // gone, or not ours to read
  }
}

/** Cleanup after a failed test: SIGKILL, by pid, the marked processes a broken node left behind. */
export function killProcessesWithMarker(marker: string): number[] {
  const pids = findProcessesWithMarker(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

/** `pid: argv` for failure messages. */
export function describeProcess(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim()}`;
  } catch {
    return `${pid}: (gone)`;
  }
}

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ, 100 on every Linux ABI Node runs on). */
const USER_HZ = 100;

/**
 * CPU time (user + system) a process has used so far, in ms, at 10 ms resolution. What a budget
 * on a process's own work should be checked against: on a loaded machine wall time mostly
 * measures the other processes.
 */
export function cpuTimeMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15; fields[0] is field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}
