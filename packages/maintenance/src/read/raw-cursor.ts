// readWal's raw mode for one segment: the stored lines handed out as bytes, never parsed.
// A line counts as a record when it has the writer's shape (`{"seq":N,"ts":T,` … `}`),
// is valid UTF-8 without NUL bytes (checked natively once per chunk), and its checksum
// field, when it has one, matches; a line without the writer's prefix is parsed as
// readWal would, so a hand-written seed line is still a record. Bad lines go through the
// same bookkeeping as the parsing cursor (segment-cursor.ts: core's torn-tail rule, throw
// or skip, the same file and offset). What no byte-level check can see is a line that keeps the
// writer's prefix, its closing `}` and valid UTF-8 but is damaged in between (a flipped
// quote): readWal rejects it, raw mode hands it out. The checksum option (crc32c) closes
// that gap: then both modes reject exactly the same lines.
//
// Every chunk is read into a buffer of its own and lines are handed out as subarrays of
// it (no copy per line); the unfinished line at its end is copied into the next buffer.
import { isUtf8 } from 'node:buffer';
import { checkLineChecksum, parseLine, peekSeq, peekTs } from '@threadwal/core';
import { badWhy } from './lines.js';
import { SegmentCursor } from './segment-cursor.js';
import type { ReadState } from './read-state.js';
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

/** Raw reading of one segment; the same shape as the parsing cursor, so readWal's follow loop drives both. */
export class RawCursor extends SegmentCursor<RawChunk> {
  #ends = new Uint32Array(4096);

  constructor(seg: SegmentFile) {
    super(seg, CHUNK_BYTES);
  }

  /** The whole lines read so far as chunks of consecutive good lines with seq >= st.fromSeq. */
  take(st: ReadState): RawChunk[] {
    const buf = this.buf;
    const len = this.len;
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
      if (!clean && buf.subarray(s, e).indexOf(0) >= 0 && this.startsTornTail(s)) {
        close(s);
        this.good(st);
        torn = true;
        break;
      }
      // Below fromSeq (after a resync, or the caller's start): skip, as the parsing cursor does.
      const peek = peekSeq(buf, s, e);
      if (peek >= 0 && peek < st.fromSeq && buf[e - 1] === CLOSE) {
        close(s);
        if (!this.good(st)) break;
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
      if (!this.good(st)) {
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
    // What was handed out stays valid: the rest moves to a buffer of its own.
    this.consume(s, torn, out.length > 0);
    return out;
  }
}
