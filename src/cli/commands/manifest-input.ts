import { loadManifests, type LoadedObject } from '../../api/manifests.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * All `file:line: ...` errors, then what to do. Nothing is applied when any manifest has an error
 * (loadManifests then returns no objects at all).
 */
export function manifestErrors(errors: string[], action: string): CliError {
  const n = errors.length;
  return new CliError(
    `${errors.map((e) => `error: ${e}`).join('\n')}\n` +
      `error: ${n} problem${n === 1 ? '' : 's'} in the manifests, so nothing was ${action}: ` +
      `fix ${n === 1 ? 'it' : 'them'} and run the command again`,
  );
}

/**
 * Loads (`-` is standard input) and admits manifests for a client command. Warnings go to stderr as
 * `Warning: file:line: ...` and are returned so that the server's copies can be left out.
 */
export async function loadForClient(
  ctx: CommandContext,
  paths: string[],
  action: string,
  opts: { quiet?: boolean } = {},
): Promise<{ objects: LoadedObject[]; warnings: string[] }> {
  const result = await loadManifests(paths, { readStdin: () => readAll(ctx.io.stdin) });
  if (result.errors.length > 0) throw manifestErrors(result.errors, action);
  if (!opts.quiet) for (const w of result.warnings) ctx.io.stderr.write(`Warning: ${w}\n`);
  if (result.objects.length === 0) {
    throw new CliError(`error: no objects passed to the command: ${paths.join(', ')} hold no manifests`);
  }
  return { objects: result.objects, warnings: result.warnings };
}
