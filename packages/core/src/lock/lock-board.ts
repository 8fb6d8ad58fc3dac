// The lock board: a few shared words through which the thread that owns a writer (the
// main side, which must not load proper-lockfile) can release the writer thread's lock
// when the process exits. Without it, an exit right after the last ack (process.exit after
// flushSync, the natural end of a script) kills the writer thread between its fdatasync
// and its removal of the lock, and the next process to open the WAL waits lockStaleMs for a stale lock.
//
// State transitions (Atomics, so the two threads never both act on the lock file):
//   FREE -> HELD (writer acquired; identity written first), HELD -> FREE (writer forgets it),
//   HELD <-> BUSY (writer between its fence and the end of its fdatasync),
//   HELD -> BUSY -> FREE (writer removes the lock: FREE only once it is gone),
//   HELD -> GONE (the exiting owner removed the lock; the writer never locks again,
//   unless a later 'exit' listener appends and the owner rearms it: GONE -> FREE).
import { statSync } from 'node:fs';
import { removeLock } from './lock-file.js';

export const LOCK_FREE = 0;
export const LOCK_HELD = 1;
export const LOCK_BUSY = 2;
export const LOCK_GONE = 3;
export const LOCK_BOARD_BYTES = 24; // Int32 state, pad, Float64 ino, Float64 birthtimeMs

export class LockBoard {
  readonly state: Int32Array;
  readonly #id: Float64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.state = new Int32Array(sab, 0, 1);
    this.#id = new Float64Array(sab, 8, 2);
  }

  static create(): LockBoard {
    return new LockBoard(new SharedArrayBuffer(LOCK_BOARD_BYTES));
  }

  /** Writer thread: the lock it just created. */
  held(ino: number, birthtimeMs: number): void {
    this.#id[0] = ino;
    this.#id[1] = birthtimeMs;
    Atomics.store(this.state, 0, LOCK_HELD); // publishes the identity written above
  }

  /** Writer thread: no longer counts the lock as its own (someone else's now, or gone). */
  free(): void {
    Atomics.compareExchange(this.state, 0, LOCK_HELD, LOCK_FREE);
  }

  /** Writer thread: after removing the lock in a BUSY section. */
  removed(): void {
    Atomics.compareExchange(this.state, 0, LOCK_BUSY, LOCK_FREE);
    Atomics.notify(this.state, 0);
  }

  /** Writer thread: false when the exiting owner has taken the lock away. */
  enter(): boolean {
    return Atomics.compareExchange(this.state, 0, LOCK_HELD, LOCK_BUSY) === LOCK_HELD;
  }

  leave(): void {
    Atomics.compareExchange(this.state, 0, LOCK_BUSY, LOCK_HELD);
    Atomics.notify(this.state, 0);
  }

  /**
   * Owner thread, still exiting: GONE -> FREE, so the writer may lock again for events
   * appended by a later 'exit' listener (a logger's last line); releaseAtExit again after.
   */
  rearm(): void {
    Atomics.compareExchange(this.state, 0, LOCK_GONE, LOCK_FREE);
  }

  get gone(): boolean {
    return Atomics.load(this.state, 0) === LOCK_GONE;
  }

  /**
   * Owner thread, at exit: removes the writer's lock if the writer holds it and
   * is not mid-write (waiting up to `waitMs` for that write to end). Once the writer thread
   * is known dead (`threadDead`), a write it was in cannot go on: BUSY counts as HELD.
   */
  releaseAtExit(lockDir: string, waitMs = 200, threadDead = false): void {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const was = Atomics.compareExchange(this.state, 0, LOCK_HELD, LOCK_GONE);
      if (was === LOCK_HELD) break;
      if (threadDead && Atomics.compareExchange(this.state, 0, LOCK_BUSY, LOCK_GONE) === LOCK_BUSY) break;
      if (was !== LOCK_BUSY) return; // free, or already gone
      const left = deadline - Date.now();
      if (left <= 0) return; // a stuck write: leave the lock to go stale rather than break it
      Atomics.wait(this.state, 0, LOCK_BUSY, left);
    }
    try {
      const st = statSync(lockDir, { throwIfNoEntry: false });
      if (st && st.ino === this.#id[0] && st.birthtimeMs === this.#id[1]) removeLock(lockDir);
    } catch {
      // at exit: nothing more to do than leave it to go stale
    }
  }
}
