/**
 * Every subject behind PeerSupervisor, podvisor first (the ratio column is podvisor / peer).
 * Each `prepare()` installs what is missing (npm on demand into bench/.peers; apt as root).
 */
import type { Subject } from '../types.js';
import type { PeerSupervisor } from '../peer-types.js';
import { bareLoop } from './bare-loop.js';
import { monit } from './monit.js';
import { pm2 } from './pm2.js';
import { podvisorPeer, type PodvisorPodOptions } from './podvisor.js';
import { supervisord } from './supervisord.js';

export { bareLoop } from './bare-loop.js';
export { monit, writeMonitConfig } from './monit.js';
export { pm2, pm2Ecosystem, PM2_VERSION } from './pm2.js';
export { podManifests, podvisorPeer, type PodvisorPodOptions } from './podvisor.js';
export { supervisord, supervisordConf } from './supervisord.js';
export * from './process-tools.js';

export const SUBJECTS: readonly Subject[] = ['podvisor', 'pm2', 'supervisord', 'monit', 'bare-loop'];

/**
 * podvisor, PM2, supervisord, monit and the bare respawn loop, in the table's column order; with
 * BENCH_SUBJECTS (e.g. `podvisor,bare-loop`) only those, for a quick A/B of one change.
 */
export function allSupervisors(podvisorOptions: PodvisorPodOptions = {}): PeerSupervisor[] {
  const all = [podvisorPeer(podvisorOptions), pm2, supervisord, monit, bareLoop];
  const wanted = process.env.BENCH_SUBJECTS?.split(',').map((s) => s.trim());
  if (!wanted) return all;
  const unknown = wanted.filter((w) => !all.some((s) => s.subject === w));
  if (unknown.length > 0)
    throw new Error(
      `BENCH_SUBJECTS: unknown subject(s) ${unknown.join(', ')}: give some of ${SUBJECTS.join(',')}`,
    );
  return all.filter((s) => wanted.includes(s.subject));
}

export type PreparedSupervisor =
  | { supervisor: PeerSupervisor; ok: true; version: string }
  | { supervisor: PeerSupervisor; ok: false; reason: string };

/** Runs every prepare() once (installs are slow; scenarios share the result). */
const prepared = new Map<PeerSupervisor, Promise<PreparedSupervisor>>();
export function prepareOnce(supervisor: PeerSupervisor): Promise<PreparedSupervisor> {
  let p = prepared.get(supervisor);
  if (!p) {
    p = supervisor.prepare().then(
      (r): PreparedSupervisor =>
        r.ok ? { supervisor, ok: true, version: r.version } : { supervisor, ok: false, reason: r.reason },
      (err: unknown): PreparedSupervisor => ({
        supervisor,
        ok: false,
        reason: `prepare failed: ${String(err)}`,
      }),
    );
    prepared.set(supervisor, p);
  }
  return p;
}
