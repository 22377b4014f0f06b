/** Exit codes of the command-line contract (DESIGN.md): 0 success, 1 error, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/**
 * An error the user can act on. The message is printed as is (already prefixed `error: ` or
 * `Error from server (...)` as kubectl would), so it must say what was wrong and what to do.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ERROR,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}
