/**
 * S4 CPU per probe by handler at a fixed rate: N containers, each with one liveness probe at
 * periodSeconds 1 (N probes/s), against a target in another process. CPU is this process's
 * utime+stime plus its reaped children's (an exec probe's process is charged when reaped), over
 * the window, minus a run of the same N containers without probes; divided by the probes run.
 */
import { startTargetProcess, waitUntil } from '../harness.js';
import { benchPod, procCpuMs, S4Node } from './s4-node.js';

export type ProbeKind =
  'baseline' | 'httpGet' | 'tcpSocket' | 'exec true' | 'podvisor check tcp (in-process)';

export interface ProbeCostRun {
  kind: ProbeKind;
  containers: number;
  seconds: number;
  probes: number;
  failures: number;
  cpuMs: number;
}

function probeOf(kind: ProbeKind, port: number): object | undefined {
  switch (kind) {
    case 'baseline':
      return undefined;
    case 'httpGet':
      return { httpGet: { path: '/healthz', port } };
    case 'tcpSocket':
      return { tcpSocket: { port } };
    case 'exec true':
      return { exec: { command: ['true'] } };
    case 'podvisor check tcp (in-process)':
      return { exec: { command: ['podvisor', 'check', 'tcp', `127.0.0.1:${port}`] } };
  }
}

export async function measureProbeCost(
  kind: ProbeKind,
  containers: number,
  seconds: number,
): Promise<ProbeCostRun> {
  const target = await startTargetProcess();
  const node = new S4Node();
  try {
    node.start();
    const probe = probeOf(kind, target.port);
    const container = probe ? { livenessProbe: { ...probe, periodSeconds: 1, timeoutSeconds: 1 } } : {};
    for (let i = 0; i < containers; i++) node.createPod(benchPod(`cost-${i}`, container));
    await waitUntil(() => node.started.length >= containers, 120_000, `${containers} containers to start`);
    await new Promise((r) => setTimeout(r, 3000)); // past the first probes and their jitter
    const ran0 = node.probeRuns();
    const recorded0 = node.probes.length;
    const cpu0 = procCpuMs('self');
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuMs = procCpuMs('self') - cpu0;
    const elapsed = (performance.now() - t0) / 1000;
    const probes = node.probeRuns() - ran0;
    const failures = node.probes.slice(recorded0).filter((p) => p.result !== 'success').length;
    return { kind, containers, seconds: elapsed, probes, failures, cpuMs };
  } finally {
    await node.stop();
    target.child.kill();
  }
}
