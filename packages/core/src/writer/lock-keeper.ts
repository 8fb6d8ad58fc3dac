// When a writer holds the cross-process lock. 'exclusive': for its whole life. 'batch': for a
// run of back-to-back cycles, handed to a waiting process after the current cycle, and let
// go once the writer has been idle IDLE_LINGER_MS (see DESIGN.md, "Writer actor").
import type { PathLock } from '../lock/lock.js';
import type { LockMode } from '../options.js';
import { absNow, threadTrace } from './trace.js';

/**
 * After handing the lock to a waiter, a 'batch' writer stays away this long before it tries
 * again: longer than a waiter's longest backoff sleep (2 ms), so the waiter's next try wins.
 */
const HANDOVER_MS = 3;

/**
 * 'batch' mode: an idle writer keeps the lock this long before it lets others in. Releasing
 * at once made every batch of a paced producer (1k/s: a batch a millisecond, idle between)
 * pay an rmdir, a mkdir and a utimes, which ext4 journals into the next fdatasync: ~0.3 ms
 * of writer time at p50 and milliseconds at p99 (the breakdown in DESIGN.md). A waiter's
 * hint still ends a busy run after the current batch; an idle holder lets go within this.
 */
const IDLE_LINGER_MS = 5;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LockKeeper {
  readonly lock: PathLock;
  readonly #mode: LockMode;
  readonly #trace: boolean;
  /** 'batch' mode: a waiter asked for the lock; do not take it back before this time. */
  #handoverUntil = 0;
  /** 'batch' mode: releases the lock IDLE_LINGER_MS after the last cycle (re-armed, never reallocated). */
  #linger: ReturnType<typeof setTimeout> | null = null;

  constructor(lock: PathLock, mode: LockMode, trace: boolean) {
    this.lock = lock;
    this.#mode = mode;
    this.#trace = trace;
  }

  /** Makes sure the lock is ours before a cycle (after a handover, past its grace time). Throws ELOCKED. */
  async ensure(): Promise<void> {
    const lock = this.lock;
    if (lock.stillOurs()) return;
    lock.forget();
    const wait = this.#handoverUntil - performance.now();
    if (wait > 0) await sleep(wait);
    await lock.acquire();
  }

  /** After each cycle: a 'batch' writer that someone waits for lets go now and stays away a moment. */
  afterCycle(): void {
    if (this.#mode === 'batch' && this.lock.takeWaiterHint()) {
      this.lock.release();
      this.#handoverUntil = performance.now() + HANDOVER_MS;
    }
  }

  /**
   * At the end of a run of cycles ('batch' mode): lets the lock go once the writer has been
   * idle IDLE_LINGER_MS (now, if `now` is true: the writer is closed or failed). `busy` says
   * whether a cycle is under way or about to start, which keeps it.
   */
  releaseWhenIdle(busy: () => boolean, now: boolean): void {
    if (this.#mode !== 'batch' || !this.lock.held) return;
    if (now) return this.lock.release();
    if (this.#linger) {
      this.#linger.refresh();
      return;
    }
    this.#linger = setTimeout(() => {
      // A cycle under way (or about to start) keeps it; the end of that run re-arms this timer.
      if (busy()) return;
      const t0 = this.#trace ? absNow() : 0;
      this.lock.takeWaiterHint(); // consumed: a waiter's hint is answered by this release
      this.lock.release();
      if (this.#trace) threadTrace.record('writer: release lock when idle', absNow() - t0);
    }, IDLE_LINGER_MS);
    this.#linger.unref();
  }

  /** The writer is closing: no more lingering, the lock goes. */
  close(): void {
    if (this.#linger) clearTimeout(this.#linger);
    this.lock.release();
  }
}
