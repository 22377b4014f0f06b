/**
 * podvisor's own footprint with N idle containers, measured on the real CLI (`podvisor up`) as a
 * separate process: RSS from /proc/<pid>/status, CPU from /proc/<pid>/stat over a quiet window.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, startTargetProcess } from './harness.js';

const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function runOnce(count: number, withProbes: boolean, targetPort: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podvisor-footprint-'));
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const probe = withProbes
      ? `\n      livenessProbe: {tcpSocket: {port: ${targetPort}}, periodSeconds: 1}`
      : '';
    docs.push(`apiVersion: v1
kind: Pod
metadata: {name: idle-${i}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: app
      command: [sleep, "3600"]${probe}
`);
  }
  writeFileSync(join(dir, 'pods.yaml'), docs.join('---\n'));
  const stateDir = join(dir, 'state');
  const child = spawn(
    // run the bin as users do (npx): its shebang carries podvisor's V8 flags
    'bin/podvisor.js',
    ['up', '-f', join(dir, 'pods.yaml'), '--state-dir', stateDir, '--listen', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    const deadline = Date.now() + 120_000;
    while (!existsSync(join(stateDir, 'api.json'))) {
      if (Date.now() > deadline) throw new Error('podvisor up did not start');
      await new Promise((r) => setTimeout(r, 100));
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
      if (list.items.filter((p) => p.status?.phase === 'Running').length >= count) break;
      if (Date.now() > deadline) throw new Error('pods did not all run');
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = cpuTicks(child.pid!);
    const windowMs = 10_000;
    await new Promise((r) => setTimeout(r, windowMs));
    const cpu = ((cpuTicks(child.pid!) - t0) / CLK_TCK / (windowMs / 1000)) * 100;
    const rss = rssMiB(child.pid!);
    return [
      `idle: ${count} containers${withProbes ? ' + tcpSocket liveness @1s each' : ', no probes'} (podvisor up)`,
      `RSS ${fmt(rss)} MiB, CPU ${fmt(cpu, 2)} % of a core (10 s window)`,
      '',
    ];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureIdleFootprint(count: number): Promise<string[][]> {
  const target = await startTargetProcess();
  try {
    const rows: string[][] = [];
    for (const n of [1, count]) rows.push(await runOnce(n, false, target.port));
    rows.push(await runOnce(count, true, target.port));
    return rows;
  } finally {
    target.child.kill();
  }
}
