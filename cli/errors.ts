/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** Bad arguments or an invalid file: nothing was changed. */
  usage: 2,
  notFound: 3,
  /** Someone else changed the thing meanwhile: nothing was changed. */
  conflict: 4,
} as const;

/** An error the CLI prints as one clear line (no stack trace) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
