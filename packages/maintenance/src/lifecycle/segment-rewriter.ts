// Copies one segment into a temp file without its old events. Events go while their ts is
// below the cutoff; the first event that is not old ends the judging (the removed events
// are a prefix, so seq stays gapless) and everything from it on is copied verbatim, without
// parsing. A line that does not parse is never dropped: it is copied and reported.
import { openSync, closeSync, writeSync, readSync, fdatasyncSync, fsyncSync, futimesSync, fchmodSync, fstatSync, unlinkSync, constants } from 'node:fs';
import { WalError, checkLineChecksum, fromFsError } from '@threadwal/core';
import { peekTs } from '@threadwal/core';
import { checkRecord } from '../verify/record-check.js';
import { strictLineKeys } from '@threadwal/core';
import type { LineScanner } from '../read/line-scanner.js';
import type { JobContext } from '../pool/job-context.js';
import type { SegmentFile } from '../read/snapshot.js';
import type { BadLine } from '../types.js';

/** Most bad lines listed in a result; the count stays exact. */
export const MAX_LISTED = 100;
/**
 * Make the temp file durable every this many bytes. On ext4 (data=ordered) a writer's
 * fdatasync commits the journal, which first writes out other files' dirty data: a large
 * unsynced temp file would make every append wait for it.
 */
const SYNC_EVERY_BYTES = 8 * 1024 * 1024;

export class SegmentRewriter {
  readonly seg: SegmentFile;
  readonly tmp: string;
  readonly #cutoff: number;
  readonly #scanner: LineScanner;
  readonly #ctx: JobContext;
  readonly #bad: { list: BadLine[]; count: number };
  #out: number;
  /** Source offset judged or copied so far (always just past a `\n`, or the end of the file). */
  pos = 0;
  /** The first event to keep has been seen; from here on bytes are copied verbatim. */
  boundary = false;
  removed = 0;
  /** Bytes written to the temp file. */
  written = 0;
  #unsynced = 0;

  constructor(seg: SegmentFile, tmp: string, cutoff: number, scanner: LineScanner, ctx: JobContext, bad: { list: BadLine[]; count: number }) {
    this.seg = seg;
    this.tmp = tmp;
    this.#cutoff = cutoff;
    this.#scanner = scanner;
    this.#ctx = ctx;
    this.#bad = bad;
    const mode = fstatSync(seg.fd).mode & 0o7777; // the rewritten segment keeps its mode
    try {
      this.#out = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    } catch (err) {
      throw fromFsError(err, tmp, 'create');
    }
    try {
      fchmodSync(this.#out, mode); // exactly: the umask of this process does not apply
    } catch (err) {
      this.discard();
      throw fromFsError(err, tmp, 'chmod');
    }
  }

  /** Judges or copies the source up to `to`; `final` when `to` is the end of a file that no longer grows. */
  advance(to: number, final: boolean): void {
    if (!this.boundary && this.pos < to) this.#judge(to, final);
    if (this.boundary && this.pos < to) this.#copy(to);
  }

  #judge(to: number, final: boolean): void {
    const cutoff = this.#cutoff;
    let refused = false;
    const stop = this.#scanner.scan(this.seg.fd, this.pos, to, (buf, s, e, offset, clean) => {
      let ts: number;
      if (checkLineChecksum(buf, s, e) === 'bad') {
        this.#keepBad(buf, s, e + 1, offset); // its checksum says a byte changed: never dropped on a ts that may be the damage
        return true;
      }
      // Only a line proven valid is dropped on its ts: by the byte-level check, else by a full parse.
      if (clean && checkRecord(buf, s, e) >= 0) {
        ts = peekTs(buf, s, e);
      } else {
        const keys = strictLineKeys(buf, s, e);
        if (keys === undefined) {
          this.#keepBad(buf, s, e + 1, offset);
          return true;
        }
        ts = keys.ts;
      }
      if (ts >= cutoff) {
        refused = true;
        return false;
      }
      this.removed += 1;
      return true;
    }, (n) => this.#ctx.advance(n));
    this.pos = stop;
    if (refused) {
      this.boundary = true;
    } else if (stop < to && final) {
      // An unterminated last line (a rotated segment written by something else): keep it.
      const buf = this.#scanner.buffer;
      const n = readSync(this.seg.fd, buf, 0, Math.min(buf.length, to - stop), stop);
      // The scanner's buffer has grown to hold the fragment, so one read takes all of it.
      this.#keepBad(buf, 0, n, stop);
      this.pos = to;
    }
  }

  #keepBad(buf: Buffer, s: number, e: number, offset: number): void {
    this.#bad.count += 1;
    if (this.#bad.list.length < MAX_LISTED) this.#bad.list.push({ file: this.seg.path, offset });
    this.#write(buf, s, e);
    if (buf[e - 1] !== 0x0a) this.#write(Buffer.from('\n'), 0, 1);
  }

  #copy(to: number): void {
    const buf = this.#scanner.buffer;
    while (this.pos < to) {
      const n = readSync(this.seg.fd, buf, 0, Math.min(buf.length, to - this.pos), this.pos);
      if (n === 0) throw new WalError('EIO', `${this.seg.path} ended at ${this.pos}, expected ${to} bytes`, { path: this.seg.path });
      this.#write(buf, 0, n);
      this.pos += n;
      this.#ctx.advance(n);
    }
  }

  #write(buf: Buffer, s: number, e: number): void {
    const len = e - s;
    try {
      while (s < e) s += writeSync(this.#out, buf, s, e - s);
    } catch (err) {
      throw fromFsError(err, this.tmp, 'write');
    }
    this.written += len;
    this.#unsynced += len;
    if (this.#unsynced >= SYNC_EVERY_BYTES) this.flush();
  }

  /** Flushes what is written so far, outside the lock, so the final fsync under it is short. */
  flush(): void {
    fdatasyncSync(this.#out);
    this.#unsynced = 0;
  }

  /** Makes the temp file durable; a rotated segment keeps its mtime, which cleanup trusts as its newest write. */
  finish(): void {
    if (this.seg.index !== 0) futimesSync(this.#out, new Date(), new Date(this.seg.mtimeMs));
    fsyncSync(this.#out);
    closeSync(this.#out);
    this.#out = -1;
  }

  /** Removes the temp file (after a failure, or when it replaced nothing). */
  discard(): void {
    if (this.#out >= 0) {
      try {
        closeSync(this.#out);
      } catch {
        // the temp file is being thrown away
      }
      this.#out = -1;
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      // already renamed or removed
    }
  }
}
