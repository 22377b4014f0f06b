/**
 * S4 probe capacity (issue 6): containers × (tcpSocket liveness + httpGet readiness) at
 * periodSeconds 1, more and more of them until p99 tick lateness passes 50 ms or a period is
 * missed; the knee is the largest count meeting both. Then CPU per probe for each handler at a
 * fixed rate, and the kubelet's port-exhaustion scenario (s4-ports.ts).
 *
 * podvisor is measured in this process (s4-node.ts: the real kubelet and probers on a runtime
 * that spawns nothing), not as a `podvisor up` process: lateness is a probe's start against its
 * worker's tick, which only the prober's side can timestamp. Peers are not run: monit's cycle
 * cannot go below 1 s and checks run one after another within it; PM2 and supervisord have no
 * HTTP or TCP checks.
 *
 * Environment: S4_CONTAINERS (default 250,500,1000,1500,2000), S4_SECONDS (window per count, 20),
 * S4_COST_CONTAINERS (probes/s per handler, 100), S4_COST_SECONDS (15), S4_PORTS_SECONDS (120),
 * S4_PORTS_HOST (default: this machine's first non-loopback IPv4 address).
 */
import { fmt } from '../harness.js';
import { measureLateness, type LatenessRun } from './s4-lateness.js';
import { loadAverage } from './s4-node.js';
import { measureProbeCost, type ProbeCostRun, type ProbeKind } from './s4-probe-cost.js';
import { measurePortExhaustion, nonLoopbackAddress, WARMUP_S, type PortsRun } from './s4-ports.js';
import type { Measurement, ScenarioReport, TargetCheck } from './types.js';

const P99_LIMIT_MS = 50;
const TARGET_PROBES_PER_S = 2000;
const RERUN = 'npm run bench -- s4';

function envNumbers(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v <= 0)) {
    throw new Error(
      `${name}=${raw}: expected positive integers separated by commas, e.g. ${fallback.join(',')}`,
    );
  }
  return values;
}

const envNumber = (name: string, fallback: number): number => envNumbers(name, [fallback])[0]!;

function meetsTarget(run: LatenessRun): boolean {
  return run.p99 <= P99_LIMIT_MS && run.missedPeriods === 0;
}

function latenessNote(r: LatenessRun): string {
  return (
    `p50 ${fmt(r.p50)} / p99 ${fmt(r.p99)} / max ${fmt(r.max)} ms; ${r.missedPeriods} missed periods, ` +
    `${r.failures} failed probes; ${fmt(r.probesPerSecond, 0)} probes/s; podvisor CPU ${fmt(r.nodeCpu)} % of a core ` +
    `(event loop ${fmt(r.elu * 100, 0)} % busy), target CPU ${fmt(r.targetCpu)} %; waited for a CPU ` +
    `${fmt(r.runqueueWait, 0)} % of the window; an idle canary process's timers: p50 ${fmt(r.canary.p50)} / ` +
    `p99 ${fmt(r.canary.p99)} / max ${fmt(r.canary.max)} ms late; load ${r.loadBefore} → ${r.loadAfter}`
  );
}

async function capacityReport(): Promise<ScenarioReport> {
  const counts = envNumbers('S4_CONTAINERS', [250, 500, 1000, 1500, 2000]);
  const seconds = envNumber('S4_SECONDS', 20);
  const measurements: Measurement[] = [];
  const notes: string[] = [];
  const runs: LatenessRun[] = [];
  for (const n of counts) {
    const run = await measureLateness(n, seconds);
    runs.push(run);
    console.error(`S4 ${n} containers: ${latenessNote(run)}`);
    measurements.push({
      metric: `S4 tick lateness, ${n} containers × 2 probes @1s`,
      subject: 'podvisor',
      unit: 'ms',
      samples: run.lateness,
      note: latenessNote(run),
    });
    measurements.push({
      metric: `S4 podvisor CPU, ${n * 2} probes/s`,
      subject: 'podvisor',
      unit: '% of a core',
      samples: [run.nodeCpu],
    });
    if (!meetsTarget(run)) {
      notes.push(`The sweep stopped at ${n} containers: ${latenessNote(run)}.`);
      break;
    }
  }
  const passing = runs.filter(meetsTarget);
  const knee = passing.length > 0 ? Math.max(...passing.map((r) => r.containers)) : 0;
  const kneeRun = passing.find((r) => r.containers === knee);
  measurements.push({
    metric: 'S4 knee: probes/s with p99 tick lateness ≤ 50 ms and no missed period',
    subject: 'podvisor',
    unit: 'probes/s',
    samples: [knee * 2],
    note: kneeRun ? `${knee} containers × 2: ${latenessNote(kneeRun)}` : 'no count met both',
  });
  measurements.push({
    metric: 'S4 knee: probes/s with p99 tick lateness ≤ 50 ms and no missed period',
    subject: 'monit',
    unit: 'probes/s',
    samples: [],
    skipped: "not run: monit's cycle cannot go below 1 s and it runs its checks one after another in it",
  });
  const cost = await costMeasurements();
  measurements.push(...cost.measurements);
  notes.push(...cost.notes);
  const targets: TargetCheck[] = [
    {
      target: `S4 ≥ ${TARGET_PROBES_PER_S.toLocaleString('en-US')} probes/s with p99 tick lateness ≤ ${P99_LIMIT_MS} ms`,
      met: knee * 2 >= TARGET_PROBES_PER_S,
      detail: kneeRun
        ? `knee ${knee} containers (${knee * 2} probes/s): p99 ${fmt(kneeRun.p99)} ms`
        : `no count met it; lowest tried: ${runs[0] ? latenessNote(runs[0]) : 'none'}`,
    },
  ];
  notes.push(
    "Lateness: each probe start (the prober calling its handler) against its worker's tick phase, " +
      "the phase being the worker's earliest offset in the window; a missed period is a gap of more than " +
      'one period between two starts of one worker. Every container has its own pod IP (127.78.x.y), the ' +
      'target is one Node HTTP server in another process listening on 0.0.0.0.',
    'Measured in-process on a runtime that spawns nothing (S3 measures idle containers); ' +
      '"waited for a CPU" is the time this process\'s threads were runnable but not running ' +
      "(/proc/self/task/*/schedstat): lateness from the machine's other load, not from podvisor. The " +
      'canary is a separate Node process waking every 10 ms during the window: its lateness is the ' +
      "floor this machine's scheduler sets for any process at that moment.",
  );
  return {
    id: 'S4',
    title: 'probe capacity: containers × (liveness + readiness) at periodSeconds 1',
    measurements,
    targets,
    configs: [
      {
        subject: 'podvisor',
        text:
          'containers: [{name: app, command: [sleep, "3600"],\n' +
          '  livenessProbe: {tcpSocket: {port: <target>}, periodSeconds: 1},\n' +
          '  readinessProbe: {httpGet: {path: /ready, port: <target>}, periodSeconds: 1}}]\n' +
          `× ${counts.join(', ')} pods (S4_CONTAINERS), ${seconds} s window after 5 s warm-up (S4_SECONDS)`,
      },
    ],
    notes,
    rerun: RERUN,
  };
}

const KINDS: ProbeKind[] = ['httpGet', 'tcpSocket', 'exec true', 'podvisor check tcp (in-process)'];

async function costMeasurements(): Promise<{ measurements: Measurement[]; notes: string[] }> {
  const containers = envNumber('S4_COST_CONTAINERS', 100);
  const seconds = envNumber('S4_COST_SECONDS', 15);
  const baseline = await measureProbeCost('baseline', containers, seconds);
  const runs: ProbeCostRun[] = [];
  for (const kind of KINDS) runs.push(await measureProbeCost(kind, containers, seconds));
  const idlePerSecond = baseline.cpuMs / baseline.seconds;
  const measurements: Measurement[] = runs.map((r) => {
    const perProbe = r.probes > 0 ? (r.cpuMs - idlePerSecond * r.seconds) / r.probes : NaN;
    return {
      metric: `S4 CPU per probe, ${r.kind}`,
      subject: 'podvisor',
      unit: 'ms',
      samples: [perProbe],
      note:
        `${r.probes} probes in ${fmt(r.seconds)} s (${fmt(r.probes / r.seconds, 0)}/s), ${r.failures} failed; ` +
        `${fmt(r.cpuMs, 0)} ms CPU, ${fmt(idlePerSecond * r.seconds, 0)} ms of it idle baseline`,
    };
  });
  return {
    measurements,
    notes: [
      `CPU per probe: ${containers} containers × 1 liveness probe at 1 s for ${seconds} s per handler ` +
        "(S4_COST_CONTAINERS, S4_COST_SECONDS); this process's CPU plus its reaped children's (an exec " +
        "probe's process), minus the same containers without probes " +
        `(${fmt((idlePerSecond / 1000) * 100)} % of a core), per probe run. The in-process check is the ` +
        'exec command `podvisor check tcp 127.0.0.1:<port>`, which the prober runs without forking.',
    ],
  };
}

async function portsReport(): Promise<ScenarioReport> {
  const seconds = envNumber('S4_PORTS_SECONDS', 120);
  const host = process.env.S4_PORTS_HOST ?? nonLoopbackAddress();
  const run: PortsRun = await measurePortExhaustion(600, seconds, host);
  console.error(`S4' ${JSON.stringify({ ...run, timeWaitProber: undefined, timeWaitTarget: undefined })}`);
  const maxOf = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
  const measurements: Measurement[] = [
    {
      metric: "S4' failed probes (600 containers × httpGet + tcpSocket to one ip:port @1s)",
      subject: 'podvisor',
      unit: 'count',
      samples: [run.failures],
      note: `${run.probes} probes in ${fmt(run.seconds)} s (${fmt(run.probes / run.seconds, 0)}/s of 1,200 scheduled); failures per 10 s: ${run.failuresPer10s.join(' ')} (after ${WARMUP_S} s of warm-up with ${run.warmupFailures} failures and an event-loop delay of at most ${fmt(run.warmupLoopDelayMax, 0)} ms)${
        run.failureKinds.length ? `; ${run.failureKinds.map(([k, n]) => `${n}× ${k}`).join('; ')}` : ''
      }`,
    },
    {
      metric: "S4' TIME_WAIT sockets, prober's end (sampled each second)",
      subject: 'podvisor',
      unit: 'count',
      samples: run.timeWaitProber,
      note: `max ${maxOf(run.timeWaitProber)}`,
    },
    {
      metric: "S4' TIME_WAIT sockets, target's end (sampled each second)",
      subject: 'podvisor',
      unit: 'count',
      samples: run.timeWaitTarget,
      note: `max ${maxOf(run.timeWaitTarget)}`,
    },
  ];
  return {
    id: "S4'",
    title: 'port exhaustion: 600 containers probing one ip:port every second (kubelet scale_test.go)',
    measurements,
    targets: [
      {
        target: 'no probe fails from ephemeral-port or TIME_WAIT exhaustion',
        met: run.failures === 0,
        detail:
          `${run.failures} of ${run.probes} probes failed in ${fmt(run.seconds)} s ` +
          `(${run.portErrors} of them for want of a port); TIME_WAIT max ${maxOf(run.timeWaitProber)} (prober) / ` +
          `${maxOf(run.timeWaitTarget)} (target) of ${run.localPortRange}; event-loop delay p99 ` +
          `${fmt(run.loopDelayP99)} ms, max ${fmt(run.loopDelayMax)} ms`,
      },
    ],
    configs: [
      {
        subject: 'podvisor',
        text:
          `600 pods: livenessProbe {httpGet: {host: ${host}, path: /healthz, port: <target>}, periodSeconds: 1, timeoutSeconds: 1},\n` +
          `readinessProbe {tcpSocket: {host: ${host}, port: <target>}, periodSeconds: 1, timeoutSeconds: 1}; ` +
          `${WARMUP_S} s warm-up, then ${seconds} s counted (S4_PORTS_SECONDS)`,
      },
    ],
    notes: [
      `Ephemeral ports ${run.localPortRange}, net.ipv4.tcp_tw_reuse=${run.twReuse}, load ${run.load}. ` +
        `The target is this machine's ${host}: with tcp_tw_reuse=2 Linux reuses TIME_WAIT ports after 1 s ` +
        'for loopback connections only, which would hide exhaustion (S4_PORTS_HOST=127.0.0.1 to see that).',
      'Probe sockets: HTTP probes reset the connection once the verdict is in (no TIME_WAIT on either end); ' +
        "TCP probes close with a FIN as the kubelet's do, until FIN closes to one ip:port within 60 s would hold " +
        "a quarter of the ephemeral ports; past that they reset (src/probe/socket-close.ts). The kubelet's " +
        'SO_LINGER {on, 1 s} dialer does not shorten TIME_WAIT on Linux (a FIN close still waits 60 s).',
    ],
    rerun: RERUN,
  };
}

export async function runS4(): Promise<ScenarioReport[]> {
  console.error(`S4 starting, load ${loadAverage()}`);
  const capacity = await capacityReport();
  const ports = await portsReport();
  return [capacity, ports];
}
