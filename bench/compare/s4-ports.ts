/**
 * The kubelet's own port-exhaustion scenario (pkg/kubelet/prober/scale_test.go, issue 89898):
 * 600 containers whose probes all dial ONE ip:port every second, here an httpGet liveness and a
 * tcpSocket readiness each (1,200 connections/s), for 2 minutes. 28,232 ephemeral ports
 * (ip_local_port_range 32768–60999) last under 24 s at that rate if each lingers 60 s in
 * TIME_WAIT, so no probe may fail, and TIME_WAIT sockets to the target are counted from
 * /proc/net/tcp (state 06) every second on both ends: the prober's (remote port = target) and
 * the target's (local port = target).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProbeHandlers } from '../../src/kubelet/index.js';
import { startTargetProcess, waitUntil } from '../harness.js';
import { benchPod, loadAverage, S4Node } from './s4-node.js';

export interface PortsRun {
  containers: number;
  host: string;
  seconds: number;
  probes: number;
  failures: number;
  /** Failure outputs by text (pod names and ports removed), most frequent first. */
  failureKinds: [string, number][];
  /** Failures that say no local port was free (EADDRNOTAVAIL: "cannot assign requested address"). */
  portErrors: number;
  /**
   * Failures in the first WARMUP_S seconds, not counted above: 600 pods turning Ready together
   * make a burst of status updates that is not what this scenario is about.
   */
  warmupFailures: number;
  warmupLoopDelayMax: number;
  /** Failures per 10 s of the run. */
  failuresPer10s: number[];
  /** TIME_WAIT sockets sampled once a second from the start (warm-up included). */
  timeWaitProber: number[];
  timeWaitTarget: number[];
  /** Event-loop delay over the run (perf_hooks histogram), ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  localPortRange: string;
  twReuse: string;
  load: string;
}

const TIME_WAIT = '06';
/** Seconds after the containers started before failures count (the first probes, pods turning Ready). */
export const WARMUP_S = 10;

/**
 * TIME_WAIT sockets whose remote (prober's end) or local (target's end) port is `port`. Read
 * asynchronously: /proc/net/tcp with tens of thousands of sockets takes the kernel a while, and
 * the event loop being measured must not wait for it.
 */
export async function countTimeWait(port: number): Promise<{ prober: number; target: number }> {
  let prober = 0;
  let target = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // no IPv6 on this machine
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== TIME_WAIT) continue;
      if (parseInt(f[2]!.split(':')[1]!, 16) === port) prober++;
      if (parseInt(f[1]!.split(':')[1]!, 16) === port) target++;
    }
  }
  return { prober, target };
}

function readSysctl(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().replace(/\s+/g, '–');
  } catch {
    return 'n/a';
  }
}

/**
 * This machine's first non-loopback IPv4 address, else 127.0.0.1. Linux's default
 * `tcp_tw_reuse = 2` lets connect() take over a TIME_WAIT port after 1 s on loopback only, which
 * hides exhaustion; a probe to a pod IP on a real interface gets no such help.
 */
export function nonLoopbackAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export async function measurePortExhaustion(
  containers: number,
  seconds: number,
  host = nonLoopbackAddress(),
  handlers?: ProbeHandlers,
): Promise<PortsRun> {
  const target = await startTargetProcess();
  const node = new S4Node();
  try {
    node.start(handlers);
    const container = {
      livenessProbe: {
        httpGet: { host, path: '/healthz', port: target.port },
        periodSeconds: 1,
        timeoutSeconds: 1,
        failureThreshold: 3,
      },
      readinessProbe: {
        tcpSocket: { host, port: target.port },
        periodSeconds: 1,
        timeoutSeconds: 1,
        failureThreshold: 3,
      },
    };
    for (let i = 0; i < containers; i++) node.createPod(benchPod(`ports-${i}`, container));
    await waitUntil(() => node.started.length >= containers, 300_000, `${containers} containers to start`);
    const timeWaitProber: number[] = [];
    const timeWaitTarget: number[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const begun = Date.now();
    const from = begun + WARMUP_S * 1000;
    let warmupLoopDelayMax = 0;
    for (let tick = 1; tick <= WARMUP_S + seconds; tick++) {
      await new Promise((r) => setTimeout(r, begun + tick * 1000 - Date.now()));
      const tw = await countTimeWait(target.port);
      timeWaitProber.push(tw.prober);
      timeWaitTarget.push(tw.target);
      if (tick === WARMUP_S) {
        warmupLoopDelayMax = loopDelay.max / 1e6;
        loopDelay.reset();
      }
    }
    loopDelay.disable();
    const to = Date.now();
    const warmupFailures = node.probes.filter(
      (p) => p.startedAt >= begun && p.startedAt < from && p.result !== 'success',
    ).length;
    const probes = node.probes.filter((p) => p.startedAt >= from && p.startedAt < to);
    const failed = probes.filter((p) => p.result !== 'success');
    const failuresPer10s = new Array<number>(Math.ceil((to - from) / 10_000)).fill(0);
    for (const p of failed) {
      failuresPer10s[Math.floor((p.startedAt - from) / 10_000)]!++;
    }
    const kinds = new Map<string, number>();
    for (const p of failed) {
      const text = `${p.key.split(' ')[0]}: ${p.output.replace(/:\d+/g, ':PORT')}`;
      kinds.set(text, (kinds.get(text) ?? 0) + 1);
    }
    return {
      containers,
      host,
      seconds: (to - from) / 1000,
      probes: probes.length,
      failures: failed.length,
      failuresPer10s,
      warmupFailures,
      warmupLoopDelayMax,
      portErrors: failed.filter((p) => /cannot assign requested address|EADDRNOTAVAIL/i.test(p.output))
        .length,
      failureKinds: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5),
      timeWaitProber,
      timeWaitTarget,
      loopDelayP99: loopDelay.percentile(99) / 1e6,
      loopDelayMax: loopDelay.max / 1e6,
      localPortRange: readSysctl('/proc/sys/net/ipv4/ip_local_port_range'),
      twReuse: readSysctl('/proc/sys/net/ipv4/tcp_tw_reuse'),
      load: loadAverage(),
    };
  } finally {
    await node.stop();
    target.child.kill();
  }
}
