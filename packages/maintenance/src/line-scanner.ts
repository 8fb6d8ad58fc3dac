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
    let base = from; // file offset of buf[0]
    let len = 0;
    let readPos = from;
    while (readPos < to) {
      if (len === this.#buf.length) {
        const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
        this.#buf.copy(bigger, 0, 0, len);
        this.#buf = bigger;
      }
      const buf = this.#buf;
      const n = readSync(fd, buf, len, Math.min(buf.length - len, to - readPos), readPos);
      if (n === 0) break; // the file is shorter than `to`: whatever ends here is the fragment
      readPos += n;
      len += n;
      onBytes?.(n);
      const lastNl = buf.lastIndexOf(NL, len - 1);
      if (lastNl < 0) continue;
      const whole = buf.subarray(0, lastNl + 1);
      const clean = whole.indexOf(0) < 0 && isUtf8(whole);
      let s = 0;
      while (s <= lastNl) {
        const e = buf.indexOf(NL, s);
        if (!onLine(buf, s, e, base + s, clean)) return base + s;
        s = e + 1;
      }
      buf.copy(buf, 0, s, len);
      base += s;
      len -= s;
    }
    return base;
  }
}
