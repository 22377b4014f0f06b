// Bundles the stand-alone `podvisor check` (src/probe/checks/standalone.ts) into one file that
// plain `node` runs inside any container: dist/podvisor-check.mjs. Owned by the checks engineer.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entry = 'src/probe/checks/standalone.ts';
if (!existsSync(entry)) {
  console.log(`bundle-check: ${entry} does not exist yet; nothing bundled`);
} else {
  await build({
    entryPoints: [entry],
    outfile: 'dist/podvisor-check.mjs',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
}
