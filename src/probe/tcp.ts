import { connect, type Socket } from 'node:net';
import { startDeadline } from './deadline.js';
import { asSystemError, goDialError, joinHostPort } from './go-text.js';
import { resetSocket, tcpCloseBudget, type TimeWaitBudget } from './socket-close.js';
import type { ProbeOutcome } from './types.js';

export interface TcpProbeRequest {
  host: string;
  port: number;
  timeoutMs: number;
}

/**
 * One TCP probe, as the kubelet's pkg/probe/tcp (spec §3.2): dial with the timeout; a completed
 * handshake is Success (empty output) and the connection is closed at once, without sending
 * data. Dial errors are Failures with Go's net.OpError text. Never rejects. The close is a FIN
 * unless `budget` says this target has had its share of TIME_WAIT ports (socket-close.ts).
 */
export function probeTcp(
  req: TcpProbeRequest,
  budget: TimeWaitBudget = tcpCloseBudget(),
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const target = joinHostPort(req.host, req.port);
    let socket: Socket;
    try {
      socket = connect({ host: req.host, port: req.port });
    } catch (err) {
      // e.g. a port outside 0..65535; resolvePort normally rules that out first.
      resolve({ result: 'failure', output: `dial tcp ${target}: ${asSystemError(err).message}` });
      return;
    }
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      cancelDeadline();
      if (outcome.result === 'success' && !budget.takeGraceful(target)) resetSocket(socket);
      else socket.destroy();
      resolve(outcome);
    };
    const cancelDeadline = startDeadline(
      req.timeoutMs,
      // Timers run before I/O in each turn of the event loop: after a busy stretch, a connection
      // the kernel completed in time would otherwise lose to its own deadline. setImmediate runs
      // after the I/O already waiting, so only a dial still pending times out.
      () =>
        setImmediate(() => {
          // Go maps the dial context's deadline to "i/o timeout".
          finish({
            result: 'failure',
            output: `dial tcp ${target}: i/o timeout`,
          });
        }),
    );
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    // Stays attached after settling: a late error on a destroyed socket must not go unhandled.
    socket.on('error', (err) => {
      finish({ result: 'failure', output: goDialError(asSystemError(err), req.host, req.port) });
    });
  });
}
