// The "bare Node respawn loop" peer (issue 6): one Node process that spawns every app and respawns
// each the moment it exits, with no delay, no backoff and no health checks. The lower bound a
// supervisor can reach for a crash, and the smallest Node supervisor for the footprint.
// Usage: node respawn-loop.mjs APPS.json, where APPS.json is [{"name", "argv": [...], "env": {...}}];
// each app gets this process's environment plus its own, as under any other supervisor.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('respawn-loop: give the apps file, e.g. `node respawn-loop.mjs apps.json`\n');
  process.exit(2);
}
const apps = JSON.parse(readFileSync(file, 'utf8'));
const children = new Map();
let stopping = false;

function run(app) {
  const child = spawn(app.argv[0], app.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ...app.env },
  });
  children.set(app.name, child);
  child.on('error', (err) => process.stderr.write(`respawn-loop: ${app.name}: ${err.message}\n`));
  child.on('exit', () => {
    if (stopping) {
      children.delete(app.name);
      if (children.size === 0) process.exit(0);
    } else run(app);
  });
}

function stop() {
  stopping = true;
  for (const [name, child] of children) {
    if (child.exitCode !== null || child.signalCode !== null) children.delete(name);
    else child.kill('SIGTERM');
  }
  if (children.size === 0) process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
for (const app of apps) run(app);
