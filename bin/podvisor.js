#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size: a node's live heap is small (about 15 MB with 200 containers), but bursts
// of short-lived garbage (spawns, status updates) grow V8's young generation to 16 MB semi-spaces
// that are never given back; capping them keeps RSS near the live set for a few more cheap
// scavenges (200 idle containers: 95 → 70 MB RSS). It must be a start-up flag, hence the shebang.
// The CLI runs from compiled output (built by `npm ci` through the `prepare` script) so that a
// node of podvisor does not pay for a TypeScript loader in its memory or start-up time.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write(
    'podvisor: the compiled CLI is missing (dist/). Run `npm run build` in the podvisor checkout.\n',
  );
  process.exit(1);
}
const { main } = await import(compiled);
process.exitCode = await main(process.argv.slice(2));
