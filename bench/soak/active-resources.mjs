// Preloaded into `podvisor up` by the soak benchmark (node --import): every second, writes the
// counts of process.getActiveResourcesInfo() (timers, sockets, fs requests that keep the event
// loop alive) to $PODVISOR_SOAK_RESOURCES, so a leak of timers is visible from outside. Its own
// interval is unref'd and so is not counted.
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.PODVISOR_SOAK_RESOURCES;
if (file) {
  const timer = setInterval(() => {
    const counts = {};
    for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), counts }));
    renameSync(`${file}.tmp`, file);
  }, 1000);
  timer.unref();
}
