/**
 * Hostile HTTP and TCP probe targets (issue 7): each target is probed 1,000 times; every verdict
 * must be the kubelet's (spec §3.1/§3.2 texts) and arrive within timeoutSeconds + 50 ms, and
 * afterwards this process must hold no more file descriptors and memory than before.
 *
 * Memory bounds (after two forced full GCs): heap growth < 8 MiB over 1,000 probes, i.e. far less
 * than a retained socket or response per probe (a leaked 10 KiB body alone would be ~10 MiB); RSS
 * growth < 48 MiB, which allows for malloc keeping freed arenas and V8 keeping grown semispaces
 * after 200 sockets in flight, but not for a buffered 1 GiB body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { probeHttp, probeTcp, type ProbeOutcome } from '../../src/probe/index.js';
import { ONE_GIB, startBacklogFullTarget } from '../helpers/hostile-servers.js';
import {
  assertLatency,
  measured as measureScenario,
  type ExpectedOutcome,
  type FlatBounds,
  type RunResult,
} from './harness.js';
import { TargetHost, type RemoteTarget } from './target-host.js';

const HOST = '127.0.7.1';
const OTHER_HOST = '127.0.7.2';
const REPEATS = 1000;
const TIMEOUT_MS = 1000;
const BOUNDS: FlatBounds = { fds: 3, heapMiB: 8, rssMiB: 48 };

function http(
  port: number,
  path = '/healthz',
  scheme: 'HTTP' | 'HTTPS' = 'HTTP',
): () => Promise<ProbeOutcome> {
  return () => probeHttp({ scheme, host: HOST, port, path, headers: [], timeoutMs: TIMEOUT_MS });
}

interface HttpScenario {
  name: string;
  inFlight: number;
  paceMs?: number;
  expected: ExpectedOutcome;
  probe: () => Promise<ProbeOutcome>;
  /** The server side: the baseline is taken once the warm-up's connections are gone. */
  target?: RemoteTarget;
}

function measured(t: TestContext, s: HttpScenario): Promise<RunResult> {
  const { target } = s;
  return measureScenario(t, {
    ...s,
    count: REPEATS,
    timeoutMs: TIMEOUT_MS,
    timedOut: httpTimedOut,
    bounds: BOUNDS,
    settled: target === undefined ? undefined : () => assertServerSideClosed(target),
    targetStalls: (since) => targetHost.stalls(since),
  });
}

/** An HTTP or TCP probe that ran into its deadline (before or while reading the body). */
function httpTimedOut(o: ProbeOutcome): boolean {
  if (o.result !== 'failure') return false;
  if (o.error !== undefined)
    return o.error.includes('(Client.Timeout or context cancellation while reading body)');
  return /: (context deadline exceeded \(Client\.Timeout exceeded while awaiting headers\)|i\/o timeout)$/.test(
    o.output,
  );
}

/** The prober let go of every connection: the server sees them all closed. */
async function assertServerSideClosed(target: RemoteTarget): Promise<void> {
  assert.equal(await target.waitAllClosed(), 0, 'connections the prober left open');
}

let targetHost: TargetHost;

const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** 1,000 timeout probes 5 ms apart with 200 in flight: ~6 s. */
const TIMEOUT_PACE_MS = 5;

describe('hostile HTTP/TCP probe targets, 1,000 probes each (issue 7, spec §3.1/§3.2)', () => {
  const backlogTargets: { close(): Promise<void> }[] = [];
  before(async () => {
    targetHost = await TargetHost.start();
  });
  after(async () => {
    await Promise.all(backlogTargets.map((t) => t.close()));
    await targetHost.stop();
  });

  // Two ways of never finishing the response head; the kubelet says the same of both.
  for (const { kind, name, what } of [
    { kind: 'silent', name: 'silent', what: 'a server that accepts and never answers' },
    { kind: 'trickle', name: 'header trickle', what: 'a server that trickles header bytes forever' },
  ] as const) {
    test(`§3.1: ${what}: "awaiting headers" at the 1 s timeout`, async (t) => {
      const target = await targetHost.target({ kind, host: HOST });
      const run = await measured(t, {
        name,
        target,
        inFlight: 200,
        paceMs: TIMEOUT_PACE_MS,
        probe: http(target.port),
        expected: {
          result: 'failure',
          output: `Get "http://${HOST}:${target.port}/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        },
      });
      assertLatency(run, TIMEOUT_MS, TIMEOUT_MS);
      await assertServerSideClosed(target);
    });
  }

  test('§3.1: a 1 GiB body: 10 KiB read, Success, and the connection dropped long before 1 GiB', async (t) => {
    const target = await targetHost.target({ kind: 'huge-body', host: HOST });
    const run = await measured(t, {
      name: '1 GiB body',
      target,
      inFlight: 20,
      probe: http(target.port),
      expected: { result: 'success', output: 'x'.repeat(10 * 1024) },
    });
    assertLatency(run, TIMEOUT_MS);
    await assertServerSideClosed(target);
    const stats = await target.stats();
    // What fits in the loopback socket buffers before the reset lands; nowhere near 1 GiB.
    assert.ok(
      stats.maxBytesWritten < 32 * 1024 * 1024,
      `one connection was fed ${stats.maxBytesWritten} bytes`,
    );
    t.diagnostic(
      `1 GiB body: the server got ${(stats.totalBytesWritten / stats.connections / 1024).toFixed(0)} KiB per probe ` +
        `into the socket on average (max ${(stats.maxBytesWritten / 1024).toFixed(0)} KiB) of ${ONE_GIB / 1024} KiB`,
    );
  });

  test('§3.1: a same-host redirect loop fails after 10 requests: "stopped after 10 redirects"', async (t) => {
    const target = await targetHost.target({ kind: 'redirect', host: HOST, otherHost: OTHER_HOST });
    const first = (await target.stats()).requests;
    const inFlight = 10;
    const run = await measured(t, {
      name: 'redirect loop',
      inFlight,
      probe: http(target.port, '/loop'),
      expected: { result: 'failure', output: /^Get "\/loop\?n=\d+": stopped after 10 redirects$/ },
    });
    assertLatency(run, TIMEOUT_MS);
    // Warm-up included: every probe made 10 requests, except any that a starved machine timed out.
    const made = (await target.stats()).requests - first;
    assert.ok(made <= (REPEATS + inFlight) * 10, `${made} requests for ${REPEATS + inFlight} probes`);
    assert.ok(made >= (REPEATS - run.starvedVerdicts) * 10, `${made} requests for ${REPEATS} probes`);
  });

  test('§3.1: a redirect to another host is not followed: Warning with the 3xx body', async (t) => {
    const target = await targetHost.target({ kind: 'redirect', host: HOST, otherHost: OTHER_HOST });
    const location = `http://${OTHER_HOST}:${target.port}/elsewhere`;
    const run = await measured(t, {
      name: 'other-host redirect',
      inFlight: 50,
      probe: http(target.port, '/away'),
      expected: {
        result: 'warning',
        output: `Probe terminated redirects, Response body: <a href="${location}">Found</a>.\n\n`,
      },
    });
    assertLatency(run, TIMEOUT_MS);
  });

  test('§3.1: bytes that are not HTTP (an SSH banner): Go\'s "malformed HTTP response" with the line', async (t) => {
    const target = await targetHost.target({
      kind: 'not-http',
      host: HOST,
      bytesHex: Buffer.from('SSH-2.0-OpenSSH_9.6\r\n').toString('hex'),
      then: 'hold',
    });
    const run = await measured(t, {
      name: 'not HTTP (SSH banner)',
      target,
      inFlight: 50,
      probe: http(target.port),
      expected: {
        result: 'failure',
        output: `Get "http://${HOST}:${target.port}/healthz": net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.6"`,
      },
    });
    assertLatency(run, TIMEOUT_MS);
    await assertServerSideClosed(target);
  });

  test('§3.1: binary bytes then close: the partial line is quoted byte by byte, as Go does', async (t) => {
    const alert = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
    const target = await targetHost.target({
      kind: 'not-http',
      host: HOST,
      bytesHex: alert.toString('hex'),
      then: 'close',
    });
    const run = await measured(t, {
      name: 'not HTTP (binary)',
      target,
      inFlight: 50,
      probe: http(target.port),
      expected: {
        result: 'failure',
        output: `Get "http://${HOST}:${target.port}/healthz": net/http: HTTP/1.x transport connection broken: malformed HTTP response "\\x15\\x03\\x01\\x00\\x02\\x02F"`,
      },
    });
    assertLatency(run, TIMEOUT_MS);
  });

  test('§3.1: TLS on an HTTP probe: the TLS server hangs up without a response, Go says EOF', async (t) => {
    const target = await targetHost.target({ kind: 'tls', host: HOST });
    const run = await measured(t, {
      name: 'TLS on HTTP probe',
      target,
      inFlight: 50,
      probe: http(target.port),
      expected: { result: 'failure', output: `Get "http://${HOST}:${target.port}/healthz": EOF` },
    });
    assertLatency(run, TIMEOUT_MS);
    await assertServerSideClosed(target);
  });

  test('§3.1: plain HTTP on an HTTPS probe: "http: server gave HTTP response to HTTPS client"', async (t) => {
    const target = await targetHost.target({ kind: 'plain-http', host: HOST });
    const run = await measured(t, {
      name: 'plain on HTTPS probe',
      target,
      inFlight: 50,
      probe: http(target.port, '/healthz', 'HTTPS'),
      expected: {
        result: 'failure',
        output: `Get "https://${HOST}:${target.port}/healthz": http: server gave HTTP response to HTTPS client`,
      },
    });
    assertLatency(run, TIMEOUT_MS);
    await assertServerSideClosed(target);
  });

  test("§3.1: a connection reset after the request: Go's read error", async (t) => {
    const target = await targetHost.target({ kind: 'reset', host: HOST });
    const url = `http://${HOST}:${target.port}/healthz`;
    const run = await measured(t, {
      name: 'reset',
      target,
      inFlight: 50,
      probe: http(target.port),
      expected: {
        result: 'failure',
        // The local end is the kernel's choice of source address on 127.0.0.0/8.
        output: new RegExp(
          `^Get "${esc(url)}": read tcp 127\\.\\d+\\.\\d+\\.\\d+:\\d+->${esc(HOST)}:${target.port}: read: connection reset by peer$`,
        ),
      },
    });
    assertLatency(run, TIMEOUT_MS);
  });

  test('§3.1: a full listen backlog: the dial hangs, HTTP gives "awaiting headers" at the timeout', async (t) => {
    const target = await startBacklogFullTarget(HOST);
    backlogTargets.push(target);
    const run = await measured(t, {
      name: 'backlog full (HTTP)',
      inFlight: 200,
      paceMs: TIMEOUT_PACE_MS,
      probe: http(target.port),
      expected: {
        result: 'failure',
        output: `Get "http://${HOST}:${target.port}/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      },
    });
    assertLatency(run, TIMEOUT_MS, TIMEOUT_MS);
  });

  test('§3.2: a full listen backlog: the TCP probe fails "dial tcp ...: i/o timeout" at the timeout', async (t) => {
    const target = await startBacklogFullTarget(HOST);
    backlogTargets.push(target);
    const run = await measured(t, {
      name: 'backlog full (TCP)',
      inFlight: 200,
      paceMs: TIMEOUT_PACE_MS,
      probe: () => probeTcp({ host: HOST, port: target.port, timeoutMs: TIMEOUT_MS }),
      expected: { result: 'failure', output: `dial tcp ${HOST}:${target.port}: i/o timeout` },
    });
    assertLatency(run, TIMEOUT_MS, TIMEOUT_MS);
  });
});
