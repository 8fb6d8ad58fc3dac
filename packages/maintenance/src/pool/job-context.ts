// Worker side of a job's control block: the cancel flag the caller sets when its signal
// aborts, and throttled progress messages on the job's port.
import { CANCEL_SLOT, type JobControl, type ProgressMsg } from './protocol.js';

/** Thrown (by identity, never shown to callers) to unwind a job whose caller aborted. */
export const CANCELLED: unique symbol = Symbol('cancelled');

/** Post progress at most this often, whatever the chunk size. */
const PROGRESS_EVERY_MS = 100;

export class JobContext {
  readonly #flag: Int32Array | null;
  readonly #port: JobControl['port'];
  #last = 0;
  bytesTotal = 0;
  bytesDone = 0;

  constructor(control: JobControl | null) {
    this.#flag = control ? new Int32Array(control.cancel) : null;
    this.#port = control?.port ?? null;
  }

  /** Throws CANCELLED when the caller's signal has aborted; called between chunks. */
  checkCancel(): void {
    if (this.#flag && Atomics.load(this.#flag, CANCEL_SLOT) !== 0) throw CANCELLED;
  }

  /** Counts `n` more bytes done and reports progress if it is time to. */
  advance(n: number): void {
    this.bytesDone += n;
    this.checkCancel();
    if (!this.#port) return;
    const now = Date.now();
    if (now - this.#last < PROGRESS_EVERY_MS) return;
    this.#last = now;
    this.#post();
  }

  /** Reports the final figures (always sent). */
  finish(): void {
    if (this.#port) this.#post();
  }

  #post(): void {
    const msg: ProgressMsg = { type: 'progress', bytesDone: Math.min(this.bytesDone, this.bytesTotal), bytesTotal: this.bytesTotal };
    this.#port!.postMessage(msg);
  }

  close(): void {
    this.#port?.close();
  }
}
