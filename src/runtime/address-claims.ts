/**
 * Machine-wide claims on pod IPs, so that two podvisor nodes (two state directories, DESIGN
 * "State directory") never hand the same loopback address to two pods. A claim is a file named
 * after the address, created with O_EXCL, holding the owner's pid and process start time; a
 * claim whose owner is gone (a crashed node) is taken over. Start times make a recycled pid
 * harmless: only the very process that claimed an address can hold it.
 */
import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProcStat } from './proc-scan.js';

export interface AddressClaims {
  /** True when this process now holds `ip` (it may already have held it). */
  claim(ip: string): boolean;
  release(ip: string): void;
}

/** The shared default: one directory per machine, in the system's temporary directory. */
export function defaultClaimsDir(): string {
  return join(tmpdir(), 'podvisor-pod-ips');
}

export class FileAddressClaims implements AddressClaims {
  private readonly owner: string;

  constructor(
    private readonly dir: string = defaultClaimsDir(),
    pid: number = process.pid,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o1777 });
    this.owner = ownerTag(pid) ?? `${pid} 0`;
  }

  claim(ip: string): boolean {
    const file = join(this.dir, ip);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o644);
        try {
          writeSync(fd, this.owner);
        } finally {
          closeSync(fd);
        }
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(file);
      if (holder === undefined) continue; // released meanwhile: try again
      if (holder === this.owner) return true;
      // A claim being written (empty) counts as held; only a dead owner's claim is taken over.
      if (holder === '' || isAlive(holder)) return false;
      try {
        unlinkSync(file);
      } catch {
        // Someone else took it over first; the next attempt finds out who.
      }
    }
    return false;
  }

  release(ip: string): void {
    const file = join(this.dir, ip);
    if (readHolder(file) !== this.owner) return;
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}

/** No coordination (tests, or a pool nobody else uses). */
export const UNCLAIMED: AddressClaims = { claim: () => true, release: () => undefined };

function ownerTag(pid: number): string | undefined {
  const stat = readProcStat(pid);
  return stat ? `${pid} ${stat.startTime}` : undefined;
}

function readHolder(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function isAlive(holder: string): boolean {
  const pid = Number(holder.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return ownerTag(pid) === holder;
}
