// The active segment as the writer thread holds it: the append fd, what the writer last
// made durable (size, next seq), and the identity (dev+ino) it expects `{path}` to have.
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { fsSeam, fsyncDir } from '../util/fs-seam.js';
import { WalError, fromFsError } from '../errors.js';
import { recoverTail, nextSeqFor, type RecoveryCut } from '../recovery/recover.js';
import { ensureWalId } from '../segments/segments.js';
import { notAWalFile } from '../segments/file-kind.js';
import { mkdirParents } from '../segments/wal-dir.js';
import type { Durability } from '../options.js';
import { DROPPED_FSYNC } from '../util/test-switches.js';

// O_NONBLOCK: opening a FIFO made since openWal checked the path must not block the thread
// (the fstat below refuses it); on a regular file it changes nothing.
const OPEN_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_NONBLOCK;

/** Permissions of a file made when no `mode` option says otherwise (the umask applies). */
export const DEFAULT_FILE_MODE = 0o644;

/**
 * Opens `path` for appending, creating it when missing. Returns the fd and whether this
 * call created the file; a file it creates gets exactly `mode` (fchmod, so the umask does
 * not apply) when one is given, else DEFAULT_FILE_MODE less the umask.
 */
export function openOrCreate(path: string, flags: number, mode: number | undefined): { fd: number; created: boolean } {
  for (let tries = 0; ; tries++) {
    try {
      const fd = fsSeam.openSync(path, flags | constants.O_CREAT | constants.O_EXCL, mode ?? DEFAULT_FILE_MODE);
      if (mode !== undefined) {
        try {
          fsSeam.fchmodSync(fd, mode);
        } catch (err) {
          fsSeam.closeSync(fd);
          throw err;
        }
      }
      return { fd, created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      return { fd: fsSeam.openSync(path, flags), created: false };
    } catch (err) {
      // Removed between the two opens (a rotation by another process): create it then.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || tries >= 3) throw err;
    }
  }
}

export class ActiveFile {
  readonly path: string;
  /** Permissions of the files this writer creates (the option `mode`), else undefined. */
  readonly mode: number | undefined;
  fd = -1;
  /** End of the durable, whole-line part of the file: where the next batch starts. */
  size = 0;
  nextSeq = 0;
  tornBytes = 0;
  /** What the first open cut from the end of the file, or null. */
  openCut: RecoveryCut | null = null;
  #opened = false;
  created = false;
  reopens = 0;
  #dev = 0;
  #ino = 0;

  constructor(path: string, mode?: number) {
    this.path = path;
    this.mode = mode;
  }

  /** Opens (creating parents and the file, never truncating) and recovers the tail. Caller holds the lock. */
  open(): void {
    const dir = dirname(this.path);
    let made: boolean;
    try {
      const firstCreated = mkdirParents(dir, this.path);
      // Each new directory's entry lives in its parent: fsync the parents, top down.
      if (firstCreated !== undefined) {
        for (let d = dir; ; d = dirname(d)) {
          fsyncDir(dirname(d));
          if (d === firstCreated || dirname(d) === d) break;
        }
      }
      ({ fd: this.fd, created: made } = openOrCreate(this.path, OPEN_FLAGS, this.mode));
    } catch (err) {
      throw fromFsError(err, this.path, 'open');
    }
    const st = fsSeam.fstatSync(this.fd);
    if (!st.isFile()) {
      this.closeFd();
      throw notAWalFile(this.path, this.path, st);
    }
    this.#dev = st.dev;
    this.#ino = st.ino;
    // An empty file may be one we just created (or one a crash left before its directory
    // fsync): make its directory entry durable.
    this.created = made || st.size === 0;
    if (this.created && DROPPED_FSYNC !== 'rotate-dir') fsyncDir(dir);
    let tail;
    try {
      tail = recoverTail(this.fd, this.path, { truncate: true });
    } catch (err) {
      this.closeFd();
      throw err;
    }
    this.tornBytes += tail.tornBytes;
    if (!this.#opened) this.openCut = tail.cut;
    this.#opened = true;
    this.size = tail.size;
    this.nextSeq = nextSeqFor(this.path, tail.lastSeq);
    try {
      ensureWalId(this.path, this.mode);
    } catch (err) {
      throw fromFsError(err, this.path, 'writing the WAL id to .meta');
    }
  }

  /**
   * Called holding the lock before a batch: if `{path}` is no longer our file (rotated or
   * replaced by cleanup) reopen it; if its size is not what we last wrote (another process
   * appended, or died mid-write) re-read the tail. Costs a stat and an fstat.
   */
  revalidate(): void {
    const st = fsSeam.statSync(this.path);
    // fd < 0: a failed rotation or reopen (ENOSPC) closed it; open again.
    if (this.fd < 0 || !st || st.ino !== this.#ino || st.dev !== this.#dev) {
      this.closeFd();
      this.reopens += 1;
      this.open();
      return;
    }
    if (fsSeam.fstatSync(this.fd).size !== this.size) {
      // quick: no power cut can have happened since this process opened the file, so only a
      // crashed writer's partial line can be torn; the full window scan stays on open.
      const tail = recoverTail(this.fd, this.path, { truncate: true, quick: true });
      this.tornBytes += tail.tornBytes;
      this.size = tail.size;
      this.nextSeq = nextSeqFor(this.path, tail.lastSeq);
    }
  }

  /**
   * Writes `len` bytes at the end, retrying short writes and EAGAIN. On failure cuts the
   * file back to the last durable offset so no partial line stays, then throws (ENOSPC or
   * EIO). If even that cut fails the error is marked `fatal`.
   */
  write(buf: Uint8Array, len: number): void {
    let done = 0;
    try {
      while (done < len) {
        try {
          done += fsSeam.writeSync(this.fd, buf, done, len - done);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN' || (err as NodeJS.ErrnoException).code === 'EINTR') continue;
          throw err;
        }
      }
    } catch (err) {
      const wal = fromFsError(err, this.path, 'write');
      try {
        fsSeam.ftruncateSync(this.fd, this.size);
      } catch (cutErr) {
        throw Object.assign(fromFsError(cutErr, this.path, 'truncate after failed write'), { fatal: true });
      }
      throw wal;
    }
    this.size += len;
  }

  /** fdatasync/fsync. A failure is fail-stop: the caller must not retry on this fd. */
  makeDurable(mode: Durability): void {
    if (mode === 'none' || DROPPED_FSYNC === 'ack') return;
    try {
      if (mode === 'fsync') fsSeam.fsyncSync(this.fd);
      else fsSeam.fdatasyncSync(this.fd);
    } catch (err) {
      throw new WalError('EFSYNC', `${mode} failed for ${this.path}: ${(err as Error).message}; the WAL is stopped`, { path: this.path, cause: err });
    }
  }

  closeFd(): void {
    if (this.fd < 0) return;
    try {
      fsSeam.closeSync(this.fd);
    } catch {
      // closing a fd we are done with: nothing to recover
    }
    this.fd = -1;
  }
}
