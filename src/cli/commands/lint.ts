import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { lintManifests } from '../../api/lint/lint.js';
import { loadManifests, STDIN_NAME, type LoadedObject } from '../../api/manifests.js';
import { checkInvocation, parseCheckArgs } from '../../probe/checks/index.js';
import type { CommandContext } from '../context.js';
import { EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { formatLintReport } from '../printers/lint-report.js';

export interface LintOptions {
  filename?: string[];
  output?: string;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * The manifest files under a path, in the order loadManifests reads them (sorted, hidden entries
 * and node_modules skipped). A path that cannot be read gives none: loadManifests reports it.
 */
async function manifestFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return [];
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(path, e.name);
    if (e.isDirectory()) out.push(...(await manifestFiles(full)));
    else if (e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

/**
 * `podvisor lint FILE|DIR|- …` (issue 5, item 4). Loading is apply's (same errors, same words);
 * as apply refuses everything when one manifest is bad, the files are then loaded one by one
 * so that the good ones are still linted. Exit 1 with any error finding, else 0; 2 on usage errors.
 */
export async function runLint(ctx: CommandContext, files: string[], opts: LintOptions): Promise<number> {
  const paths = [...files, ...(opts.filename ?? [])];
  if (paths.length === 0) {
    throw usageError(
      "error: must name manifests to lint: e.g. 'podvisor lint examples/' or 'podvisor lint -f pod.yaml'",
    );
  }
  if (opts.output !== undefined && opts.output !== 'json') {
    throw usageError(
      `error: unknown output format "${opts.output}": use -o json, or no -o for the human report`,
    );
  }
  let stdinText: string | undefined;
  const readStdin = async (): Promise<string> => (stdinText ??= await readAll(ctx.io.stdin));
  const all = await loadManifests(paths, { readStdin });

  const sources = new Map<string, string>();
  if (stdinText !== undefined) sources.set(STDIN_NAME, stdinText);
  const fileList = (await Promise.all(paths.filter((p) => p !== '-').map(manifestFiles))).flat();
  for (const file of fileList) {
    try {
      sources.set(file, await readFile(file, 'utf8'));
    } catch {
      // Unreadable: loadManifests has already reported it as an error.
    }
  }

  let objects: LoadedObject[] = all.objects;
  if (all.errors.length > 0) {
    objects = [];
    for (const p of [...(paths.includes('-') ? ['-'] : []), ...fileList]) {
      const one = await loadManifests([p], { readStdin });
      if (one.errors.length === 0) objects.push(...one.objects);
    }
  }

  const report = lintManifests(
    { objects, errors: all.errors, warnings: all.warnings },
    { checks: { invocation: checkInvocation, parse: parseCheckArgs }, sources },
  );
  if (opts.output === 'json') ctx.io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else ctx.io.stdout.write(formatLintReport(report, { colour: ctx.io.isTTY && !ctx.io.env.NO_COLOR }));
  return report.summary.errors > 0 ? EXIT_ERROR : EXIT_OK;
}
