/**
 * The hostile targets' own process (forked by target-host.ts): their work (a thousand trickling
 * connections, 1 GiB bodies) stays out of the measured process's event loop, memory and fd table,
 * as a pod's server stays out of podvisor's.
 */
import { StarvationMeter, type EpochStall } from './starvation.js';
import { startTarget, type AnyTarget, type TargetSpec } from './targets.js';

export type HostCommand =
  | { op: 'start'; spec: TargetSpec }
  | { op: 'stats' | 'close'; port: number }
  | { op: 'stalls'; sinceEpochMs: number };
export type HostRequest = HostCommand & { id: number };

export type HostReply = {
  id: number;
  port?: number;
  stats?: ReturnType<AnyTarget['stats']>;
  stalls?: EpochStall[];
  error?: string;
};

const targets = new Map<number, AnyTarget>();
// The servers starve on a loaded machine too; the tests excuse the verdicts that waited on them.
const meter = new StarvationMeter();
meter.start();

async function handle(req: HostRequest): Promise<HostReply> {
  if (req.op === 'start') {
    const target = await startTarget(req.spec);
    targets.set(target.port, target);
    return { id: req.id, port: target.port };
  }
  if (req.op === 'stalls') return { id: req.id, stalls: meter.exportSince(req.sinceEpochMs) };
  const target = targets.get(req.port);
  if (target === undefined) return { id: req.id, error: `no target on port ${req.port}` };
  if (req.op === 'stats') return { id: req.id, stats: target.stats() };
  targets.delete(req.port);
  await target.close();
  return { id: req.id };
}

process.on('message', (req: HostRequest) => {
  handle(req).then(
    (reply) => process.send?.(reply),
    (err: unknown) => process.send?.({ id: req.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The test process went away (even by a crash): so does this one.
process.on('disconnect', () => process.exit(0));
