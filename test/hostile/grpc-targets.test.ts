/**
 * Hostile gRPC probe targets (issue 7, spec §3.4): a server whose Check never answers, one without
 * the health service (UNIMPLEMENTED), one answering NOT_SERVING, and a TCP listener that never
 * speaks HTTP/2. 1,000 probes each; verdicts are the kubelet's texts within timeoutSeconds + 50 ms,
 * and the channels leave no fds or memory behind (bounds as in http-targets.test.ts).
 */
import { after, before, describe, test } from 'node:test';
import { probeGrpc, type ProbeOutcome } from '../../src/probe/index.js';
import { assertLatency, measured, type FlatBounds, type Scenario } from './harness.js';
import { TargetHost, type RemoteTarget } from './target-host.js';

const HOST = '127.0.7.11';
const REPEATS = 1000;
const TIMEOUT_MS = 1000;
// RSS: each channel is an nghttp2 session allocated natively, and glibc keeps freed arenas. It is
// a plateau, not a leak: five rounds of 1,000 never-answered probes left RSS at 148, 166, 164,
// 166 and 157 MiB (from 91) with the heap at ~15 MiB and the fds at baseline after each round.
const BOUNDS: FlatBounds = { fds: 3, heapMiB: 8, rssMiB: 80 };
/**
 * grpc-js times deadlines on Date.now() (whole milliseconds) with timers that may fire a
 * millisecond early, so a gRPC deadline can end up to 2 ms before the full timeout.
 */
const GRPC_CLOCK_SLACK_MS = 2;
/**
 * 1,000 timeout probes 10 ms apart with 100 in flight: ~11 s. Each probe is a new HTTP/2
 * connection the target process must accept and answer; at 200 a second a starved target could
 * not keep up, and the probes would time out dialing instead of in the RPC.
 */
const TIMEOUT_PACE_MS = 10;
const TIMEOUT_IN_FLIGHT = 100;

let targetHost: TargetHost;

function grpc(target: RemoteTarget): () => Promise<ProbeOutcome> {
  return () => probeGrpc({ host: target.host, port: target.port, service: '', timeoutMs: TIMEOUT_MS });
}

function grpcTimedOut(o: ProbeOutcome): boolean {
  return o.result === 'failure' && o.output.startsWith('timeout: ');
}

function scenario(
  s: Pick<Scenario, 'name' | 'inFlight' | 'paceMs' | 'expected' | 'probe'>,
  target: RemoteTarget,
): Scenario {
  return {
    ...s,
    count: REPEATS,
    timeoutMs: TIMEOUT_MS,
    timedOut: grpcTimedOut,
    bounds: BOUNDS,
    settled: async () => {
      await target.waitAllClosed();
    },
    targetStalls: (since) => targetHost.stalls(since),
  };
}

describe('hostile gRPC probe targets, 1,000 probes each (issue 7, spec §3.4)', () => {
  before(async () => {
    targetHost = await TargetHost.start();
  });
  after(async () => {
    await targetHost.stop();
  });

  test('§3.4: a Check that never answers: "timeout: health rpc did not complete within 1s"', async (t) => {
    const target = await targetHost.target({ kind: 'grpc-never', host: HOST });
    const run = await measured(
      t,
      scenario(
        {
          name: 'gRPC never answers',
          inFlight: TIMEOUT_IN_FLIGHT,
          paceMs: TIMEOUT_PACE_MS,
          probe: grpc(target),
          expected: { result: 'failure', output: 'timeout: health rpc did not complete within 1s' },
        },
        target,
      ),
    );
    assertLatency(run, TIMEOUT_MS, TIMEOUT_MS - GRPC_CLOCK_SLACK_MS);
  });

  test('§3.4: no health service: "does not implement the grpc health protocol" at once', async (t) => {
    const target = await targetHost.target({ kind: 'grpc-unimplemented', host: HOST });
    const run = await measured(
      t,
      scenario(
        {
          name: 'gRPC UNIMPLEMENTED',
          inFlight: 20,
          probe: grpc(target),
          expected: {
            result: 'failure',
            output:
              'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ' +
              'The server does not implement the method /grpc.health.v1.Health/Check',
          },
        },
        target,
      ),
    );
    assertLatency(run, TIMEOUT_MS);
  });

  test('§3.4: NOT_SERVING: "service unhealthy (responded with \\"NOT_SERVING\\")" at once', async (t) => {
    const target = await targetHost.target({ kind: 'grpc-not-serving', host: HOST });
    const run = await measured(
      t,
      scenario(
        {
          name: 'gRPC NOT_SERVING',
          inFlight: 20,
          probe: grpc(target),
          expected: { result: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' },
        },
        target,
      ),
    );
    assertLatency(run, TIMEOUT_MS);
  });

  test('§3.4: a listener that never speaks HTTP/2: the blocking dial times out', async (t) => {
    const target = await targetHost.target({ kind: 'silent', host: HOST });
    const run = await measured(
      t,
      scenario(
        {
          name: 'gRPC to a silent TCP server',
          inFlight: TIMEOUT_IN_FLIGHT,
          paceMs: TIMEOUT_PACE_MS,
          probe: grpc(target),
          expected: {
            result: 'failure',
            output: `timeout: failed to connect service "${HOST}:${target.port}" within 1s: context deadline exceeded`,
          },
        },
        target,
      ),
    );
    assertLatency(run, TIMEOUT_MS, TIMEOUT_MS - GRPC_CLOCK_SLACK_MS);
  });
});
