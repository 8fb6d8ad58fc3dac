// How the command reports failure: one line `threadwal: <message>` on stderr and an exit
// code, 2 for a usage mistake and 1 for anything that went wrong while doing the work. A
// stack trace is printed only for errors nobody anticipated (a bug), never for a user's
// mistake such as a missing file or a bad size.
import { CommanderError } from 'commander';
import type { WalError } from '@threadwal/client';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the command anticipated; its message is the whole story. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode: number = EXIT_FAILURE) {
    super(message);
  }
}

interface Reported {
  message: string;
  exitCode: number;
  stack?: string;
}

/** Turns anything thrown into what to print and the exit code. */
export function describeError(err: unknown): Reported {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return { message: '', exitCode: EXIT_OK }; // --help, --version, `help`
    // Commander already printed its message through outputError (see index.ts).
    return { message: '', exitCode: EXIT_USAGE };
  }
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (isWalError(err)) return { message: err.message, exitCode: err.code === 'EINVAL' ? EXIT_USAGE : EXIT_FAILURE };
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // Node's errno errors (ENOENT, EACCES, EISDIR…) name the path and the reason: enough for a user.
  if (err instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) {
    return { message: err.message, exitCode: EXIT_FAILURE };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: `internal error: ${message}`, exitCode: EXIT_FAILURE, stack: err instanceof Error ? err.stack : undefined };
}

/**
 * By name and code rather than instanceof: this module must not load the client (and
 * with it core and comlink) just to print `--help` or a usage error.
 */
function isWalError(err: unknown): err is WalError {
  return err instanceof Error && err.name === 'WalError' && typeof (err as { code?: unknown }).code === 'string';
}
