// Streams the lines of a byte range of a file through one reusable buffer (constant
// memory: the buffer only grows to hold the longest line). Used by the pool's jobs, which
// may block their own thread on reads.
import { readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';

const CHUNK_BYTES = 1024 * 1024;
const NL = 0x0a;

/**
 * Called per complete line: [start, end) of `buf` without its `\n`, at file offset `offset`.
 * `clean` says the whole chunk holding it has no NUL byte and is valid UTF-8. Return false to stop.
 */
export type OnLine = (buf: Buffer, start: number, end: number, offset: number, clean: boolean) => boolean;

export class LineScanner {
  #buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  /** The scanner's buffer, for callers that copy raw bytes between scans. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /**
   * Reads [from, to) of `fd` and calls `onLine` for each complete line. Returns the offset
   * where it stopped: the start of the line `onLine` refused, or just past the last
   * complete line (bytes after it, up to `to`, are an unterminated fragment).
   */
  scan(fd: number, from: number, to: number, onLine: OnLine, onBytes?: (n: number) => void): number {
    let readPos = from;
    const st = { base: from, len: 0 };
    while (readPos < to) {
      const buf = this.#room(st.len);
      const n = readSync(fd, buf, st.len, Math.min(buf.length - st.len, to - readPos), readPos);
      if (n === 0) break; // the file is shorter than `to`: whatever ends here is the fragment
      readPos += n;
      onBytes?.(n);
      if (!this.#lines(st, n, onLine)) return st.base;
    }
    return st.base;
  }

  /** As scan, over the plain bytes of a compressed segment from its start; resolves with the offset where it stopped. */
  async scanReader(reader: { read(buf: Buffer, off: number, len: number): Promise<number> }, onLine: OnLine, onBytes?: (n: number) => void): Promise<number> {
    const st = { base: 0, len: 0 };
    for (;;) {
      const buf = this.#room(st.len);
      const n = await reader.read(buf, st.len, buf.length - st.len);
      if (n === 0) break;
      onBytes?.(n);
      if (!this.#lines(st, n, onLine)) return st.base;
    }
    return st.base;
  }

  /** The buffer with room after `len` held bytes (doubled when full). */
  #room(len: number): Buffer {
    if (len === this.#buf.length) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, 0, len);
      this.#buf = bigger;
    }
    return this.#buf;
  }

  /** Hands out the complete lines after `n` more bytes arrived; false when onLine refused one (st.base is then its offset). */
  #lines(st: { base: number; len: number }, n: number, onLine: OnLine): boolean {
    const buf = this.#buf;
    st.len += n;
    const lastNl = buf.lastIndexOf(NL, st.len - 1);
    if (lastNl < 0) return true;
    const whole = buf.subarray(0, lastNl + 1);
    const clean = whole.indexOf(0) < 0 && isUtf8(whole);
    let s = 0;
    while (s <= lastNl) {
      const e = buf.indexOf(NL, s);
      if (!onLine(buf, s, e, st.base + s, clean)) {
        st.base += s;
        return false;
      }
      s = e + 1;
    }
    buf.copy(buf, 0, s, st.len);
    st.base += s;
    st.len -= s;
    return true;
  }
}
