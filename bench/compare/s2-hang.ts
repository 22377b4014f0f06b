/**
 * S2 hang and S2' HTTP 500 (issue 6): an httpGet liveness check at periodSeconds 1,
 * timeoutSeconds 1, failureThreshold 1, on podvisor and the same on monit (`set daemon 1`,
 * `with timeout 1 seconds for 1 cycles`). The time from the /hang (/fail) request to a fresh
 * instance answering /healthz. PM2 and supervisord have no HTTP checks; the bare loop has none.
 *
 * The semantic floor of each sample: the wait for the check's next tick (from the app: the time
 * since the checker's last /healthz, against the 1 s period) + the probe timeout (S2: 1 s; S2': the
 * 500 comes back at once) + the new instance's own start-up (process start → listening, which it
 * reports). podvisor's overhead = measured − floor, per sample; the target is on its median.
 *
 * Each subject supervises BENCH_S2_REPS apps per round (default 13; 2 rounds = 26 samples), each
 * failed once per round (podvisor: a liveness kill's restart is the pod's first, so immediate).
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
  withSupervisor,
  type HttpCheck,
} from './peers/http-apps.js';
import {
  monit,
  podvisorPeer,
  prepareOnce,
  pm2,
  sleep,
  supervisord,
  bareLoop,
  type PreparedSupervisor,
} from './peers/index.js';
import { limitTarget, median, ratioTarget } from './report.js';

const CHECK: HttpCheck = { path: '/healthz', periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1 };
/** podvisor's kill is not the bottleneck: the app exits on SIGTERM at once; this only caps a stuck one. */
const GRACE_SECONDS = 2;

type Variant = { id: 'S2' | "S2'"; fault: '/hang' | '/fail'; what: string; timeoutMs: number };
const VARIANTS: Variant[] = [
  {
    id: 'S2',
    fault: '/hang',
    what: 'app hangs (accepts, never answers)',
    timeoutMs: CHECK.timeoutSeconds * 1000,
  },
  { id: "S2'", fault: '/fail', what: 'app answers 500', timeoutMs: 0 },
];

interface Samples {
  total: number[];
  floor: number[];
  overhead: number[];
}

async function faultRound(
  prepared: PreparedSupervisor & { ok: true },
  variant: Variant,
  count: number,
  padMs: number,
  into: Samples,
): Promise<string> {
  const apps = await httpApps(variant.fault === '/hang' ? 's2h' : 's2f', count, padMs, CHECK);
  return withSupervisor(prepared, apps, async (running) => {
    // past the kubelet's first-probe jitter and monit's start-timeout pause of connection tests
    await sleep(2_500);
    for (const app of apps) {
      await randomPhase();
      // the instance that answers is the one to fail (its pid, not a /proc scan: cheap and exact)
      const { pid: oldPid } = await waitHealthy(app.port!, 30_000);
      const t0 = performance.now();
      const reply = await control(app.port!, variant.fault);
      const fresh = await waitForFreshInstance(app.port!, oldPid, 30_000);
      const total = fresh.at - t0;
      into.total.push(total);
      const since = reply?.body.sinceCheckMs;
      const startup = fresh.body.startupMs;
      if (typeof since === 'number' && Number.isFinite(since) && typeof startup === 'number') {
        const period = CHECK.periodSeconds * 1000;
        const untilTick = (period - (since % period)) % period;
        const floor = untilTick + variant.timeoutMs + startup;
        into.floor.push(floor);
        into.overhead.push(total - floor);
      }
    }
    return running.configText;
  });
}

export async function runS2(): Promise<ScenarioReport[]> {
  const perRound = reps('BENCH_S2_REPS', 13);
  const rounds = reps('BENCH_COMPARE_ROUNDS', 2);
  const loadBefore = loadNote();
  const { plainMs, padMs } = await startupCalibration();
  const checked = await Promise.all(
    [podvisorPeer({ terminationGracePeriodSeconds: GRACE_SECONDS }), monit].map((s) => prepareOnce(s)),
  );
  const noChecks: { subject: Subject; why: string }[] = [
    { subject: pm2.subject, why: 'no HTTP checks' },
    { subject: supervisord.subject, why: 'no HTTP checks' },
    { subject: bareLoop.subject, why: 'no health checks' },
  ];
  const samples = new Map<string, Samples>();
  const configs = new Map<Variant['id'], ScenarioReport['configs']>();
  const failures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of VARIANTS) {
      for (const p of checked) {
        if (!p.ok) continue;
        const key = `${variant.id}/${p.supervisor.subject}`;
        const s = samples.get(key) ?? { total: [], floor: [], overhead: [] };
        samples.set(key, s);
        process.stderr.write(
          `${variant.id} round ${round}/${rounds}: ${p.supervisor.subject} (${perRound} × ${variant.fault})\n`,
        );
        try {
          const config = await faultRound(p, variant, perRound, padMs, s);
          if (round === 1)
            configs.set(variant.id, [
              ...(configs.get(variant.id) ?? []),
              { subject: p.supervisor.subject, text: config },
            ]);
        } catch (err) {
          failures.push(`${variant.id} ${p.supervisor.subject}, round ${round}: ${String(err)}`);
        }
      }
    }
  }
  return VARIANTS.map((variant): ScenarioReport => {
    const measurements: Measurement[] = [];
    const metrics = [
      [`${variant.id} ${variant.what} → fresh instance answering`, (s: Samples) => s.total],
      [
        `${variant.id} semantic floor (tick phase${variant.timeoutMs ? ' + 1 s timeout' : ''} + start-up)`,
        (s: Samples) => s.floor,
      ],
      [`${variant.id} overhead over the floor`, (s: Samples) => s.overhead],
    ] as const;
    for (const [metric, pick] of metrics) {
      for (const p of checked) {
        const subject = p.supervisor.subject;
        if (!p.ok) measurements.push({ metric, subject, unit: 'ms', samples: [], skipped: p.reason });
        else
          measurements.push({
            metric,
            subject,
            unit: 'ms',
            samples: pick(samples.get(`${variant.id}/${subject}`)!),
          });
      }
      if (pick === metrics[0][1])
        for (const n of noChecks)
          measurements.push({ metric, subject: n.subject, unit: 'ms', samples: [], skipped: n.why });
    }
    const of = (subject: Subject): Samples =>
      samples.get(`${variant.id}/${subject}`) ?? { total: [], floor: [], overhead: [] };
    const targets: TargetCheck[] = [
      limitTarget(
        `${variant.id} within 50 ms of the semantic floor (median overhead)`,
        of('podvisor').overhead,
        50,
        'ms',
      ),
      ratioTarget(
        `${variant.id} ≤ 0.8× monit with the same settings (median)`,
        of('podvisor').total,
        of('monit').total,
        0.8,
      ),
    ];
    return {
      id: variant.id,
      title: `${variant.what} → a fresh instance answering /healthz; liveness httpGet /healthz at periodSeconds 1, timeoutSeconds 1, failureThreshold 1`,
      measurements,
      targets,
      configs: configs.get(variant.id) ?? [],
      notes: [
        `${rounds} round(s) × ${perRound} faults per subject, one per app per round (podvisor: one per pod, so the restart after the liveness kill is the pod's first: immediate); every round starts each subject afresh.`,
        `Timing: from just before the ${variant.fault} request is sent to the first 200 from a new pid; the old pid's exit is watched in /proc every ${EXIT_POLL_MS} ms, then /healthz is polled on fresh connections every ${HTTP_POLL_MS} ms.`,
        `Floor per sample: time to the check's next tick (1 s period − the app's time since the checker's last /healthz; a uniform 0–1 s, median ≈ 500 ms) ${variant.timeoutMs ? '+ the 1 s probe timeout ' : '(the 500 answers at once) '}+ the new instance's process start → listening (median of these: ${median(checked.flatMap((p) => samples.get(`${variant.id}/${p.supervisor.subject}`)?.floor ?? [])).toFixed(0)} ms overall). Kill time is taken as 0 (the app exits on SIGTERM at once).`,
        `podvisor: terminationGracePeriodSeconds ${GRACE_SECONDS} (only a cap; the app exits on SIGTERM). monit: its cycle cannot go below 1 s, and it pauses connection tests while a process's uptime is below the start timeout (1 s here, 30 s by default).`,
        `The app: plain Node needs ${plainMs.toFixed(1)} ms from exec to accepting connections here; START_DELAY_MS=${padMs}. Load average before: ${loadBefore}; after: ${loadNote()}.`,
        ...checked.map((p) =>
          p.ok ? `${p.supervisor.subject}: ${p.version}` : `${p.supervisor.subject}: skipped — ${p.reason}`,
        ),
        ...failures.filter((f) => f.startsWith(`${variant.id} `)).map((f) => `FAILED: ${f}`),
      ],
      rerun: 'npm run bench -- s2',
    };
  });
}
