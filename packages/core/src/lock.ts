// The cross-process lock: proper-lockfile's mkdir lock on `{path}.lock`. Load this module
// only inside worker threads: proper-lockfile pulls in signal-exit, which on the main
// thread sets process.exitCode during exit (see DESIGN.md).
//
// proper-lockfile knows who holds a lock only by mtime. A writer that was paused (SIGSTOP,
// a swapped-out VM) past `stale` may come back believing it still holds a lock that another
// process took over. So before every write the writer calls `stillOurs()`, which stats the
// lock directory and compares its inode and birth time with the ones it created: a takeover
// removes and re-creates the directory, which changes both.
import lockfile from 'proper-lockfile';
import * as fs from 'node:fs';
import { WalError } from './errors.js';

export class PathLock {
  readonly #path: string;
  readonly #lockDir: string;
  readonly #staleMs: number;
  readonly #timeoutMs: number;
  #held = false;
  #ino = 0;
  #birth = 0;
  #compromised = false;
  #generation = 0;
  /** How many acquisitions had to wait for another holder. */
  waits = 0;

  constructor(path: string, staleMs: number, timeoutMs: number) {
    this.#path = path;
    this.#lockDir = `${path}.lock`;
    this.#staleMs = staleMs;
    this.#timeoutMs = timeoutMs;
  }

  get held(): boolean {
    return this.#held;
  }

  /** One attempt, no waiting. Takes over a stale lock. */
  tryAcquireSync(): boolean {
    const generation = ++this.#generation;
    try {
      lockfile.lockSync(this.#path, {
        realpath: false,
        stale: this.#staleMs,
        // A lock we already gave up may still report late: only the current one counts.
        onCompromised: () => { if (this.#generation === generation) this.#compromised = true; },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      throw new WalError('EIO', `cannot create lock ${this.#lockDir}: ${(err as Error).message}`, { path: this.#path, cause: err });
    }
    const st = fs.statSync(this.#lockDir);
    this.#ino = st.ino;
    this.#birth = st.birthtimeMs;
    this.#held = true;
    this.#compromised = false;
    return true;
  }

  /** Waits with short randomized backoff (so no holder starves the others) until `timeoutMs`, then ELOCKED. */
  async acquire(): Promise<void> {
    if (this.tryAcquireSync()) return;
    this.waits += 1;
    const deadline = Date.now() + this.#timeoutMs;
    let delay = 1;
    for (;;) {
      await new Promise((r) => setTimeout(r, Math.random() * delay));
      if (this.tryAcquireSync()) return;
      if (Date.now() > deadline) {
        throw new WalError('ELOCKED', `${this.#lockDir} is held by another writer (waited ${this.#timeoutMs} ms)`, { path: this.#path });
      }
      delay = Math.min(delay * 2, 20);
    }
  }

  /** True when the lock directory is still the one we created and proper-lockfile saw no takeover. */
  stillOurs(): boolean {
    return this.#held && this.#isOurs();
  }

  /**
   * Removes the lock directory if it is still ours. If it is not, it belongs to whoever took
   * it over: leave it, and leave proper-lockfile's bookkeeping alone too (in this thread it
   * may describe that new holder; our stale entry ends itself when its update timer fires).
   */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (!this.#isOurs()) return;
    try {
      lockfile.unlockSync(this.#path, { realpath: false });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTACQUIRED' && code !== 'ERELEASED' && code !== 'ENOENT') throw err;
    }
  }

  /** Drops our claim without removing the directory: it may belong to another process now. */
  forget(): void {
    this.#held = false;
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
