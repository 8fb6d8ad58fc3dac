// readWal's raw mode for one segment: the stored lines handed out as bytes, never parsed.
// A line counts as a record when it has the writer's shape (`{"seq":N,"ts":T,` … `}`),
// is valid UTF-8 without NUL bytes (checked natively once per chunk), and its checksum
// field, when it has one, matches; a line without the writer's prefix is parsed as
// readWal would, so a hand-written seed line is still a record. Bad lines go through the
// same bookkeeping as the parsing cursor (core's torn-tail rule, throw or skip,
// the same file and offset). What no byte-level check can see is a line that keeps the
// writer's prefix, its closing `}` and valid UTF-8 but is damaged in between (a flipped
// quote): readWal rejects it, raw mode hands it out. The checksum option (crc32c) closes
// that gap: then both modes reject exactly the same lines.
//
// Every chunk is read into a buffer of its own and lines are handed out as subarrays of
// it (no copy per line); the unfinished line at its end is copied into the next buffer.
import { isUtf8 } from 'node:buffer';
import { checkLineChecksum, parseLine, peekSeq, peekTs, scanActiveTail, WalError } from '@threadwal/core';
import { BadRun } from './lines.js';
import { GzReader } from './gz-reader.js';
import { badWhy, corrupt, readSegment, type ReadState } from './read-segment.js';
import type { SegmentFile } from './snapshot.js';

/** Bytes read per chunk (a buffer grows past it only to hold a longer line). */
const CHUNK_BYTES = 1024 * 1024;
const NL = 0x0a;
const CLOSE = 0x7d;

/** One stored line: readWal(path, { raw: true }). */
export interface RawRecord {
  /** The writer's seq (from the line's `{"seq":N,` prefix). */
  seq: number;
  /** The line as stored, without its `\n` (a checksum field, if the WAL writes them, included). */
  line: Buffer;
}

/** Consecutive stored lines: readWal(path, { raw: 'chunks' }). */
export interface RawChunk {
  /** Seq of the first line. The seqs of a chunk are consecutive: lastSeq = firstSeq + count - 1. */
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** The lines as stored, each ending in `\n` (whole lines only). */
  data: Buffer;
  /** Offset in `data` just past each line's `\n` (count entries; the last is data.length). */
  ends: Uint32Array;
  /** The segment file the lines are in, and the byte offset of the first one in its plain bytes. */
  file: string;
  offset: number;
}

/** A line [s, e) of `buf` as a record's seq, or -1 when it is not one (see the file comment). */
function goodSeq(buf: Buffer, s: number, e: number, clean: boolean): number {
  if (!clean) {
    const line = buf.subarray(s, e);
    if (line.includes(0) || !isUtf8(line)) return -1;
  }
  const seq = peekSeq(buf, s, e);
  if (seq >= 0 && buf[e - 1] === CLOSE && peekTs(buf, s, e) >= 0) {
    return checkLineChecksum(buf, s, e) === 'bad' ? -1 : seq;
  }
  // Not in the writer's shape: a record only if it parses (as readWal decides).
  try {
    const rec = parseLine(buf.toString('utf8', s, e));
    if (rec.crc32c !== undefined && checkLineChecksum(buf, s, e) === 'bad') return -1;
    return rec.seq;
  } catch {
    return -1;
  }
}

/** Where raw reading of one segment stands; the same shape as the parsing Cursor, so readWal's follow loop drives both. */
export class RawCursor {
  readonly seg: SegmentFile;
  /** Offset just past the last whole line taken. */
  pos = 0;
  readonly bad = new BadRun();
  #buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  #len = 0;
  #pending: WalError | null = null;
  readonly #gz: GzReader | null;
  #ends = new Uint32Array(4096);
  /** The size the buffered lines were read against (the last fill's limit). */
  #to = 0;
  /** Active file: where its torn tail starts, as judged at file size `size` (core's scanActiveTail, the rule recovery cuts by); null until a line with NUL asked. */
  #torn: { size: number; start: number } | null = null;

  constructor(seg: SegmentFile) {
    this.seg = seg;
    this.#gz = seg.compressed ? new GzReader(seg.fd, seg.path) : null;
  }

  get #size(): number {
    if (this.#gz === null) return this.seg.size;
    return this.#gz.done ? this.#gz.total : Infinity;
  }

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
    const n = this.#gz !== null
      ? await this.#gz.read(this.#buf, this.#len, want)
      : await readSegment(this.seg, this.#buf, this.#len, want, this.pos + this.#len);
    this.#len += n;
    return n > 0;
  }

  /** The whole lines read so far as chunks of consecutive good lines with seq >= st.fromSeq. */
  take(st: ReadState): RawChunk[] {
    const buf = this.#buf;
    const len = this.#len;
    const out: RawChunk[] = [];
    const lastNl = len > 0 ? buf.lastIndexOf(NL, len - 1) : -1;
    if (lastNl < 0) return out;
    const whole = buf.subarray(0, lastNl + 1);
    const clean = whole.indexOf(0) < 0 && isUtf8(whole);
    let runStart = -1;
    let runFirst = 0;
    let runCount = 0;
    let ends = this.#ends;
    const close = (endByte: number): void => {
      if (runCount === 0) return;
      out.push({
        firstSeq: runFirst, lastSeq: runFirst + runCount - 1, count: runCount,
        data: buf.subarray(runStart, endByte), ends: ends.slice(0, runCount),
        file: this.seg.path, offset: this.pos + runStart,
      });
      runCount = 0;
    };
    let torn = false;
    let s = 0;
    while (s <= lastNl) {
      const e = buf.indexOf(NL, s);
      // The active file's torn tail starts at a line with NUL: stop there, read nothing of it.
      if (!clean && this.seg.index === 0 && this.#gz === null && buf.subarray(s, e).indexOf(0) >= 0 && this.pos + s >= this.#tornStart()) {
        close(s);
        this.#good(st);
        torn = true;
        break;
      }
      // Below fromSeq (after a resync, or the caller's start): skip, as the parsing cursor does.
      const peek = peekSeq(buf, s, e);
      if (peek >= 0 && peek < st.fromSeq && buf[e - 1] === CLOSE) {
        close(s);
        if (!this.#good(st)) break;
        s = e + 1;
        continue;
      }
      const seq = goodSeq(buf, s, e, clean);
      if (seq < 0) {
        close(s);
        this.bad.add(this.pos + s, badWhy(buf, s, e));
        s = e + 1;
        continue;
      }
      if (!this.#good(st)) {
        close(s);
        break;
      }
      if (seq < st.fromSeq) {
        close(s);
        s = e + 1;
        continue;
      }
      if (seq > st.lastSeq) st.lastSeq = seq;
      if (runCount > 0 && seq !== runFirst + runCount) close(s);
      if (runCount === 0) {
        runStart = s;
        runFirst = seq;
      }
      if (runCount === ends.length) {
        const bigger = new Uint32Array(ends.length * 2);
        bigger.set(ends);
        this.#ends = ends = bigger;
      }
      ends[runCount++] = e + 1 - runStart;
      s = e + 1;
    }
    close(s);
    // What was handed out stays valid: the rest moves to a buffer of its own. Bytes of a torn
    // tail are dropped: a writer may cut and rewrite them before the next read.
    if (torn) {
      if (out.length > 0) this.#buf = Buffer.allocUnsafe(CHUNK_BYTES);
    } else if (out.length > 0) {
      const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, len - s));
      buf.copy(next, 0, s, len);
      this.#buf = next;
    } else {
      buf.copy(buf, 0, s, len);
    }
    this.pos += s;
    this.#len = torn ? 0 : len - s;
    return out;
  }

  /** Where the active file's torn tail starts at the size the buffered lines were read against (judged once per size). */
  #tornStart(): number {
    if (this.#torn === null) this.#torn = { size: this.#to, start: scanActiveTail(this.seg.fd, this.seg.path, this.#to).tornStart };
    return this.#torn.start;
  }

  /** A good line after held bad ones: those were corruption. False when that is an error to raise after the chunks before it. */
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
