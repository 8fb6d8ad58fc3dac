// Reads the records of one open segment in chunks on the caller's thread (async reads,
// one reusable buffer), keeping the torn-tail/corruption bookkeeping in a cursor so the
// active file can be read again from where it stopped as it grows.
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { parseLine, peekSeq, WalError, type WalRecord } from '@threadwal/core';
import { BadRun, nextNewline } from './lines.js';
import type { SegmentFile } from './snapshot.js';

const readAsync = promisify(read);
const CHUNK_BYTES = 256 * 1024;
const NL = 0x0a;

/** Shared by every segment a reader reads. */
export interface ReadState {
  /** Yield only seq >= this. */
  fromSeq: number;
  /** Highest seq yielded, -1 before the first. */
  lastSeq: number;
  onCorrupt: 'throw' | 'skip';
  signal: AbortSignal | undefined;
  skipped: number;
  tornBytes: number;
}

/** Where reading one segment stands: the offset just past the last whole line read, and the bad lines held since the last good one. */
export class Cursor {
  readonly seg: SegmentFile;
  pos = 0;
  readonly bad = new BadRun();
  #buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(seg: SegmentFile) {
    this.seg = seg;
  }

  /** Yields the records of [pos, to); bad lines are held until a good line or the end decides what they are. */
  async *read(to: number, st: ReadState): AsyncGenerator<WalRecord> {
    let len = 0; // bytes of the buffer holding [pos, pos + len)
    while (this.pos + len < to) {
      if (len === this.#buf.length) {
        const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
        this.#buf.copy(bigger, 0, 0, len);
        this.#buf = bigger;
      }
      const buf = this.#buf;
      const want = Math.min(buf.length - len, to - this.pos - len);
      const { bytesRead } = await readAsync(this.seg.fd, buf, len, want, this.pos + len);
      if (bytesRead === 0) break;
      len += bytesRead;
      let s = 0;
      for (let e = nextNewline(buf, 0, len); e >= 0; e = nextNewline(buf, s, len)) {
        const offset = this.pos + s;
        const seq = peekSeq(buf, s, e);
        // Below fromSeq (after a resync, or the caller's start): skip without parsing.
        if (seq >= 0 && seq < st.fromSeq && buf[e - 1] === 0x7d) {
          this.#good(st);
          s = e + 1;
          continue;
        }
        let rec: WalRecord | undefined;
        try {
          rec = parseLine(buf.toString('utf8', s, e));
        } catch {
          this.bad.add(offset, offset + e - s + 1, buf.subarray(s, e).includes(0));
        }
        s = e + 1;
        if (rec === undefined) continue;
        this.#good(st);
        if (rec.seq < st.fromSeq) continue;
        if (rec.seq > st.lastSeq) st.lastSeq = rec.seq;
        if (st.signal?.aborted) return;
        // The buffer is not refilled until the consumer asks for more, so `buf` stays valid across the yield.
        yield rec;
      }
      buf.copy(buf, 0, s, len);
      this.pos += s;
      len -= s;
    }
  }

  /** A good line after held bad ones: those were corruption. */
  #good(st: ReadState): void {
    if (this.bad.count === 0) return;
    const { first, count } = this.bad;
    this.bad.clear();
    corrupt(this.seg.path, first, count, st);
  }

  /** Decides the held lines at the end of a file that no longer grows (or, not following, the end of the active file). */
  end(st: ReadState): void {
    if (this.seg.index !== 0) {
      const { first, count } = this.bad;
      this.bad.clear();
      if (count > 0) corrupt(this.seg.path, first, count, st);
      if (this.pos < this.seg.size) corrupt(this.seg.path, this.pos, 1, st); // an unterminated last line in a closed segment
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
    this.bad.clear();
  }
}

function corrupt(file: string, offset: number, count: number, st: ReadState): void {
  if (st.onCorrupt === 'skip') {
    st.skipped += count;
    return;
  }
  throw new WalError('ECORRUPT', `line does not parse at ${file}:${offset}`, { path: file, file, offset });
}
