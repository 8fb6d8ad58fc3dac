// The active segment as the writer thread holds it: the append fd, what the writer last
// made durable (size, next seq), and the identity (dev+ino) it expects `{path}` to have.
import { constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsSeam, fsyncDir } from '../util/fs-seam.js';
import { WalError, fromFsError } from '../errors.js';
import { recoverTail, nextSeqFor, type RecoveryCut } from '../recovery/recover.js';
import { ensureWalId } from '../segments/segments.js';
import type { Durability } from '../options.js';
import { DROPPED_FSYNC } from '../util/test-switches.js';

const OPEN_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_APPEND;

export class ActiveFile {
  readonly path: string;
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

  constructor(path: string) {
    this.path = path;
  }

  /** Opens (creating parents and the file, never truncating) and recovers the tail. Caller holds the lock. */
  open(): void {
    const dir = dirname(this.path);
    try {
      const firstCreated = mkdirSync(dir, { recursive: true });
      // Each new directory's entry lives in its parent: fsync the parents, top down.
      if (firstCreated !== undefined) {
        for (let d = dir; ; d = dirname(d)) {
          fsyncDir(dirname(d));
          if (d === firstCreated || dirname(d) === d) break;
        }
      }
      this.fd = fsSeam.openSync(this.path, OPEN_FLAGS, 0o644);
    } catch (err) {
      throw fromFsError(err, this.path, 'open');
    }
    const st = fsSeam.fstatSync(this.fd);
    this.#dev = st.dev;
    this.#ino = st.ino;
    // An empty file may be one we just created: make its directory entry durable.
    this.created = st.size === 0;
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
      ensureWalId(this.path);
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
    if (!st || st.ino !== this.#ino || st.dev !== this.#dev) {
      this.closeFd();
      this.reopens += 1;
      this.open();
      return;
    }
    if (fsSeam.fstatSync(this.fd).size !== this.size) {
      const tail = recoverTail(this.fd, this.path, { truncate: true });
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
