import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  lintManifests,
  type CheckRecognizer,
  type LintFinding,
  type LintReport,
} from '../../../src/api/lint/lint.js';
import { loadManifests } from '../../../src/api/manifests.js';
import { checkInvocation, parseCheckArgs } from '../../../src/probe/checks/index.js';

const LINT_FIXTURES = fileURLToPath(new URL('../../fixtures/lint/', import.meta.url));

/** A lint fixture's path as a user would type it from the current directory. */
export const lintFixture = (name: string): string => relative(process.cwd(), join(LINT_FIXTURES, name));

/** podvisor's own check recogniser and parser, as the CLI injects them. */
export const REAL_CHECKS: CheckRecognizer = { invocation: checkInvocation, parse: parseCheckArgs };

/** Loads and lints files as `podvisor lint` does for a single file (sources for field lines). */
export async function lintPaths(
  paths: string[],
  checks: CheckRecognizer | null = REAL_CHECKS,
): Promise<LintReport> {
  const loaded = await loadManifests(paths);
  const sources = new Map<string, string>();
  for (const p of paths) {
    try {
      sources.set(p, await readFile(p, 'utf8'));
    } catch {
      // a folder or a missing path: field lines fall back to the object's line
    }
  }
  return lintManifests(loaded, { checks: checks ?? undefined, sources });
}

/** Lints one manifest given as text (through `-`, standard input); `checks: null` lints without the recogniser. */
export async function lintText(
  text: string,
  checks: CheckRecognizer | null = REAL_CHECKS,
): Promise<LintReport> {
  const loaded = await loadManifests(['-'], { readStdin: () => Promise.resolve(text) });
  return lintManifests(loaded, { checks: checks ?? undefined, sources: new Map([['<stdin>', text]]) });
}

export function withRule(report: LintReport, rule: string): LintFinding[] {
  return report.findings.filter((f) => f.rule === rule);
}

/** A one-container Pod around the given container fields (YAML, indented for `containers:`). */
export function podWith(containerYaml: string, extraSpec = ''): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: p',
    'spec:',
    ...(extraSpec ? [extraSpec] : []),
    '  containers:',
    '    - name: app',
    '      image: example/app:1',
    '      command: ["/app"]',
    containerYaml,
  ].join('\n');
}
