/** Where things are in the podvisor checkout, found from this file (works from src and from dist). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"podvisor"/.test(readFileSync(pkg, 'utf8'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no podvisor checkout above ${start}`);
  }
}

/** The checkout root (the folder holding podvisor's package.json). */
export const REPO_ROOT: string = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
/** The CLI under test; PODVISOR_E2E_BIN points the harness at another build (or a stand-in). */
export const BIN: string = process.env.PODVISOR_E2E_BIN ?? join(REPO_ROOT, 'bin', 'podvisor.js');
export const APPS_DIR: string = join(REPO_ROOT, 'examples', 'apps');
