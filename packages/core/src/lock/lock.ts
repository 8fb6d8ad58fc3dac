// The cross-process lock: proper-lockfile's lock on `{path}.lock`, with its "mkdir" made by
// lock-file.ts (a file, created stamped under a temp name and linked into place, so a kill
// at any step leaves nothing a restart has to wait out). Load this module only inside
// worker threads: proper-lockfile pulls in signal-exit, which on the main thread sets
// process.exitCode during exit (see DESIGN.md).
//
// proper-lockfile knows who holds a lock only by mtime. A writer that was paused (SIGSTOP,
// a swapped-out VM) past `stale` may come back believing it still holds a lock that another
// process took over. So before every write the writer calls `stillOurs()`, which stats the
// lock file and compares its inode and birth time with the ones it created: a takeover
// removes and re-creates the file, which changes both. (Skipping that stat while the
// lock is young would save ~2 µs a batch against a ~140 µs fdatasync: not worth trusting
// every other process to follow the protocol.)
//
// Cost per batch matters (lock: 'batch' takes it around every write + fdatasync).
// lockSync builds a fresh fs adapter per call, so proper-lockfile re-probes the mtime
// precision every time: a utimensat (a metadata change the next fdatasync must commit)
// and a stat. We hand it an fs whose statSync keeps the stat it makes of our new lock dir
// (that is our identity), and whose utimesSync does nothing while we acquire: a lock made a
// moment ago already has a fresh mtime (and our stamp: lock-file.ts). Its refresh timer (exclusive mode) still
// goes through the real utimes.
//
// A waiter leaves a hint, the empty file `{path}.lock.want`, so a holder in 'batch' mode can
// keep the lock across back-to-back batches while nobody else wants it (saving a create, a
// link and two unlinks per batch, which ext4 journals) and hand it over after the current batch when
// somebody does. The hint is only a hint: a stale one costs the holder one early release.
import lockfile from 'proper-lockfile';
import * as fs from 'node:fs';
import { WalError, fromFsError } from '../errors.js';
import type { LockBoard } from './lock-board.js';
import { OWNER_STAMP, isDead, removeIfOwnerDead } from './lock-owner.js';
import { createLock, removeLock, sweepLockTemps } from './lock-file.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps this thread for `ms` (sub-millisecond allowed; timers cannot go below 1 ms). */
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

export class PathLock {
  readonly #path: string;
  readonly #lockDir: string;
  readonly #wantPath: string;
  readonly #staleMs: number;
  readonly #timeoutMs: number;
  #held = false;
  #ino = 0;
  #birth = 0;
  #compromised = false;
  #generation = 0;
  #acquiring = false;
  #probe: fs.Stats | undefined;
  /** Whether this lock has looked for temp names left by killed processes yet. */
  #swept = false;
  readonly #fs = {
    ...fs,
    // proper-lockfile's "mkdir" and "rmdir" of the lock: see lock-file.ts.
    mkdirSync: (p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
      if (p === this.#lockDir) return createLock(p, OWNER_STAMP);
      return fs.mkdirSync(p, o);
    },
    rmdirSync: (p: fs.PathLike) => (p === this.#lockDir ? removeLock(p) : fs.rmdirSync(p)),
    statSync: (p: fs.PathLike, o?: fs.StatSyncOptions) => {
      const st = fs.statSync(p, o) as fs.Stats;
      if (this.#acquiring && p === this.#lockDir) this.#probe = st;
      return st;
    },
    utimesSync: (p: fs.PathLike, a: fs.TimeLike, m: fs.TimeLike) => {
      if (!this.#acquiring) fs.utimesSync(p, p === this.#lockDir ? OWNER_STAMP : a, m);
    },
    // proper-lockfile's refresh (exclusive mode) touches atime too: keep our stamp in it.
    utimes: (p: fs.PathLike, a: fs.TimeLike, m: fs.TimeLike, cb: fs.NoParamCallback) => {
      fs.utimes(p, p === this.#lockDir ? OWNER_STAMP : a, m, cb);
    },
  };
  /** How many acquisitions had to wait for another holder. */
  waits = 0;
  readonly #board: LockBoard | undefined;

  constructor(path: string, staleMs: number, timeoutMs: number, board?: LockBoard) {
    this.#board = board;
    this.#path = path;
    this.#lockDir = `${path}.lock`;
    this.#wantPath = `${path}.lock.want`;
    this.#staleMs = staleMs;
    this.#timeoutMs = timeoutMs;
  }

  get held(): boolean {
    return this.#held;
  }

  /** One attempt, no waiting. Takes over a stale lock. */
  tryAcquireSync(): boolean {
    if (this.#board?.gone) throw new WalError('ECLOSED', 'the process is exiting: its writer takes no more locks', { path: this.#path });
    const generation = ++this.#generation;
    this.#acquiring = true;
    this.#probe = undefined;
    try {
      lockfile.lockSync(this.#path, {
        realpath: false,
        stale: this.#staleMs,
        fs: this.#fs as unknown as typeof fs,
        // A lock we already gave up may still report late: only the current one counts.
        onCompromised: () => { if (this.#generation === generation) this.#compromised = true; },
      } as lockfile.LockOptions);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      throw fromFsError(err, this.#lockDir, 'creating the lock');
    } finally {
      this.#acquiring = false;
    }
    // Stamped before it appeared (lock-file.ts): whose it is, and when.
    const st = this.#probe ?? fs.statSync(this.#lockDir);
    this.#ino = st.ino;
    this.#birth = st.birthtimeMs;
    this.#held = true;
    if (!this.#swept) {
      this.#swept = true;
      sweepLockTemps(this.#lockDir, isDead); // temp names of processes killed while locking
    }
    this.#compromised = false;
    this.#board?.held(this.#ino, this.#birth);
    return true;
  }

  /**
   * Waits until `timeoutMs`, then ELOCKED. A writer holding the lock lets go after its
   * current write + fdatasync once it sees our hint (well under a millisecond to a few),
   * so waiters retry after short randomized
   * sleeps (0.05 ms doubling to 2 ms): long sleeps would leave the lock idle between
   * holders, and randomness keeps one waiter from always losing. Between tries the event
   * loop runs, so control calls and arriving batches are not starved.
   */
  async acquire(): Promise<void> {
    if (this.tryAcquireSync()) return;
    this.waits += 1;
    const deadline = Date.now() + this.#timeoutMs;
    let delay = 0.05;
    let ownerCheckAt = 0;
    for (;;) {
      this.#hint();
      // A holder that died without releasing (SIGKILL) is taken over now, not once stale.
      if (Date.now() >= ownerCheckAt) {
        ownerCheckAt = Date.now() + 50;
        if (removeIfOwnerDead(this.#lockDir) && this.tryAcquireSync()) return this.#dropHint();
      }
      sleepSync(Math.random() * delay);
      await new Promise((r) => setImmediate(r));
      if (this.tryAcquireSync()) return this.#dropHint();
      if (Date.now() > deadline) {
        this.#dropHint();
        throw new WalError('ELOCKED', `${this.#lockDir} is held by another writer (waited ${this.#timeoutMs} ms)`, { path: this.#path });
      }
      delay = Math.min(delay * 2, 2);
    }
  }

  /** Tells a holder that keeps the lock across batches that someone is waiting. */
  #hint(): void {
    try {
      fs.closeSync(fs.openSync(this.#wantPath, 'a'));
    } catch {
      // a hint only: without it the holder still releases when it goes idle
    }
  }

  /**
   * Removes our hint once we stopped waiting (we got the lock, or gave up), so that no
   * `.lock.want` outlives the wait: after a takeover from a dead holder nobody else would
   * consume it. Another waiter's hint removed with it is re-made on its next failed try.
   */
  #dropHint(): void {
    try {
      fs.unlinkSync(this.#wantPath);
    } catch {
      // already consumed by the holder
    }
  }

  /** True (and the hint is consumed) when another process or thread asked for the lock since the last call. */
  takeWaiterHint(): boolean {
    // Called after every batch: a stat that cannot throw, rather than an unlink whose
    // usual ENOENT would build an Error (and its stack) each time.
    if (fs.statSync(this.#wantPath, { throwIfNoEntry: false }) === undefined) return false;
    try {
      fs.unlinkSync(this.#wantPath);
      return true;
    } catch {
      return false; // another holder took it first
    }
  }

  /** True when the lock file is still the one we created and proper-lockfile saw no takeover. */
  stillOurs(): boolean {
    return this.#held && this.#isOurs();
  }

  /**
   * Removes the lock file if it is still ours. If it is not, it belongs to whoever took
   * it over: leave it, and leave proper-lockfile's bookkeeping alone too (in this thread it
   * may describe that new holder; our stale entry ends itself when its update timer fires).
   */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    // BUSY while removing: an exiting owner thread waits for this rather than race it.
    if (this.#board && !this.#board.enter()) return; // the owner thread took it (exiting)
    try {
      if (!this.#isOurs()) return;
      lockfile.unlockSync(this.#path, { realpath: false, fs: this.#fs as unknown as typeof fs } as lockfile.UnlockOptions);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTACQUIRED' && code !== 'ERELEASED' && code !== 'ENOENT') throw fromFsError(err, this.#lockDir, 'removing the lock');
    } finally {
      this.#board?.removed();
    }
  }

  /** Drops our claim without removing the lock: it may belong to another process now. */
  forget(): void {
    this.#held = false;
    this.#board?.free();
  }

  /** Marks the lock in use for a write + fdatasync; false when it may not be used (the owner thread is exiting). */
  enter(): boolean {
    return this.#board ? this.#board.enter() : true;
  }

  leave(): void {
    this.#board?.leave();
  }

  #isOurs(): boolean {
    if (this.#compromised) return false;
    const st = fs.statSync(this.#lockDir, { throwIfNoEntry: false });
    return st !== undefined && st.ino === this.#ino && st.birthtimeMs === this.#birth;
  }
}

/** Runs `fn` holding the lock on `path` (for maintenance jobs, in a worker thread). */
export async function withLock<T>(path: string, fn: () => T | Promise<T>, opts: { staleMs?: number; timeoutMs?: number } = {}): Promise<T> {
  const lock = new PathLock(path, opts.staleMs ?? 10_000, opts.timeoutMs ?? 30_000);
  await lock.acquire();
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
