/** Exit codes: 0 ok, 1 the operation failed, 2 bad input (arguments, project, environment). */
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** A user-facing failure: one clear sentence, and what to do about it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
