// readWal's parsed mode for one segment: the whole lines read so far parsed into records,
// chunk by chunk on the caller's thread (segment-cursor.ts reads, applies the torn-tail rule
// and keeps the bad-line bookkeeping). A line is a record when it parses (core's parseLine)
// from valid UTF-8 without NUL bytes and its checksum field, when it has one, matches.
import { isUtf8 } from 'node:buffer';
import { checkLineChecksum, nextNewline, parseLine, peekSeq, type WalRecord } from '@threadwal/core';
import { badWhy } from './lines.js';
import { SegmentCursor } from './segment-cursor.js';
import type { ReadState } from './read-state.js';
import type { SegmentFile } from './snapshot.js';

const CHUNK_BYTES = 256 * 1024;
const NL = 0x0a;

/**
 * With readWal(path, { keepLines: true }): the record's line as stored (without its `\n`),
 * present when that line is exactly the record (no checksum field). A consumer that
 * forwards records can send these bytes instead of serialising the record again.
 */
export const RECORD_LINE: unique symbol = Symbol('threadwal.recordLine');

/** Parsing reading of one segment; the buffer is reused (records hold no view into it). */
export class ParsedCursor extends SegmentCursor<WalRecord> {
  constructor(seg: SegmentFile) {
    super(seg, CHUNK_BYTES);
  }

  /**
   * Parses the whole lines read so far into records (seq >= st.fromSeq); bad lines are held
   * until a good line or the end decides what they are. Synchronous per chunk: one await
   * per chunk, not per record.
   */
  take(st: ReadState): WalRecord[] {
    const buf = this.buf;
    const len = this.len;
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
      if (nul && this.startsTornTail(s)) {
        this.good(st);
        torn = true;
        break;
      }
      const seq = nul ? -1 : peekSeq(buf, s, e);
      // Below fromSeq (after a resync, or the caller's start): skip without parsing.
      if (seq >= 0 && seq < st.fromSeq && buf[e - 1] === 0x7d) {
        if (!this.good(st)) break;
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
      if (rec !== undefined && !this.good(st)) break;
      s = e + 1;
      if (rec === undefined) continue;
      if (rec.seq < st.fromSeq) continue;
      if (rec.seq > st.lastSeq) st.lastSeq = rec.seq;
      if (st.keepLines && text !== undefined) (rec as WalRecord & { [RECORD_LINE]?: string })[RECORD_LINE] = text;
      out.push(rec);
    }
    this.consume(s, torn, false);
    return out;
  }
}
