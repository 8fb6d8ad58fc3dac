// Reads the records of one open segment in chunks on the caller's thread (async reads,
// one reusable buffer), keeping the torn-tail/corruption bookkeeping in a cursor so the
// active file can be read again from where it stopped as it grows. The active file's torn
// tail is where core's scanActiveTail says (the rule recovery cuts by); it is asked only
// when a line with NUL bytes shows up, since a torn tail past a partial line always starts
// with one. Every other line that is not a record is corruption.
import { read } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { checkLineChecksum, checksumMismatch, fromFsError, parseLine, peekSeq, scanActiveTail, WalError, type WalRecord } from '@threadwal/core';
import { BadRun, badLineMessage, type BadWhy } from './lines.js';
import { nextNewline } from '@threadwal/core';
import { GzReader } from './gz-reader.js';
import type { SegmentFile } from './snapshot.js';

const readAsync = promisify(read);
const CHUNK_BYTES = 256 * 1024;
const NL = 0x0a;
/** Runs of skipped lines a reader remembers (the count stays exact). */
export const MAX_SKIP_RUNS = 100;

/** `lines` consecutive bad lines skipped, the first at `offset` of `file`. */
export interface SkippedRun {
  file: string;
  offset: number;
  lines: number;
}

/** Shared by every segment a reader reads. */
export interface ReadState {
  /** Yield only seq >= this. */
  fromSeq: number;
  /** Highest seq parsed, -1 before the first. */
  lastSeq: number;
  /** Seq of the last record handed to the consumer, -1 before the first (what a cursor may commit). */
  yielded: number;
  onCorrupt: 'throw' | 'skip';
  skipped: number;
  /** Where the skipped lines were: runs of consecutive bad lines, the first MAX_SKIP_RUNS of them. */
  skips: SkippedRun[];
  tornBytes: number;
  /** Attach each record's stored line text as record[RECORD_LINE] (readWal's `keepLines`). */
  keepLines: boolean;
}

/**
 * With readWal(path, { keepLines: true }): the record's line as stored (without its `\n`),
 * present when that line is exactly the record (no checksum field). A consumer that
 * forwards records can send these bytes instead of serialising the record again.
 */
export const RECORD_LINE: unique symbol = Symbol('threadwal.recordLine');

/** A positioned read of `seg`; a failure (EISDIR, EIO) is a WalError naming the segment, as everything readWal throws. */
export async function readSegment(seg: SegmentFile, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  try {
    return (await readAsync(seg.fd, buf, offset, length, position)).bytesRead;
  } catch (err) {
    throw fromFsError(err, seg.path, 'read');
  }
}

/** Where reading one segment stands: the offset just past the last whole line read, and the bad lines held since the last good one. */
export class Cursor {
  readonly seg: SegmentFile;
  pos = 0;
  readonly bad = new BadRun();
  #buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Bytes of the buffer holding [pos, pos + len). */
  #len = 0;
  /** ECORRUPT found while parsing a chunk, thrown once the records before it were handed out. */
  #pending: WalError | null = null;
  /** A compressed segment's plain bytes, read in order (positions are implied). */
  readonly #gz: GzReader | null;
  /** The size the buffered lines were read against (the last fill's limit). */
  #to = 0;
  /** Active file: where its torn tail starts, as judged at file size `size`; null until a line with NUL asked. */
  #torn: { size: number; start: number } | null = null;

  constructor(seg: SegmentFile) {
    this.seg = seg;
    this.#gz = seg.compressed ? new GzReader(seg.fd, seg.path) : null;
  }

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
    if (this.pos + this.#len >= to) return false;
    if (this.#len === this.#buf.length) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, 0, this.#len);
      this.#buf = bigger;
    }
    const want = Math.min(this.#buf.length - this.#len, to - this.pos - this.#len);
    const bytesRead = this.#gz !== null
      ? await this.#gz.read(this.#buf, this.#len, want)
      : await readSegment(this.seg, this.#buf, this.#len, want, this.pos + this.#len);
    this.#len += bytesRead;
    return bytesRead > 0;
  }

  /**
   * Parses the whole lines read so far into records (seq >= st.fromSeq); bad lines are held
   * until a good line or the end decides what they are. Synchronous per chunk: one await
   * per chunk, not per record.
   */
  take(st: ReadState): WalRecord[] {
    const buf = this.#buf;
    const len = this.#len;
    const out: WalRecord[] = [];
    // Decoding would turn invalid UTF-8 into U+FFFD and hide the damage: check the whole
    // lines natively once, and line by line only when that fails (as verify does).
    const lastNl = len > 0 ? buf.lastIndexOf(NL, len - 1) : -1;
    const utf8 = lastNl < 0 || isUtf8(buf.subarray(0, lastNl + 1));
    const nulFree = lastNl < 0 || buf.subarray(0, lastNl + 1).indexOf(0) < 0;
    let torn = false;
    let s = 0;
    for (let e = nextNewline(buf, 0, len); e >= 0; e = nextNewline(buf, s, len)) {
      const offset = this.pos + s;
      const nul = !nulFree && buf.subarray(s, e).indexOf(0) >= 0;
      // The active file's torn tail starts at a line with NUL: stop there, read nothing of it.
      if (nul && this.seg.index === 0 && this.#gz === null && offset >= this.#tornStart()) {
        this.#good(st);
        torn = true;
        break;
      }
      const seq = nul ? -1 : peekSeq(buf, s, e);
      // Below fromSeq (after a resync, or the caller's start): skip without parsing.
      if (seq >= 0 && seq < st.fromSeq && buf[e - 1] === 0x7d) {
        if (!this.#good(st)) break;
        s = e + 1;
        continue;
      }
      let rec: WalRecord | undefined;
      let text: string | undefined;
      try {
        if (!nul && (utf8 || isUtf8(buf.subarray(s, e)))) rec = parseLine(text = buf.toString('utf8', s, e));
      } catch {
        // not a record
      }
      // A line with a checksum (checksum: 'crc32c') that does not match is corruption even though it parses.
      if (rec !== undefined && rec.crc32c !== undefined) {
        text = undefined; // the line carries the checksum field: it is not the record as handed out
        const sum = checkLineChecksum(buf, s, e);
        if (sum === 'bad') rec = undefined;
        else if (sum === 'ok') delete rec.crc32c;
      }
      if (rec === undefined) this.bad.add(offset, badWhy(buf, s, e));
      if (rec !== undefined && !this.#good(st)) break;
      s = e + 1;
      if (rec === undefined) continue;
      if (rec.seq < st.fromSeq) continue;
      if (rec.seq > st.lastSeq) st.lastSeq = rec.seq;
      if (st.keepLines && text !== undefined) (rec as WalRecord & { [RECORD_LINE]?: string })[RECORD_LINE] = text;
      out.push(rec);
    }
    this.pos += s;
    // Bytes of a torn tail are dropped: a writer may cut and rewrite them before the next read.
    this.#len = torn ? 0 : len - s;
    if (!torn) buf.copy(buf, 0, s, len);
    return out;
  }

  /** Where the active file's torn tail starts at the size the buffered lines were read against (judged once per size). */
  #tornStart(): number {
    if (this.#torn === null) this.#torn = { size: this.#to, start: scanActiveTail(this.seg.fd, this.seg.path, this.#to).tornStart };
    return this.#torn.start;
  }

  /** The end of a run of bad lines (a good line, the torn tail): they were corruption. False when that is an error to raise after the records before it. */
  #good(st: ReadState): boolean {
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

/** Why the line [s, e) of `buf` is not a record. */
export function badWhy(buf: Buffer, s: number, e: number): BadWhy | undefined {
  const checksum = checksumMismatch(buf, s, e);
  return checksum ? { checksum } : undefined;
}

/** A run of bad lines: skipped and counted (onCorrupt 'skip'), or ECORRUPT with file, offset and why. */
export function corrupt(file: string, offset: number, count: number, st: ReadState, why?: BadWhy): void {
  if (st.onCorrupt === 'skip') {
    st.skipped += count;
    if (st.skips.length < MAX_SKIP_RUNS) st.skips.push({ file, offset, lines: count });
    return;
  }
  throw new WalError('ECORRUPT', badLineMessage(file, offset, why), { path: file, file, offset });
}
