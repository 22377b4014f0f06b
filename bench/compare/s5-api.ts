/**
 * S5 API: a real `podvisor up` with 1,000 pods — list them as JSON and as a Table (kubectl's
 * Accept header), watch delivery latency (a label PATCH → the watch event read by the client),
 * and `kubectl get pods` wall time. PM2, supervisord, monit and a respawn loop have no
 * Kubernetes-style API: they are listed as skipped with that reason.
 *
 * Environment: BENCH_S5_PODS (default 1000), BENCH_S5_REPS (list requests per kind, default 30),
 * BENCH_S5_WATCH (watch samples, default 60), BENCH_S5_KUBECTL (warm kubectl runs, default 25),
 * BENCH_S5_NODE_ARGS (node flags for the podvisor process, e.g. `--inspect=127.0.0.1:9239` to take
 * CPU profiles of one phase over the inspector: --cpu-prof is lost, as the node is killed at the end),
 * BENCH_S5_PODVISOR (the bin/podvisor.js to run; default this checkout's, e.g. an older build's
 * for before/after figures).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, percentile } from '../harness.js';
import type { Measurement, ScenarioReport, Subject, TargetCheck } from './types.js';
import { podvisorBin, startPodvisorUp, TimedClient, type PodvisorUp } from './s5-node.js';
import { measureWatchDelivery } from './s5-watch.js';

/** What kubectl 1.2x sends for `kubectl get` (kubectl-surface §1.2). */
export const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const LIST_TARGET_MS = 100;
const WATCH_TARGET_MS = 10;
const PEERS: readonly Subject[] = ['pm2', 'supervisord', 'monit', 'bare-loop'];

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

function summary(samples: readonly number[]): string {
  return `median ${fmt(percentile([...samples], 50))} ms, p90 ${fmt(percentile([...samples], 90))} ms, max ${fmt(Math.max(...samples))} ms`;
}

async function timeList(
  node: PodvisorUp,
  path: string,
  reps: number,
  accept?: string,
): Promise<{ samples: number[]; bytes: number }> {
  const client = new TimedClient(node.server, node.token);
  try {
    const opts = accept ? { accept } : {};
    // Warm-up: the first requests pay for connection set-up and V8 compiling the handlers.
    for (let i = 0; i < 3; i++) await client.request('GET', path, opts);
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < reps; i++) {
      const res = await client.request('GET', path, opts);
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
      samples.push(res.ms);
      bytes = res.bytes;
    }
    return { samples, bytes };
  } finally {
    client.close();
  }
}

function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** kubectl -v=6 logs each request's time: `"Response" verb="GET" url="…/pods?limit=500" … milliseconds=13`. */
function listResponseMs(stderr: string): number | undefined {
  const m = /"Response" verb="GET" url="[^"]*\/pods\?limit=500"[^\n]*milliseconds=(\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** `kubectl get pods` with a kubeconfig from `podvisor kubeconfig`: one cold run, then warm ones. */
async function timeKubectl(
  node: PodvisorUp,
  runs: number,
  count: number,
): Promise<{ cold: number; warm: number[]; onePod: number[]; serverMs: number[] } | { skipped: string }> {
  const home = mkdtempSync(join(tmpdir(), 'podvisor-s5-kubectl-'));
  try {
    const kubeconfig = join(home, 'kubeconfig');
    // `podvisor kubeconfig` reads api.json and the serving certificate from the state dir.
    await run(
      process.execPath,
      [podvisorBin(), 'kubeconfig', '--state-dir', node.stateDir, '--output-file', kubeconfig],
      process.env,
    );
    const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
    const once = async (what: string[], lines: number): Promise<number> => {
      const t0 = performance.now();
      const out = (await run('kubectl', ['--cache-dir', join(home, 'cache'), ...what], env)).stdout;
      const ms = performance.now() - t0;
      const printed = out.trim().split('\n').length;
      if (printed !== lines)
        throw new Error(`kubectl ${what.join(' ')} printed ${printed} lines, expected ${lines}`);
      return ms;
    };
    const cold = await once(['get', 'pods'], count + 1);
    const warm: number[] = [];
    const onePod: number[] = [];
    for (let i = 0; i < runs; i++) {
      warm.push(await once(['get', 'pods'], count + 1));
      onePod.push(await once(['get', 'pod', 'api-0000'], 2));
    }
    // Separate runs with -v=6 (its logging would add to the wall times above): the list request's
    // own time as kubectl saw it, TLS included.
    const serverMs: number[] = [];
    for (let i = 0; i < Math.min(runs, 10); i++) {
      const { stderr } = await run(
        'kubectl',
        ['--cache-dir', join(home, 'cache'), '-v=6', 'get', 'pods'],
        env,
      );
      const ms = listResponseMs(stderr);
      if (ms !== undefined) serverMs.push(ms);
    }
    return { cold, warm, onePod, serverMs };
  } catch (err) {
    return { skipped: `kubectl failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function noApi(metric: string, unit: Measurement['unit']): Measurement[] {
  return PEERS.map((subject) => ({
    metric,
    subject,
    unit,
    samples: [],
    skipped: 'no Kubernetes-style API: nothing to list, watch or point kubectl at',
  }));
}

function targetOf(name: string, samples: readonly number[], limitMs: number): TargetCheck {
  const median = percentile([...samples], 50);
  return {
    target: `${name} ≤ ${limitMs} ms`,
    met: median <= limitMs,
    detail: `${summary(samples)} (judged at the median)`,
  };
}

export async function runS5(): Promise<ScenarioReport[]> {
  const count = envInt('BENCH_S5_PODS', 1000);
  const reps = envInt('BENCH_S5_REPS', 30);
  const watchSamples = envInt('BENCH_S5_WATCH', 60);
  const kubectlRuns = envInt('BENCH_S5_KUBECTL', 25);
  const nodeArgs = (process.env.BENCH_S5_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const started = Date.now();
  const node = await startPodvisorUp(count, nodeArgs);
  const notes: string[] = [];
  const measurements: Measurement[] = [];
  const targets: TargetCheck[] = [];
  try {
    notes.push(`podvisor up with ${count} pods Running after ${fmt((Date.now() - started) / 1000)} s`);
    const path = '/api/v1/namespaces/default/pods';
    progress(`S5: ${count} pods Running; timing lists`);
    const json = await timeList(node, path, reps);
    const table = await timeList(node, path, reps, TABLE_ACCEPT);
    const kubectlList = await timeList(node, `${path}?limit=500`, reps, TABLE_ACCEPT);
    const listJson = `S5 list ${count} pods, JSON`;
    const listTable = `S5 list ${count} pods, Table`;
    measurements.push(
      {
        metric: listJson,
        subject: 'podvisor',
        unit: 'ms',
        samples: json.samples,
        note: `${fmt(json.bytes / 1024)} KiB per response; request sent → last byte read, one keep-alive connection`,
      },
      {
        metric: listTable,
        subject: 'podvisor',
        unit: 'ms',
        samples: table.samples,
        note: `${fmt(table.bytes / 1024)} KiB per response (rows carry PartialObjectMetadata, as kubectl asks)`,
      },
      {
        metric: `S5 list ${count} pods, Table, ?limit=500 (kubectl's request)`,
        subject: 'podvisor',
        unit: 'ms',
        samples: kubectlList.samples,
        note: 'limit is honoured by answering everything without a continue token (kubectl-surface §3)',
      },
    );
    targets.push(targetOf(listJson, json.samples, LIST_TARGET_MS));
    targets.push(targetOf(listTable, table.samples, LIST_TARGET_MS));

    progress('S5: timing watch delivery');
    const watch = await measureWatchDelivery(node, watchSamples, count, TABLE_ACCEPT);
    const watchJson = 'S5 watch delivery (PATCH sent → event read), JSON watch';
    measurements.push(
      { metric: watchJson, subject: 'podvisor', unit: 'ms', samples: watch.json, note: watch.note },
      {
        metric: 'S5 watch delivery (PATCH sent → event read), Table watch (kubectl get -w)',
        subject: 'podvisor',
        unit: 'ms',
        samples: watch.table,
      },
      {
        metric: 'S5 PATCH round trip (for reference)',
        subject: 'podvisor',
        unit: 'ms',
        samples: watch.patch,
      },
    );
    targets.push(targetOf(watchJson, watch.json, WATCH_TARGET_MS));

    progress('S5: timing kubectl get pods');
    const kubectl = await timeKubectl(node, kubectlRuns, count);
    const kubectlMetric = `S5 kubectl get pods, ${count} pods (warm discovery cache)`;
    if ('skipped' in kubectl) {
      measurements.push({
        metric: kubectlMetric,
        subject: 'podvisor',
        unit: 'ms',
        samples: [],
        skipped: kubectl.skipped,
      });
    } else {
      measurements.push({
        metric: kubectlMetric,
        subject: 'podvisor',
        unit: 'ms',
        samples: kubectl.warm,
        note: `cold (first run, empty --cache-dir, discovery fetched): ${fmt(kubectl.cold)} ms; process start to exit, output checked (${count + 1} lines)`,
      });
      measurements.push({
        metric: 'S5 kubectl get pod api-0000 (one pod: kubectl’s own start-up and discovery floor)',
        subject: 'podvisor',
        unit: 'ms',
        samples: kubectl.onePod,
        note: 'runs interleaved with the 1,000-pod ones; the difference is what 1,000 pods cost end to end',
      });
      measurements.push({
        metric: `S5 kubectl get pods: its list request alone (kubectl -v=6 "Response … milliseconds")`,
        subject: 'podvisor',
        unit: 'ms',
        samples: kubectl.serverMs,
        note: 'GET …/pods?limit=500 with the Table Accept header over TLS, whole milliseconds as kubectl logs them; the rest of the wall time is kubectl decoding and printing 1,000 rows, and its start-up',
      });
    }
    for (const m of [listJson, listTable, watchJson, kubectlMetric]) measurements.push(...noApi(m, 'ms'));
    notes.push(
      'PM2, supervisord, monit and the bare respawn loop have no Kubernetes-style API, so S5 has no peer figures (pm2 jlist / supervisorctl status are not lists with selectors, watches or resourceVersions).',
      `Client and podvisor share the machine (2 cores); load average at the end: ${(await loadAverage()).join(', ')}.`,
      "Fix (issue 6): lists used to deep-copy every stored pod (structuredClone) and JSON.stringify each one on every request; the store now hands the API server its deep-frozen stored objects (ListOptions.shared) and the server caches each frozen object's JSON text. Before, same bench and machine: list 1,000 pods JSON median 50 ms (p90 72–95; 174 ms at load average 19), Table 34–146 ms (p90 76–198); after: JSON 10–13 ms (p90 21–29), Table 7–10 ms (p90 12–24). Watch delivery median 3.4–4.8 → 2.5–3.2 ms.",
      'kubectl on this machine is the Google Cloud SDK dispatcher, which reads the server version (cached in $HOME) and runs the matching kubectl 1.33: its start-up is part of every kubectl figure.',
    );
  } finally {
    await node.stop();
  }
  return [
    {
      id: 'S5',
      title: `API: list ${count} pods (JSON, Table), watch delivery, kubectl get pods`,
      measurements,
      targets,
      configs: [
        {
          subject: 'podvisor',
          text: `podvisor up -f pods.yaml --state-dir <tmp> --listen 127.0.0.1:0  (${count} pods like:)\n${node.manifest.split('---\n')[0] ?? ''}`,
        },
      ],
      notes,
      rerun: 'npm run bench -- s5',
    },
  ];
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

async function loadAverage(): Promise<string[]> {
  const { loadavg } = await import('node:os');
  return loadavg().map((n) => n.toFixed(2));
}
