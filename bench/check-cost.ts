/**
 * CPU cost per probe of podvisor's own `check` (issue 5): the same `check tcp` as an exec liveness
 * probe that podvisor recognises and runs in-process, and as one it must fork. Measured on the
 * real CLI (`podvisor up` as its own process, like the idle footprint): N pods, each with one
 * exec liveness probe at periodSeconds 1 (N probes/s), against a TCP target in another process
 * that counts the connections (one per probe run, so the count is the number of probes).
 *
 * CPU is the node's utime+stime plus cutime+cstime from /proc/<pid>/stat: a forked probe's CPU is
 * charged to the node when the node reaps it, so both variants are measured by the same counter.
 * A run with the same pods and no probe gives the node's baseline, subtracted from both.
 *
 * The forked variant runs the bundled stand-alone check (dist/podvisor-check.mjs, the file a
 * cluster container would run) through `sh -c 'exec node …'`: the prober recognises
 * `node …/podvisor-check.mjs …` and `podvisor check …`, not a shell, so it forks as for any command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmt } from './harness.js';

const CLK_TCK = 100;
const BUNDLED_CHECK = resolve('dist/podvisor-check.mjs');

type Variant = 'baseline' | 'tcp-socket' | 'in-process' | 'forked';

interface Sample {
  variant: Variant;
  pods: number;
  seconds: number;
  probes: number;
  cpuMs: number;
}

/** utime+stime+cutime+cstime of a process, in ms. */
function cpuMsWithChildren(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}

/** A TCP server in its own process that counts accepted connections; `count()` asks it. */
async function startCountingTarget(): Promise<{
  port: number;
  count: () => Promise<number>;
  child: ChildProcess;
}> {
  const src = `
    const net = require('node:net');
    let n = 0;
    const s = net.createServer((c) => { n++; c.on('error', () => {}); c.end(); });
    s.listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'));
    process.stdin.on('data', () => process.stdout.write('count ' + n + '\\n'));`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiters: ((line: string) => void)[] = [];
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  const next = (): Promise<string> => new Promise((r) => waiters.push(r));
  const first = await next();
  const port = Number(first.replace('port ', ''));
  const count = async (): Promise<number> => {
    const reply = next();
    child.stdin!.write('?\n');
    return Number((await reply).replace('count ', ''));
  };
  return { port, count, child };
}

function probeCommand(variant: Variant, port: number): string[] | undefined {
  const target = `127.0.0.1:${port}`;
  if (variant === 'in-process') return ['podvisor', 'check', 'tcp', target];
  if (variant === 'forked')
    return ['sh', '-c', `exec '${process.execPath}' '${BUNDLED_CHECK}' tcp ${target}`];
  return undefined;
}

function manifest(variant: Variant, pods: number, port: number): string {
  const command = probeCommand(variant, port);
  // failureThreshold: a slow forked run must not restart anything and disturb the count
  const timing = 'periodSeconds: 1, timeoutSeconds: 5, failureThreshold: 100000';
  const probe = command
    ? `\n      livenessProbe: {exec: {command: ${JSON.stringify(command)}}, ${timing}}`
    : variant === 'tcp-socket'
      ? `\n      livenessProbe: {tcpSocket: {host: 127.0.0.1, port: ${port}}, ${timing}}`
      : '';
  return Array.from(
    { length: pods },
    (_, i) => `apiVersion: v1
kind: Pod
metadata: {name: check-${i}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: app
      command: [sleep, "3600"]${probe}
`,
  ).join('---\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function runVariant(
  variant: Variant,
  pods: number,
  windowMs: number,
  target: { port: number; count: () => Promise<number> },
): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-check-cost-'));
  writeFileSync(join(dir, 'pods.yaml'), manifest(variant, pods, target.port));
  const stateDir = join(dir, 'state');
  const child = spawn(
    'bin/podvisor.js',
    ['up', '-f', join(dir, 'pods.yaml'), '--state-dir', stateDir, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    const deadline = Date.now() + 120_000;
    while (!existsSync(join(stateDir, 'api.json'))) {
      if (Date.now() > deadline) throw new Error('podvisor up did not start');
      await sleep(100);
    }
    const { server, token } = JSON.parse(readFileSync(join(stateDir, 'api.json'), 'utf8')) as {
      server: string;
      token: string;
    };
    for (;;) {
      const res = await fetch(`${server}/api/v1/namespaces/default/pods`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const list = (await res.json()) as { items: { status?: { phase?: string } }[] };
      if (list.items.filter((p) => p.status?.phase === 'Running').length >= pods) break;
      if (Date.now() > deadline) throw new Error('pods did not all run');
      await sleep(500);
    }
    await sleep(3_000); // every probe worker past its first, jittered run
    const probes0 = await target.count();
    const cpu0 = cpuMsWithChildren(child.pid!);
    const t0 = Date.now();
    await sleep(windowMs);
    const cpuMs = cpuMsWithChildren(child.pid!) - cpu0;
    const seconds = (Date.now() - t0) / 1000;
    const probes = (await target.count()) - probes0;
    return { variant, pods, seconds, probes, cpuMs };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- check-cost`. BENCH_CHECK_PODS (default 100: 100 probes/s) for the baseline,
 * the built-in tcpSocket reference and the in-process check; BENCH_CHECK_FORKED_PODS for the forked
 * one, default 4 per CPU (at most BENCH_CHECK_PODS): a forked run of the bundled check costs about
 * 100 ms of CPU, so 100/s would take some 10 cores, and a saturated machine measures its queue,
 * not the probe. The cost per probe is what is compared. BENCH_CHECK_SECONDS: the window (20).
 */
export async function measureCheckCost(): Promise<string[][]> {
  if (!existsSync(BUNDLED_CHECK)) {
    return [
      [`check-cost: ${BUNDLED_CHECK} is missing`, 'run `npm run build` first (it bundles the check)', ''],
    ];
  }
  const pods = Number(process.env.BENCH_CHECK_PODS ?? 100);
  const forkedPods = Number(process.env.BENCH_CHECK_FORKED_PODS ?? Math.min(pods, 4 * cpus().length));
  const windowMs = Number(process.env.BENCH_CHECK_SECONDS ?? 20) * 1000;
  const target = await startCountingTarget();
  try {
    const baseline = await runVariant('baseline', pods, windowMs, target);
    const tcpSocket = await runVariant('tcp-socket', pods, windowMs, target);
    const inProcess = await runVariant('in-process', pods, windowMs, target);
    const forked = await runVariant('forked', forkedPods, windowMs, target);
    // The idle node's own CPU for this many pods, per second of the window.
    const idleMsPerSecond = (n: number): number => (baseline.cpuMs / baseline.seconds) * (n / pods);
    const perProbe = (s: Sample): number =>
      s.probes === 0 ? NaN : (s.cpuMs - idleMsPerSecond(s.pods) * s.seconds) / s.probes;
    const row = (s: Sample, what: string): string[] => [
      `check-cost: ${what}, ${s.pods} pods @1s`,
      `${fmt(s.probes / s.seconds, 0)} probes/s; ${fmt(perProbe(s), 3)} ms CPU per probe (node + children, idle node subtracted)`,
      `node + children CPU ${fmt((s.cpuMs / s.seconds / 1000) * 100)} % of a core over ${fmt(s.seconds, 0)} s`,
    ];
    return [
      [
        `check-cost: baseline, ${pods} idle pods, no probes`,
        `node CPU ${fmt((baseline.cpuMs / baseline.seconds / 1000) * 100, 2)} % of a core`,
        '',
      ],
      row(tcpSocket, 'reference: built-in tcpSocket probe'),
      row(inProcess, 'in-process `podvisor check tcp` exec probe'),
      row(forked, "forked `sh -c 'exec node dist/podvisor-check.mjs tcp …'` exec probe"),
      [
        'check-cost: forked / in-process',
        `${fmt(perProbe(forked) / perProbe(inProcess), 0)}× the CPU per probe`,
        `(100 forked probes/s would take ${fmt((perProbe(forked) * 100) / 1000, 1)} cores; this machine has ${cpus().length})`,
      ],
    ];
  } finally {
    target.child.kill();
  }
}
