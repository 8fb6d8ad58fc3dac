// What reading one segment in chunks takes, whatever a line becomes (a parsed record,
// parsed-cursor.ts, or stored bytes, raw-cursor.ts): async reads of [pos, to) into a buffer
// (a compressed segment's plain bytes through GzReader), core's torn-tail rule for the active
// file, and the bookkeeping of bad lines held until a good line or the end decides them.
//
// The active file's torn tail starts where core's scanActiveTail says (the rule recovery cuts
// by, DESIGN.md Recovery). It is asked only when a line with NUL bytes shows up, since a torn
// tail past a partial line always starts with one, and once per file size; nothing of the
// tail is read or kept, since a writer may cut and rewrite it before the next read. Every
// other line that is not a record is corruption.
//
// Subclasses read the whole lines of the buffer in take(st), synchronously (one await per
// chunk, not per line), and call startsTornTail, good and consume as they go.
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { fromFsError, scanActiveTail, type WalError } from '@threadwal/core';
import { BadRun } from './lines.js';
import { GzReader } from './gz-reader.js';
import { corrupt, type ReadState } from './read-state.js';
import type { SegmentFile } from './snapshot.js';

const readAsync = promisify(read);

/** A positioned read of `seg`; a failure (EISDIR, EIO) is a WalError naming the segment, as everything readWal throws. */
export async function readSegment(seg: SegmentFile, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  try {
    return (await readAsync(seg.fd, buf, offset, length, position)).bytesRead;
  } catch (err) {
    throw fromFsError(err, seg.path, 'read');
  }
}

/** Where reading one segment stands: the offset just past the last whole line taken, and the bad lines held since the last good one. */
export abstract class SegmentCursor<I> {
  readonly seg: SegmentFile;
  /** Offset just past the last whole line taken. */
  pos = 0;
  readonly bad = new BadRun();
  /** Holds [pos, pos + len) of the segment's plain bytes. */
  protected buf: Buffer;
  protected len = 0;
  /** Bytes a buffer starts with (it grows past them only to hold a longer line). */
  readonly #chunkBytes: number;
  /** ECORRUPT found while taking a chunk, thrown once the items before it were handed out. */
  #pending: WalError | null = null;
  /** A compressed segment's plain bytes, read in order (positions are implied). */
  readonly #gz: GzReader | null;
  /** The size the buffered lines were read against (the last fill's limit). */
  #to = 0;
  /** Active file: where its torn tail starts, as judged at file size `size`; null until a line with NUL asked. */
  #torn: { size: number; start: number } | null = null;

  constructor(seg: SegmentFile, chunkBytes: number) {
    this.seg = seg;
    this.#chunkBytes = chunkBytes;
    this.buf = Buffer.allocUnsafe(chunkBytes);
    this.#gz = seg.compressed ? new GzReader(seg.fd, seg.path) : null;
  }

  /** The items of the whole lines read so far (seq >= st.fromSeq); see the subclasses. */
  abstract take(st: ReadState): I[];

  /** The plain size: the file's, or a compressed segment's once it was read to its end (Infinity before). */
  get #size(): number {
    if (this.#gz === null) return this.seg.size;
    return this.#gz.done ? this.#gz.total : Infinity;
  }

  /** Ends the decompression of a compressed segment (before its fd is closed). */
  close(): void {
    this.#gz?.close();
  }

  /** Reads the next chunk of [pos, to); false at `to` (or the end of the file). */
  async fill(to: number): Promise<boolean> {
    this.#throwPending();
    if (this.#gz !== null) to = this.#size;
    this.#to = to;
    if (this.#torn !== null && this.#torn.size !== to) this.#torn = null; // the file changed: judge again
    if (this.#torn !== null) to = Math.min(to, this.#torn.start); // never read into the torn tail
    if (this.pos + this.len >= to) return false;
    if (this.len === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const want = Math.min(this.buf.length - this.len, to - this.pos - this.len);
    const n = this.#gz !== null
      ? await this.#gz.read(this.buf, this.len, want)
      : await readSegment(this.seg, this.buf, this.len, want, this.pos + this.len);
    this.len += n;
    return n > 0;
  }

  /**
   * The torn-tail rule: true when the line at `s` in the buffer, which holds a NUL byte,
   * starts the active file's torn tail. Then take stops there, reading nothing of it
   * (calls good(st), then consume(s, true, …)).
   */
  protected startsTornTail(s: number): boolean {
    return this.seg.index === 0 && this.#gz === null && this.pos + s >= this.#tornStart();
  }

  /** Where the active file's torn tail starts at the size the buffered lines were read against (judged once per size). */
  #tornStart(): number {
    if (this.#torn === null) this.#torn = { size: this.#to, start: scanActiveTail(this.seg.fd, this.seg.path, this.#to).tornStart };
    return this.#torn.start;
  }

  /**
   * Take is done up to `s` (just past the last line it took): the rest of the buffer moves to
   * its start, or, when `handedOut` (items are views into the buffer and must stay valid),
   * to a buffer of its own. Past a torn tail (`torn`) the rest is dropped.
   */
  protected consume(s: number, torn: boolean, handedOut: boolean): void {
    const rest = torn ? 0 : this.len - s;
    if (handedOut) {
      const next = Buffer.allocUnsafe(Math.max(this.#chunkBytes, rest));
      if (rest > 0) this.buf.copy(next, 0, s, this.len);
      this.buf = next;
    } else if (rest > 0) {
      this.buf.copy(this.buf, 0, s, this.len);
    }
    this.pos += s;
    this.len = rest;
  }

  /** The end of a run of bad lines (a good line, the torn tail): they were corruption. False when that is an error to raise after the items before it. */
  protected good(st: ReadState): boolean {
    if (this.bad.count === 0) return true;
    try {
      this.#flush(st);
      return true;
    } catch (err) {
      this.#pending = err as WalError;
      return false;
    }
  }

  #flush(st: ReadState): void {
    const { first, count, why } = this.bad;
    this.bad.clear();
    if (count > 0) corrupt(this.seg.path, first, count, st, why);
  }

  #throwPending(): void {
    const e = this.#pending;
    this.#pending = null;
    if (e) throw e;
  }

  /** Decides the held lines at the end of a file that no longer grows (or, not following, the end of the active file). */
  end(st: ReadState): void {
    this.#throwPending();
    this.#flush(st);
    if (this.seg.index !== 0) {
      if (this.pos < this.#size) corrupt(this.seg.path, this.pos, 1, st); // an unterminated last line in a closed segment
      return;
    }
    // What is left past the whole lines read: a partial line, or the torn tail from a line with NUL on.
    st.tornBytes += Math.max(0, this.seg.size - this.pos);
  }

  /** Following, at the end of what is there: the bad lines read are corruption (a torn tail is never read), report them now. */
  settle(st: ReadState): void {
    this.#throwPending();
    this.#flush(st);
  }
}
