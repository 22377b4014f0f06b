// Preloaded into a measured `podvisor up` (node --import): on SIGUSR2 it writes the process's own
// view of its memory (process.memoryUsage, V8 heap spaces) to $PODVISOR_MEMREPORT, and with
// $PODVISOR_MEMREPORT_SNAPSHOT also a heap snapshot into that folder. With --expose-gc it first
// collects garbage twice, so that A/B comparisons of two builds see their live heaps and not
// where each happened to be in its GC cycle (RSS read after the collection, VmRSS). Measurement only: podvisor
// itself never loads this file.
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const out = process.env.PODVISOR_MEMREPORT;
const snapshotDir = process.env.PODVISOR_MEMREPORT_SNAPSHOT;
if (out) {
  process.on('SIGUSR2', () => {
    const collect = globalThis.gc;
    if (typeof collect === 'function') {
      collect();
      collect();
    }
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]),
    );
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    const report = {
      memoryUsage: process.memoryUsage(),
      spaces,
      heap: v8.getHeapStatistics(),
      afterGc: typeof collect === 'function',
      status: { VmRSS: kib('VmRSS'), RssAnon: kib('RssAnon'), RssFile: kib('RssFile') },
    };
    if (snapshotDir) {
      const file = `${snapshotDir}/podvisor-${process.pid}-${Date.now()}.heapsnapshot`;
      v8.writeHeapSnapshot(file);
      report.snapshot = file;
    }
    writeFileSync(out, JSON.stringify(report));
  });
}
