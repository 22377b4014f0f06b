import type { Socket } from 'node:net';
import {
  ChannelCredentials,
  Client,
  Metadata,
  credentials,
  status as Status,
  type ServiceError,
} from '@grpc/grpc-js';
import { formatGoDuration } from '../util/duration.js';
import { goQuote, joinHostPort } from './go-text.js';
import {
  HEALTH_CHECK_PATH,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  servingStatusName,
} from './grpc-health-codec.js';
import { PROBE_USER_AGENT } from './http-headers.js';
import type { ProbeOutcome } from './types.js';
import type { GrpcProbeRequest } from './grpc.js';

/** grpc-go's codes.Code String() names, used in `rpc error: code = NotFound desc = ...`. */
const GO_CODE_NAMES: Readonly<Record<number, string>> = {
  [Status.OK]: 'OK',
  [Status.CANCELLED]: 'Canceled',
  [Status.UNKNOWN]: 'Unknown',
  [Status.INVALID_ARGUMENT]: 'InvalidArgument',
  [Status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [Status.NOT_FOUND]: 'NotFound',
  [Status.ALREADY_EXISTS]: 'AlreadyExists',
  [Status.PERMISSION_DENIED]: 'PermissionDenied',
  [Status.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [Status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [Status.ABORTED]: 'Aborted',
  [Status.OUT_OF_RANGE]: 'OutOfRange',
  [Status.UNIMPLEMENTED]: 'Unimplemented',
  [Status.INTERNAL]: 'Internal',
  [Status.UNAVAILABLE]: 'Unavailable',
  [Status.DATA_LOSS]: 'DataLoss',
  [Status.UNAUTHENTICATED]: 'Unauthenticated',
};

const CHANNEL_OPTIONS = {
  'grpc.primary_user_agent': PROBE_USER_AGENT,
  // One connection per probe, like the kubelet's per-probe grpc.DialContext: never share
  // subchannels with other probes, and keep nothing around after close().
  'grpc.use_local_subchannel_pool': 1,
  'grpc.enable_channelz': 0,
  'grpc.enable_retries': 0,
  'grpc.service_config_disable_resolution': 1,
};

type SecureConnector = ReturnType<ChannelCredentials['_createSecureConnector']>;
type ConnectorArgs = Parameters<ChannelCredentials['_createSecureConnector']>;

/**
 * Plaintext credentials that also hand every socket the channel connects over to `sockets`.
 * grpc-js (1.14) does not end a connection attempt that is still waiting for the server's HTTP/2
 * SETTINGS when its channel closes: against a server that accepts and never speaks HTTP/2, every
 * probe would leave its socket (an fd) open until the server hangs up, i.e. possibly forever. The
 * probe destroys the sockets it opened once it has its verdict (test/hostile/grpc-targets).
 */
class SocketTrackingInsecureCredentials extends ChannelCredentials {
  private readonly plain = credentials.createInsecure();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  /** Destroys the sockets handed over so far and any handed over later (a dial still pending). */
  destroySockets(): void {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  override compose(): ChannelCredentials {
    throw new Error('Cannot compose insecure credentials');
  }

  _isSecure(): boolean {
    return false;
  }

  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...args: ConnectorArgs): SecureConnector {
    const inner = this.plain._createSecureConnector(...args);
    return {
      connect: (socket) => {
        if (this.closed) {
          // A closed channel that still dials (see quiesceClosedChannel) gets a connection that
          // never completes: a failure would only start another backoff timer, and with it
          // another retry, each keeping the channel alive. Unsettled, nothing holds it: it is
          // garbage once the socket is gone.
          socket.destroy();
          return new Promise<never>(() => undefined);
        }
        this.sockets.add(socket);
        return inner.connect(socket);
      },
      waitForReady: () => inner.waitForReady(),
      getCallCredentials: () => inner.getCallCredentials(),
      destroy: () => inner.destroy(),
    };
  }
}

/**
 * One gRPC health probe, as the kubelet's pkg/probe/grpc (spec §3.4): plaintext, blocking dial
 * and the Health/Check RPC under one deadline; every outcome is Success or Failure with the
 * kubelet's texts. The channel is closed after each probe. Never rejects.
 */
export function runGrpcProbe(req: GrpcProbeRequest): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const addr = joinHostPort(req.host, req.port);
    const timeout = formatGoDuration(req.timeoutMs);
    const deadline = Date.now() + Math.max(0, req.timeoutMs);
    let client: Client;
    const channelCredentials = new SocketTrackingInsecureCredentials();
    try {
      client = new Client(addr, channelCredentials, CHANNEL_OPTIONS);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      resolve(fail(`error: failed to connect service at ${goQuote(addr)}: ${why}`));
      return;
    }
    const finish = (outcome: ProbeOutcome): void => {
      client.close();
      quiesceClosedChannel(client);
      channelCredentials.destroySockets();
      resolve(outcome);
    };
    client.waitForReady(deadline, (dialErr) => {
      if (dialErr !== undefined) {
        // A blocking dial retries refused connections until the deadline (spec §3.4).
        const timedOut = Date.now() >= deadline || /deadline/i.test(dialErr.message);
        finish(
          fail(
            timedOut
              ? `timeout: failed to connect service ${goQuote(addr)} within ${timeout}: context deadline exceeded`
              : `error: failed to connect service at ${goQuote(addr)}: ${dialErr.message}`,
          ),
        );
        return;
      }
      client.makeUnaryRequest(
        HEALTH_CHECK_PATH,
        encodeHealthCheckRequest,
        decodeHealthCheckResponse,
        req.service,
        new Metadata(),
        { deadline },
        (rpcErr: ServiceError | null, res?: { status: number }) => {
          if (rpcErr !== null) {
            finish(fail(rpcFailureText(rpcErr, timeout)));
            return;
          }
          const status = res?.status ?? 0;
          if (status !== 1) {
            finish(fail(`service unhealthy (responded with ${goQuote(servingStatusName(status))})`));
            return;
          }
          finish({ result: 'success', output: 'service healthy' });
        },
      );
    });
  });
}

/** The part of grpc-js's (1.14) private channel structure quiesceClosedChannel relies on. */
interface ChannelInternals {
  internalChannel?: {
    resolvingLoadBalancer?: {
      updateResolution?: unknown;
      childLoadBalancer?: { updateAddressList?: unknown };
    };
  };
}

/**
 * grpc-js 1.14 can bring a closed channel back to life: a resolver result already queued when
 * close() ran, or a subchannel state change that arrives after it (a connection attempt failing
 * as its socket is destroyed), re-creates the load-balancing policy, which connects, fails, asks
 * the resolver again and backs off, forever; its subchannel and timers keep the whole channel
 * alive. On a starved machine more than half of 1,000 probes left a channel behind this way
 * (test/hostile/grpc-targets: heap +8 to +15 MiB a round). A closed channel never needs to
 * resolve or take addresses again, so its resolving load balancer stops doing either. Exported
 * for the regression test; if grpc-js's internals change, nothing is patched and that test fails.
 */
export function quiesceClosedChannel(client: Client): boolean {
  const lb = (client.getChannel() as unknown as ChannelInternals).internalChannel?.resolvingLoadBalancer;
  const child = lb?.childLoadBalancer;
  if (typeof lb?.updateResolution !== 'function' || typeof child?.updateAddressList !== 'function')
    return false;
  lb.updateResolution = (): void => undefined;
  // false: "address list not accepted", so the resolving balancer does nothing with it either.
  child.updateAddressList = (): boolean => false;
  return true;
}

function rpcFailureText(err: ServiceError, timeout: string): string {
  if (err.code === Status.UNIMPLEMENTED) {
    return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}`;
  }
  if (err.code === Status.DEADLINE_EXCEEDED) {
    return `timeout: health rpc did not complete within ${timeout}`;
  }
  const code = GO_CODE_NAMES[err.code] ?? `Code(${err.code})`;
  return `error: health rpc probe failed: rpc error: code = ${code} desc = ${err.details}`;
}

function fail(output: string): ProbeOutcome {
  return { result: 'failure', output };
}
