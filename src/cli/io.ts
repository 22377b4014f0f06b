/**
 * Where a command reads and writes. `main` uses the process's streams; tests pass their own so
 * commands run in-process with captured output.
 */
export interface TextSink {
  write(chunk: string): unknown;
}

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** Standard input, for `apply -f -`. */
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (colours in the `up` stream). */
  isTTY: boolean;
}

export function processIO(): CliIO {
  // A closed pipe (`podvisor get pods -w | head`) acts like SIGPIPE would on kubectl: the running
  // command is asked to stop (a node stops gracefully) instead of crashing on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.emit('SIGTERM');
    else throw err;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    isTTY: process.stdout.isTTY === true,
  };
}
