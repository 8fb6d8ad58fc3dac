// Ctrl-C (and SIGTERM) during long work: the job is asked to stop through an AbortSignal
// (maintenance removes its temp files and releases the lock) and the command ends with
// one line and the shell's usual code for the signal, 130 (SIGINT) or 143 (SIGTERM).
//
// A second SIGINT or SIGTERM, whichever came first, quits at once: a job stuck in a
// blocking call (a worker thread in a read that never returns) cannot unwind, and the
// process must not then ignore signals. process.exit() is no way out there: Node joins
// every worker thread before it exits, and a thread blocked in the kernel never comes
// back. So the second signal is raised again with its default action, and the kernel
// ends the process by it (shells report 130 or 143). Quitting is safe mid-job: a lock left
// behind is taken over from a dead holder at once, and cleanup's temp files are swept by
// the next one.
import { constants } from 'node:os';
import { CliError } from './errors.js';

export const EXIT_INTERRUPTED = 130;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** Still running this long after the first signal: say how to quit at once. */
const HINT_AFTER_MS = 1000;

/** The exit code a shell reports for a process ended by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 2);
}

/** The "interrupted" error for `signal`: one line, exit 130 (SIGINT) or 143 (SIGTERM). */
export function interruptedBy(signal: NodeJS.Signals): CliError {
  return new CliError(signal === 'SIGTERM' ? 'terminated' : 'interrupted', signalExitCode(signal));
}

/** Ends the process by `signal`'s default action, now, whatever its threads are doing. */
function dieBy(signal: NodeJS.Signals): void {
  // With no listener left, Node gives the signal back its default disposition (terminate).
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Should the signal have been ignored since before we started (nohup): SIGKILL cannot be.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000).unref();
}

/**
 * Runs `fn` with a signal that aborts on the first SIGINT/SIGTERM, with `reason(signal)`
 * (default: interruptedBy). A second one exits the process at once.
 */
export async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>, reason: (signal: NodeJS.Signals) => unknown = interruptedBy): Promise<T> {
  const ac = new AbortController();
  let hint: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (ac.signal.aborted) {
      process.stderr.write(`threadwal: ${signal} again: quitting without waiting for the job\n`);
      dieBy(signal);
      return;
    }
    ac.abort(reason(signal));
    hint = setTimeout(() => process.stderr.write('threadwal: stopping: waiting for the job to clean up (interrupt again to quit at once)\n'), HINT_AFTER_MS);
    hint.unref();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    clearTimeout(hint);
    for (const s of SIGNALS) process.off(s, onSignal);
  }
}
