// AbortSignal support for the waits of append, flush and drain. A signal ends the wait
// only: the event stays appended and still becomes durable (or fails) as it would have.
import { WalError, checkOptionKeys } from '@threadwal/core';

/** Options of a wait. */
export interface WaitOptions {
  /** Rejects the wait with WalError EABORTED (cause: `signal.reason`) when aborted. */
  signal?: AbortSignal | undefined;
}

const WAIT_KEYS = ['signal'] as const;

/** Validates a wait's options at the call (EINVAL); returns the signal, if any. */
export function waitSignal(o: WaitOptions | undefined, method: string): AbortSignal | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== 'object' || o === null) throw new WalError('EINVAL', `${method} options must be an object, got ${String(o)}`);
  checkOptionKeys(o, WAIT_KEYS, `${method} options`);
  const { signal } = o;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new WalError('EINVAL', `${method} options.signal must be an AbortSignal`);
  return signal;
}

function aborted(signal: AbortSignal, path: string, what: string): WalError {
  return new WalError('EABORTED', `${what} was aborted (what was appended stays appended)`, { path, cause: signal.reason });
}

/** `p`, or EABORTED once `signal` aborts, whichever comes first; `p`'s later rejection is handled. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal, path: string, what: string): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(aborted(signal, path, what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted(signal, path, what));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
