// Ctrl-C (and SIGTERM) during long work: the job is asked to stop through an AbortSignal
// (maintenance removes its temp files and releases the lock) and the command ends with
// one line and the shell's usual code for an interrupt, 130.
import { CliError } from './errors.js';

export const EXIT_INTERRUPTED = 130;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Runs `fn` with a signal that aborts on SIGINT/SIGTERM; `reason` (default: an "interrupted" CliError) is what it aborts with. */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>, reason?: () => unknown): Promise<T> {
  const ac = new AbortController();
  const onSignal = (): void => ac.abort(reason ? reason() : new CliError('interrupted', EXIT_INTERRUPTED));
  for (const s of SIGNALS) process.once(s, onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}
