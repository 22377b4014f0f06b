/**
 * S1 crash restart (issue 6): the app exits 1 on `/crash`; the time from sending that request to a
 * replacement instance (a new pid) answering `/healthz` with 200, on podvisor and every peer.
 *
 * Each subject supervises BENCH_S1_REPS apps (default 25) and each app is crashed once per round,
 * at a random phase (0–1000 ms after the previous replacement answered). podvisor's first restart
 * of a container is immediate and later ones back off (the kubelet's CrashLoopBackOff, spec §4.5),
 * so one crash per pod is exactly the "first restart" the issue compares; the peers get the same
 * one-crash-per-app treatment. Every round starts every subject afresh; rounds are interleaved
 * (round 1 of all subjects, then round 2) so slow drift in machine load hits all of them alike.
 */
import type { Measurement, ScenarioReport, Subject, TargetCheck } from './types.js';
import {
  control,
  EXIT_POLL_MS,
  HTTP_POLL_MS,
  waitForFreshInstance,
  waitHealthy,
} from './peers/app-client.js';
import {
  httpApps,
  loadNote,
  randomPhase,
  reps,
  startupCalibration,
  TARGET_STARTUP_MS,
  withSupervisor,
} from './peers/http-apps.js';
import { allSupervisors, prepareOnce, type PreparedSupervisor } from './peers/index.js';
import { median, ratioTarget } from './report.js';

export const S1_METRIC = 'S1 crash → replacement answering HTTP';
const S1_OVERHEAD =
  'S1 overhead over the new instance’s own start-up (crash → answering − process start → listening)';
const S1_STARTUP = 'S1 new instance: process start → listening (app-reported)';

interface Samples {
  total: number[];
  startup: number[];
  overhead: number[];
}

async function crashRound(
  prepared: PreparedSupervisor & { ok: true },
  count: number,
  padMs: number,
  into: Samples,
): Promise<string> {
  const apps = await httpApps('s1', count, padMs);
  return withSupervisor(prepared, apps, async (running) => {
    for (const app of apps) {
      await randomPhase();
      // the instance that answers is the one to fail (its pid, not a /proc scan: cheap and exact)
      const { pid: oldPid } = await waitHealthy(app.port!, 30_000);
      const t0 = performance.now();
      const sent = control(app.port!, '/crash');
      const fresh = await waitForFreshInstance(app.port!, oldPid, 30_000);
      await sent;
      into.total.push(fresh.at - t0);
      const startup = fresh.body.startupMs;
      if (typeof startup === 'number') {
        into.startup.push(startup);
        into.overhead.push(fresh.at - t0 - startup);
      }
    }
    return running.configText;
  });
}

export async function runS1(): Promise<ScenarioReport[]> {
  const perRound = reps('BENCH_S1_REPS', 25);
  const rounds = reps('BENCH_COMPARE_ROUNDS', 2);
  const loadBefore = loadNote();
  const { plainMs, padMs } = await startupCalibration();
  const prepared = await Promise.all(allSupervisors().map((s) => prepareOnce(s)));
  const samples = new Map<Subject, Samples>();
  const configs: ScenarioReport['configs'] = [];
  const failures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const p of prepared) {
      if (!p.ok) continue;
      const s = samples.get(p.supervisor.subject) ?? { total: [], startup: [], overhead: [] };
      samples.set(p.supervisor.subject, s);
      process.stderr.write(`S1 round ${round}/${rounds}: ${p.supervisor.subject} (${perRound} crashes)\n`);
      try {
        const config = await crashRound(p, perRound, padMs, s);
        if (round === 1) configs.push({ subject: p.supervisor.subject, text: config });
      } catch (err) {
        failures.push(`${p.supervisor.subject}, round ${round}: ${String(err)}`);
      }
    }
  }
  const measurements: Measurement[] = [];
  for (const [metric, pick] of [
    [S1_METRIC, (s: Samples) => s.total],
    [S1_OVERHEAD, (s: Samples) => s.overhead],
    [S1_STARTUP, (s: Samples) => s.startup],
  ] as const) {
    for (const p of prepared) {
      const subject = p.supervisor.subject;
      if (!p.ok) measurements.push({ metric, subject, unit: 'ms', samples: [], skipped: p.reason });
      else measurements.push({ metric, subject, unit: 'ms', samples: pick(samples.get(subject)!) });
    }
  }
  const total = (subject: Subject): number[] => samples.get(subject)?.total ?? [];
  const targets: TargetCheck[] = [
    ratioTarget('S1 ≤ 1.1× the bare respawn loop (median)', total('podvisor'), total('bare-loop'), 1.1),
    ratioTarget('S1 ≤ 0.8× PM2 (median)', total('podvisor'), total('pm2'), 0.8),
  ];
  const startupMedian = median(prepared.flatMap((p) => samples.get(p.supervisor.subject)?.startup ?? []));
  return [
    {
      id: 'S1',
      title: 'crash (exit 1) → a replacement instance answering /healthz',
      measurements,
      targets,
      configs,
      notes: [
        `${rounds} round(s) × ${perRound} crashes per subject, one crash per app per round (podvisor: one per pod, so each is the kubelet's immediate first restart); every round starts each subject afresh.`,
        `Timing: from just before the /crash request is sent to the first 200 from a new pid; the old pid's exit is watched in /proc every ${EXIT_POLL_MS} ms, then /healthz is polled on fresh connections every ${HTTP_POLL_MS} ms (the granularity).`,
        `Each crash lands at a random phase (0–1000 ms after the previous replacement answered), so 1 s supervisor loops are sampled uniformly.`,
        `The app: plain Node http-app.mjs needs ${plainMs.toFixed(1)} ms from exec to accepting connections here (median of 15, timed from the bench); START_DELAY_MS=${padMs} pads it to ~${TARGET_STARTUP_MS} ms as in the issue. The new instances reported a median ${startupMedian.toFixed(1)} ms from process start to listening (the floor of any restart).`,
        `Load average (1/5/15 min) and processes on the machine before: ${loadBefore}; after: ${loadNote()} (2 cores; other work on the machine inflates every subject).`,
        ...prepared.map((p) =>
          p.ok ? `${p.supervisor.subject}: ${p.version}` : `${p.supervisor.subject}: skipped — ${p.reason}`,
        ),
        ...failures.map((f) => `FAILED: ${f}`),
      ],
      rerun: 'npm run bench -- s1',
    },
  ];
}
