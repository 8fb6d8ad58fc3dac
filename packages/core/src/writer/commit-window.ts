// The commit window (commitWindowMs; PostgreSQL's commit_delay, Kafka's linger.ms): while
// the writer is busy and nobody waits for what is queued (only appendNoWait lines: pino's,
// say), the next cycle starts no sooner than commitWindowMs after the previous one began,
// so a busy writer pays one write + fdatasync per window instead of one per few lines.
// Anything someone waits for (an awaited append, flush(), flushSync(), the exit flush, a
// rotation, close) ends the wait at once; an idle writer (no cycle began within the window)
// never waits. So an un-awaited line waits at most one window before its cycle begins.

export class CommitWindow {
  readonly #ms: number;
  readonly #maxBytes: number;
  /** When the latest cycle began (performance.now()), or -Infinity. */
  #lastStart = -Infinity;
  /** Something queued is waited for: commit without a window. */
  #urgent = false;
  #wake: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Cycles that waited, and their total wait (ms), for stats. */
  waits = 0;
  waitedMs = 0;

  /** `ms` 0 turns the window off; a queue of `maxBytes` or more does not wait either (a full batch is ready). */
  constructor(ms: number, maxBytes: number) {
    this.#ms = ms;
    this.#maxBytes = maxBytes;
  }

  get urgent(): boolean {
    return this.#urgent;
  }

  /** Someone waits for what is queued (or for a rotation, or close): end any wait now. */
  urge(): void {
    this.#urgent = true;
    this.#end();
  }

  /** A cycle begins and takes the queue (`all`: all of it, so nothing queued is waited for any more). */
  started(all: boolean): void {
    this.#lastStart = performance.now();
    if (all) this.#urgent = false;
  }

  /** How long to wait before the next cycle (ms, 0: start now), given the bytes queued. */
  delay(queuedBytes: number): number {
    if (this.#ms === 0 || this.#urgent || queuedBytes >= this.#maxBytes) return 0;
    const left = this.#lastStart + this.#ms - performance.now();
    return left > 0 ? left : 0;
  }

  /** Waits `ms` (timers round it up to whole ms) or until urge(). */
  wait(ms: number): Promise<void> {
    const t0 = performance.now();
    return new Promise<void>((resolve) => {
      this.#wake = () => {
        this.waits += 1;
        this.waitedMs += performance.now() - t0;
        resolve();
      };
      this.#timer = setTimeout(() => this.#end(), ms);
    });
  }

  #end(): void {
    const wake = this.#wake;
    if (!wake) return;
    this.#wake = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    wake();
  }
}
