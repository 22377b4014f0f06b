/**
 * Pod IPs: one loopback address per pod (DESIGN "Local mapping"). Linux routes all of
 * 127.0.0.0/8 to `lo`, so any address in the pool can be bound and connected to without setup.
 * Allocation is round-robin, like the host-local IPAM plugin, so a freed address is not handed
 * straight to the next pod while clients of the old one may still be connecting.
 */

import { UNCLAIMED, type AddressClaims } from './address-claims.js';

function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`invalid IPv4 address "${text}"`);
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) throw new Error(`invalid IPv4 address "${text}"`);
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

const LOCALHOST = parseIPv4('127.0.0.1');

export class IpPool {
  private readonly first: number;
  private readonly size: number;
  private readonly used = new Set<number>();
  /** Offset of the last allocation; the next search starts after it. */
  private cursor = -1;

  /**
   * `cidr` like `127.77.0.0/16`; must lie within 127.0.0.0/8. `claims` coordinates with other
   * podvisor nodes on the machine: an address another live node holds is skipped.
   */
  constructor(
    cidr: string,
    private readonly claims: AddressClaims = UNCLAIMED,
  ) {
    const [base, bitsText] = cidr.split('/');
    const bits = Number(bitsText);
    if (base === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) {
      throw new Error(`invalid pod IP pool "${cidr}": want a CIDR such as 127.77.0.0/16`);
    }
    this.size = 2 ** (32 - bits);
    this.first = parseIPv4(base) - (parseIPv4(base) % this.size);
    if (Math.floor(this.first / 2 ** 24) !== 127) {
      throw new Error(`invalid pod IP pool "${cidr}": must be inside 127.0.0.0/8 (loopback)`);
    }
  }

  /**
   * Addresses ending in .0 or .255 are skipped (some software treats them as network/broadcast),
   * and 127.0.0.1 is the hostNetwork address.
   */
  private usable(value: number): boolean {
    const last = value % 256;
    return last !== 0 && last !== 255 && value !== LOCALHOST;
  }

  allocate(): string {
    for (let step = 1; step <= this.size; step++) {
      const offset = (this.cursor + step) % this.size;
      const value = this.first + offset;
      if (!this.usable(value) || this.used.has(value)) continue;
      if (!this.claims.claim(formatIPv4(value))) continue;
      this.used.add(value);
      this.cursor = offset;
      return formatIPv4(value);
    }
    throw new Error(`pod IP pool exhausted (${this.used.size} addresses in use)`);
  }

  /** Marks an address taken (a sandbox restored from disk); false if it is outside the pool or taken. */
  reserve(ip: string): boolean {
    let value: number;
    try {
      value = parseIPv4(ip);
    } catch {
      return false;
    }
    if (value < this.first || value >= this.first + this.size || !this.usable(value)) return false;
    if (this.used.has(value)) return false;
    if (!this.claims.claim(ip)) return false;
    this.used.add(value);
    return true;
  }

  release(ip: string): void {
    try {
      if (this.used.delete(parseIPv4(ip))) this.claims.release(ip);
    } catch {
      // not one of ours
    }
  }
}
