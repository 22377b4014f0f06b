import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * How probe sockets are closed, so that probes at a high rate do not pile up TIME_WAIT sockets
 * and run out of ephemeral ports (kubernetes issue 89898).
 *
 * The kubelet (≥1.27, PR 115143) dials every tcp/http/grpc probe with SO_LINGER {on, 1 s}
 * (pkg/probe/dialer_others.go ProbeDialer), meant to "reduce the TIME-WAIT period to 1 second".
 * On Linux a non-zero linger still closes with a FIN, and the side that closes first still waits
 * the full 60 s in TIME_WAIT (measured on Linux 6.18: 200 of 200 connections closed with
 * SO_LINGER {1, 1} were still in TIME_WAIT 2 s later; see bench S4'); only an abortive close
 * (SO_LINGER 0, an RST: Node's `resetAndDestroy`) leaves nothing behind. Node cannot set any
 * other linger, so:
 * - HTTP: once the verdict is in, the connection is reset. The server has sent its whole answer
 *   (or the probe gave up on it), HTTP servers take a reset after a `Connection: close` exchange
 *   in their stride, and the kubelet resets too when it leaves body bytes unread (10 KiB limit).
 *   HTTPS closes with a FIN: Node has no reset for a TLS socket.
 * - TCP: closed with a FIN, as the kubelet does: the application sees an orderly end (a reset
 *   makes a bare `net.createServer` without an 'error' listener crash on ECONNRESET). Only when
 *   FIN-closed probes to one ip:port within 60 s would hold a quarter of the ephemeral port range
 *   (over ~117 probes/s to one address) are further probes to it reset, as the port budget is then
 *   worth more than the courtesy.
 */

/** Linux's TCP_TIMEWAIT_LEN: how long the closing side keeps a FIN-closed connection's port. */
export const TIME_WAIT_MS = 60_000;

/** Resets a connected plain-TCP socket (RST, no TIME_WAIT); destroys anything else. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // A TLS socket's handle is not a TCP handle (resetAndDestroy would throw), and a socket still
  // connecting has no connection to leave behind.
  if (socket.connecting || socket instanceof TLSSocket) {
    socket.destroy();
    return;
  }
  socket.resetAndDestroy();
}

interface Window {
  start: number;
  current: number;
  previous: number;
}

/**
 * Counts FIN closes per target over the TIME_WAIT length (a sliding window from two fixed ones)
 * and says whether one more may be graceful.
 */
export class TimeWaitBudget {
  private readonly byTarget = new Map<string, Window>();
  private lastSweep = 0;

  constructor(
    /** Graceful closes allowed per target within TIME_WAIT_MS. */
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True (and counted) if this close to `target` may be a FIN; false: reset it instead. */
  takeGraceful(target: string): boolean {
    const now = this.now();
    let w = this.byTarget.get(target);
    if (w === undefined) {
      this.sweep(now);
      w = { start: now, current: 0, previous: 0 };
      this.byTarget.set(target, w);
    }
    const age = now - w.start;
    if (age >= TIME_WAIT_MS) {
      w.previous = age < 2 * TIME_WAIT_MS ? w.current : 0;
      w.current = 0;
      w.start = now - (age % TIME_WAIT_MS);
    }
    const inWindow = w.previous * (1 - (now - w.start) / TIME_WAIT_MS) + w.current;
    if (inWindow >= this.limit) return false;
    w.current++;
    return true;
  }

  /** Targets not closed to for two windows hold no TIME_WAIT any more: forget them. */
  private sweep(now: number): void {
    if (now - this.lastSweep < TIME_WAIT_MS) return;
    this.lastSweep = now;
    for (const [target, w] of this.byTarget) {
      if (now - w.start >= 2 * TIME_WAIT_MS) this.byTarget.delete(target);
    }
  }
}

/** Ports in ip_local_port_range (Linux's default 32768–60999 when it cannot be read). */
export function ephemeralPortCount(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined && high >= low) return high - low + 1;
  } catch {
    // not Linux, or /proc not mounted: assume Linux's default range
  }
  return 28_232;
}

let defaultBudget: TimeWaitBudget | undefined;

/** The process-wide budget for TCP probes: a quarter of the ephemeral ports per target. */
export function tcpCloseBudget(): TimeWaitBudget {
  defaultBudget ??= new TimeWaitBudget(Math.floor(ephemeralPortCount() / 4));
  return defaultBudget;
}
