/**
 * A diagnostic (not a scenario): one subject, N apps, one crash each, with the timeline of every
 * restart: crash sent → old pid gone → new pid seen → new instance answering. Shows where the time
 * of a slow restart goes. `node --import tsx bench/compare/peers/restart-timeline.ts podvisor 5`
 */
import { control, getApp } from './app-client.js';
import { httpApps, startupCalibration, withSupervisor } from './http-apps.js';
import { allSupervisors, isRunning, prepareOnce, sleep } from './index.js';

async function main(): Promise<void> {
  const [subject = 'podvisor', countArg = '5'] = process.argv.slice(2);
  const supervisor = allSupervisors().find((s) => s.subject === subject);
  if (!supervisor)
    throw new Error(`unknown subject ${subject}: podvisor, pm2, supervisord, monit, bare-loop`);
  const prepared = await prepareOnce(supervisor);
  if (!prepared.ok) throw new Error(prepared.reason);
  const { padMs } = await startupCalibration();
  const apps = await httpApps('tl', Number(countArg), padMs);
  await withSupervisor(prepared, apps, async (running) => {
    for (const app of apps) {
      await sleep(300 + Math.random() * 700);
      const oldPid = (await running.appPids()).get(app.name)!;
      const t0 = performance.now();
      void control(app.port!, '/crash');
      while (isRunning(oldPid)) await sleep(1);
      const gone = performance.now() - t0;
      let spawned = NaN;
      let answered = NaN;
      let startup = NaN;
      for (;;) {
        if (Number.isNaN(spawned)) {
          const pids = await running.appPids();
          const p = pids.get(app.name);
          if (p !== undefined && p !== oldPid) spawned = performance.now() - t0;
        }
        const r = await getApp(app.port!, '/healthz?bench', 200);
        if (r?.status === 200 && r.body.pid !== oldPid) {
          answered = performance.now() - t0;
          startup = r.body.startupMs ?? NaN;
          break;
        }
        await sleep(2);
      }
      console.log(
        `${app.name}: gone ${gone.toFixed(1)} ms, new pid seen ${spawned.toFixed(1)} ms, answering ${answered.toFixed(1)} ms (app start-up ${startup.toFixed(1)} ms)`,
      );
    }
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
