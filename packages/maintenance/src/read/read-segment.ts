// Reads the records of one open segment in chunks on the caller's thread (async reads,
// one reusable buffer), keeping the torn-tail/corruption bookkeeping in a cursor so the
// active file can be read again from where it stopped as it grows.
import { read } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { checkLineChecksum, fromFsError, parseLine, peekSeq, WalError, type WalRecord } from '@threadwal/core';
import { BadRun } from './lines.js';
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
    let s = 0;
    for (let e = nextNewline(buf, 0, len); e >= 0; e = nextNewline(buf, s, len)) {
      const offset = this.pos + s;
      const seq = peekSeq(buf, s, e);
      // Below fromSeq (after a resync, or the caller's start): skip without parsing.
      if (seq >= 0 && seq < st.fromSeq && buf[e - 1] === 0x7d) {
        if (!this.#good(st)) break;
        s = e + 1;
        continue;
      }
      let rec: WalRecord | undefined;
      let text: string | undefined;
      try {
        if (utf8 || isUtf8(buf.subarray(s, e))) rec = parseLine(text = buf.toString('utf8', s, e));
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
      if (rec === undefined) this.bad.add(offset, offset + e - s + 1, buf.subarray(s, e).includes(0));
      if (rec !== undefined && !this.#good(st)) break;
      s = e + 1;
      if (rec === undefined) continue;
      if (rec.seq < st.fromSeq) continue;
      if (rec.seq > st.lastSeq) st.lastSeq = rec.seq;
      if (st.keepLines && text !== undefined) (rec as WalRecord & { [RECORD_LINE]?: string })[RECORD_LINE] = text;
      out.push(rec);
    }
    buf.copy(buf, 0, s, len);
    this.pos += s;
    this.#len = len - s;
    return out;
  }

  /** A good line after held bad ones: those were corruption. False when that is an error to raise after the records before it. */
  #good(st: ReadState): boolean {
    if (this.bad.count === 0) return true;
    const { first, count } = this.bad;
    this.bad.clear();
    try {
      corrupt(this.seg.path, first, count, st);
      return true;
    } catch (err) {
      this.#pending = err as WalError;
      return false;
    }
  }

  #throwPending(): void {
    const e = this.#pending;
    this.#pending = null;
    if (e) throw e;
  }

  /** Decides the held lines at the end of a file that no longer grows (or, not following, the end of the active file). */
  end(st: ReadState): void {
    this.#throwPending();
    if (this.seg.index !== 0) {
      const { first, count } = this.bad;
      this.bad.clear();
      if (count > 0) corrupt(this.seg.path, first, count, st);
      if (this.pos < this.#size) corrupt(this.seg.path, this.pos, 1, st); // an unterminated last line in a closed segment
      return;
    }
    const { corrupt: n, tornStart } = this.bad.atEnd(this.pos);
    const first = this.bad.first;
    this.bad.clear();
    st.tornBytes += Math.max(0, this.seg.size - tornStart);
    if (n > 0) corrupt(this.seg.path, first, n, st);
  }

  /** Following: held bad lines may be a torn tail a writer is about to cut and overwrite, so read them again next time. */
  rewindHeld(): void {
    if (this.bad.count === 0) return;
    this.pos = this.bad.first;
    this.#len = 0;
    this.bad.clear();
  }
}

function corrupt(file: string, offset: number, count: number, st: ReadState): void {
  if (st.onCorrupt === 'skip') {
    st.skipped += count;
    if (st.skips.length < MAX_SKIP_RUNS) st.skips.push({ file, offset, lines: count });
    return;
  }
  throw new WalError('ECORRUPT', `line does not parse at ${file}:${offset}`, { path: file, file, offset });
}
