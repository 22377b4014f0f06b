#!/usr/bin/env node
// Runs the suite with Node's own test runner: builds first (e2e tests drive the compiled CLI as a
// user would), then runs unit tests on a fake clock and e2e tests against real processes.
// Usage: node scripts/test.mjs [unit|e2e|hostile|fuzz|reliability|security] [extra files...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const which = process.argv[2];
function find(dir) {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// Issue 7's suites (hostile probe targets, fuzzed manifests, escaping processes and floods, security)
// live beside unit and e2e and run with them.
const ALL_SUITES = ['unit', 'e2e', 'hostile', 'fuzz', 'reliability', 'security'];
const suites = ALL_SUITES.includes(which) ? [which] : ALL_SUITES;
const files = suites.flatMap((s) => find(join('test', s)));
if (process.argv.length > 3) files.splice(0, files.length, ...process.argv.slice(3));
// Files run in parallel child processes; e2e files are mostly waiting on real timers, so run
// more of them than there are cores.
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=8',
    // A hung test fails after 5 minutes instead of holding CI to its limit.
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
