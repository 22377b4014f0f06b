#!/usr/bin/env node
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
