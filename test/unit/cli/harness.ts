import { Readable } from 'node:stream';
import { main } from '../../../src/cli/main.js';
import type { CliIO } from '../../../src/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, as a user would from a shell. */
export async function runCli(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: Readable.from([opts.stdin ?? '']),
    env: opts.env ?? {},
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
